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
