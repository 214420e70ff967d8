// Formatting helpers shared by the server renderer and the browser bundles. Deliberately free of any catalog import,
// so the browser bundles do not carry the English strings a second time.

/** Values substituted for `{name}` placeholders. */
export type MessageParams = Readonly<Record<string, string | number>>;

/**
 * Fills `{name}` placeholders; unknown placeholders are left as written so a gap is visible rather than blank.
 * @example interpolate("Hello {who}", { who: "Ada" }) // "Hello Ada"
 */
export function interpolate(template: string, params?: MessageParams): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/**
 * A date and time in the reader's language, e.g. "27 Nov 2025, 14:05". Returns the input unchanged when it is not a
 * valid date rather than throwing, because a display glitch must not break a page mid-flow.
 */
export function formatDateTime(iso: string, locale: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

const DURATION_UNITS = [
  { unit: "day", seconds: 86_400 },
  { unit: "hour", seconds: 3_600 },
  { unit: "minute", seconds: 60 },
  { unit: "second", seconds: 1 },
] as const;

/**
 * A duration in the largest whole unit, spelled out by `Intl`, e.g. 604800 -> "7 days", 3600 -> "1 hour".
 * Lifetimes are chosen from round values, so the exact unit reads better than "1 day, 0 hours".
 */
export function formatDuration(seconds: number, locale: string): string {
  const whole = Math.max(0, Math.round(seconds));
  const pick = DURATION_UNITS.find((u) => whole >= u.seconds && whole % u.seconds === 0) ?? DURATION_UNITS[3];
  return new Intl.NumberFormat(locale, { style: "unit", unit: pick.unit, unitDisplay: "long" }).format(
    whole / pick.seconds,
  );
}

/**
 * How far a time is from `now`, in the largest unit that fits, spelled out by `Intl.RelativeTimeFormat`,
 * e.g. "in 23 hours", "vor 5 Minuten", "3 日後". Rounded toward the nearer value of that unit.
 */
export function formatRelativeTime(iso: string, now: number, locale: string): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return "";
  const diff = Math.round((then - now) / 1000);
  const unit = DURATION_UNITS.find((u) => Math.abs(diff) >= u.seconds) ?? DURATION_UNITS[3];
  return new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(Math.round(diff / unit.seconds), unit.unit);
}

/**
 * A byte count for people, e.g. "1.2 MB" (decimal units, as file managers show them). With `limit`, rounded down,
 * so "up to" never promises more than the server takes (1 GiB is "1 GB", not "1.1 GB"); with `roundUp`, rounded up,
 * so a size over a limit never reads as the limit itself (2,050 bytes against "up to 2 kB" is "2.1 kB").
 */
export function formatBytes(bytes: number, locale: string, opts: { limit?: boolean; roundUp?: boolean } = {}): string {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte"] as const;
  let value = Math.max(0, bytes);
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: units[i],
    unitDisplay: i === 0 ? "long" : "short",
    maximumFractionDigits: i === 0 ? 0 : 1,
    ...(opts.limit ? { roundingMode: "floor" as const } : opts.roundUp ? { roundingMode: "ceil" as const } : {}),
  }).format(value);
}
