// Server settings the page scripts need, passed in the page's JSON data block next to the messages. They are the
// same for every request (never derived from a link), so pages stay cacheable per locale.

/** What the server tells its pages. */
export interface PageSettings {
  /** Seconds after which a secret copied on the reveal page is cleared from the clipboard; 0 never clears. */
  readonly clipboardClearSeconds: number;
  /** Lifetimes (seconds) a sender may choose: the server's MIN/MAX and the preselected default. */
  readonly ttl: { readonly min: number; readonly max: number; readonly default: number };
  /** MAX_FILE_BYTES: the largest file the create page offers to send (the server enforces it too). */
  readonly maxFileBytes: number;
}

/** The settings of a server started with no configuration (see src/config.ts). */
export const DEFAULT_PAGE_SETTINGS: PageSettings = Object.freeze({
  clipboardClearSeconds: 60,
  ttl: Object.freeze({ min: 60, max: 30 * 86_400, default: 86_400 }),
  maxFileBytes: 1024 ** 3,
});

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/**
 * Checks settings read from the page (the data block is ours, but a page must not break on a malformed one):
 * anything missing or out of shape falls back to the defaults, field by field.
 */
export function parsePageSettings(value: unknown): PageSettings {
  const v = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const ttl = typeof v.ttl === "object" && v.ttl !== null ? (v.ttl as Record<string, unknown>) : {};
  const d = DEFAULT_PAGE_SETTINGS;
  const min = isCount(ttl.min) && ttl.min > 0 ? ttl.min : d.ttl.min;
  const max = isCount(ttl.max) && ttl.max >= min ? ttl.max : Math.max(min, d.ttl.max);
  const def = isCount(ttl.default) && ttl.default >= min && ttl.default <= max ? ttl.default : Math.min(Math.max(d.ttl.default, min), max);
  return {
    clipboardClearSeconds: isCount(v.clipboardClearSeconds) ? v.clipboardClearSeconds : d.clipboardClearSeconds,
    ttl: { min, max, default: def },
    maxFileBytes: isCount(v.maxFileBytes) && v.maxFileBytes > 0 ? v.maxFileBytes : d.maxFileBytes,
  };
}
