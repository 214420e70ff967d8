// Copy buttons. The async Clipboard API needs a secure context and a user gesture; when it is refused (an old
// browser, a permissions policy) we select the text so the person can copy it with the keyboard instead.

/**
 * Copies a field's value to the clipboard; returns false (with the text selected) when the browser refuses.
 * @example if (await copyField(input)) announce(t("common.copied"));
 */
export async function copyField(field: HTMLInputElement | HTMLTextAreaElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    field.focus();
    field.select();
    return false;
  }
}

/** Clears the clipboard some time after a secret was copied; see `createClipboardClearer`. */
export interface ClipboardClearer {
  /** Starts (or restarts) the countdown; call after each successful copy. */
  arm(): void;
  /** Stops the countdown without clearing. */
  cancel(): void;
}

/**
 * Clears the clipboard `seconds` after the last copy, so a secret does not linger there for the next paste. The
 * page must be open for that (no page can act after it is closed), and browsers refuse clipboard writes from a
 * page without focus: then the clear waits until the person comes back to the tab. `seconds <= 0` never clears.
 * @example const clearer = createClipboardClearer(60, () => announce(t("open.revealed.clipboardCleared")));
 */
export function createClipboardClearer(seconds: number, onCleared: () => void): ClipboardClearer {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;

  const attempt = async (): Promise<void> => {
    if (!pending) return;
    try {
      await navigator.clipboard.writeText("");
      pending = false;
      window.removeEventListener("focus", onFocus);
      onCleared();
    } catch {
      // Not focused (or refused): try again when the person returns to this tab.
      window.addEventListener("focus", onFocus);
    }
  };
  const onFocus = (): void => void attempt();

  return {
    arm() {
      if (seconds <= 0) return;
      clearTimeout(timer);
      pending = false;
      timer = setTimeout(() => {
        pending = true;
        void attempt();
      }, seconds * 1000);
    },
    cancel() {
      clearTimeout(timer);
      pending = false;
      window.removeEventListener("focus", onFocus);
    },
  };
}
