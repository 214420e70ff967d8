// Saving revealed content as a file, entirely in this browser: a Blob and a short-lived object URL, never a
// request to the server and never a `data:` URL in the address bar or history.

/** How long an object URL lives after its download started; long enough for every browser to read it. */
const REVOKE_AFTER_MS = 1_000;

/**
 * Offers `blob` as a download named `name` and revokes its object URL right after. The browser sanitizes the
 * name (no paths, no reserved names); an empty one becomes its default.
 * @example downloadBlob(new Blob([text], { type: "text/plain;charset=utf-8" }), "secret.txt")
 */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  try {
    a.click();
  } finally {
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
  }
}
