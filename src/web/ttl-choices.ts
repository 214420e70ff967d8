// Lifetimes on the create page: a few presets and a custom "number + unit" value, both kept inside the server's
// limits (MIN_TTL/MAX_TTL reach the page through PageSettings). Shared by the renderer and the create bundle.

/** Presets the create page offers, in seconds: 1 hour, 1 day, 7 days, 30 days (those inside the server's limits). */
export const TTL_CHOICES: readonly number[] = [3_600, 86_400, 604_800, 2_592_000];

/** Units of a custom lifetime, in seconds, smallest first. */
export const TTL_UNITS: readonly number[] = [60, 3_600, 86_400];

/** Lifetime limits in seconds, inclusive. */
export interface TtlLimits {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/**
 * The presets to offer: the standard ones that fit the limits, plus the server's default and any `extra` lifetimes
 * (the policy templates' own) inside the limits, in ascending order.
 * @example ttlPresets({ min: 60, max: 604800, default: 7200 }) // [3600, 7200, 86400, 604800]
 */
export function ttlPresets(limits: TtlLimits, extra: readonly number[] = []): number[] {
  const fitting = [...TTL_CHOICES, ...extra].filter((s) => s >= limits.min && s <= limits.max);
  return [...new Set([...fitting, limits.default])].sort((a, b) => a - b);
}

/**
 * Reads a custom lifetime: a whole positive number of a unit, inside the limits; null otherwise.
 * @example customTtl("90", 60, limits) // 5400
 */
export function customTtl(amount: string, unitSeconds: number, limits: TtlLimits): number | null {
  const trimmed = amount.trim();
  if (!/^\d{1,7}$/.test(trimmed) || !TTL_UNITS.includes(unitSeconds)) return null;
  const seconds = Number(trimmed) * unitSeconds;
  return seconds >= limits.min && seconds <= limits.max ? seconds : null;
}

/**
 * Splits seconds into the largest unit that divides them evenly, for prefilling the custom fields; null when no
 * unit does (a lifetime in odd seconds cannot be entered on the page).
 * @example splitTtl(172800) // { amount: 2, unit: 86400 }
 */
export function splitTtl(seconds: number): { amount: number; unit: number } | null {
  if (!Number.isInteger(seconds) || seconds <= 0) return null;
  const unit = [...TTL_UNITS].reverse().find((u) => seconds % u === 0);
  return unit === undefined ? null : { amount: seconds / unit, unit };
}
