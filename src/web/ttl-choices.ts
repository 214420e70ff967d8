/**
 * Lifetimes the create page offers, in seconds: 1 hour, 1 day, 7 days, 30 days. Shared by the renderer (the
 * options) and the create bundle (which sends only one of these, whatever the DOM was tampered into saying).
 */
export const TTL_CHOICES: readonly number[] = [3_600, 86_400, 604_800, 2_592_000];

/** The preselected lifetime: a day covers "I'll read it tonight" without lingering for weeks. */
export const DEFAULT_TTL = 86_400;
