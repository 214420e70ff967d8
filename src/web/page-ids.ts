// Element ids shared by the server renderer (render.ts) and the browser bundles (entries/*.ts). One table, so a
// renamed element breaks the typecheck instead of a page at run time.

/** Ids present on every page. */
export const COMMON_IDS = {
  main: "main",
  i18n: "i18n",
  /** Polite live region: progress and confirmations. */
  status: "status",
  /** Assertive live region: errors. */
  error: "error",
  unavailableView: "view-unavailable",
  unavailableHeading: "unavailable-heading",
  /** The language switcher; scripts hide it while switching would lose what the page shows only once. */
  languageNav: "language-nav",
} as const;

/** Ids of the create page. */
export const CREATE_IDS = {
  formView: "view-form",
  form: "create-form",
  replacementNote: "replacement-note",
  secret: "secret",
  ttl: "ttl",
  ttlCustom: "ttl-custom",
  ttlRange: "ttl-range",
  ttlAmount: "ttl-amount",
  ttlUnit: "ttl-unit",
  passphrase: "passphrase",
  passphraseLabel: "passphrase-label",
  passkeyGroup: "passkey-group",
  passkeyLegend: "passkey-legend",
  passkeyDemanded: "passkey-demanded",
  passkeyNone: "passkey-none",
  passkeyRequired: "passkey-required",
  passkeyRecipient: "passkey-recipient",
  passkeyHandleField: "passkey-handle-field",
  passkeyHandle: "passkey-handle",
  passkeyFallback: "passkey-fallback",
  passkeyFallbackBlocked: "passkey-fallback-blocked",
  minimums: "minimums",
  templateGroup: "template-group",
  countries: "countries",
  countriesLabel: "countries-label",
  countriesWithin: "countries-within",
  countriesNames: "countries-names",
  networks: "networks",
  recipients: "recipients",
  submit: "create-submit",
  resultView: "view-result",
  resultHeading: "result-heading",
  link: "recipient-link",
  copyLink: "copy-link",
  expires: "expires",
  qrToggle: "qr-toggle",
  qrPanel: "qr-panel",
  qrImage: "qr-image",
  note: "recipient-note",
  copyNote: "copy-note",
  manage: "manage-link",
  copyManage: "copy-manage",
  again: "create-again",
  singleResult: "result-single",
  manyResult: "result-many",
  manyList: "result-list",
} as const;

/** The id of a template's radio button on the create page ("" is the sender's own settings; template ids never start with a dash). */
export const templateRadioId = (templateId: string): string => (templateId === "" ? "template--own" : `template-${templateId}`);

/** Ids of the open (interstitial + reveal) page. */
export const OPEN_IDS = {
  checkingView: "view-checking",
  freshView: "view-fresh",
  freshHeading: "fresh-heading",
  passphraseField: "passphrase-field",
  requirements: "requirements",
  requiresPasskey: "requires-passkey",
  requiresPassphrase: "requires-passphrase",
  requiresEither: "requires-either",
  passphrase: "passphrase",
  /** A fallback link's switch between its passkey and its passphrase. */
  factorSwitch: "factor-switch",
  usePassphrase: "use-passphrase",
  usePasskey: "use-passkey",
  reveal: "reveal",
  incompleteView: "view-incomplete",
  incompleteHeading: "incomplete-heading",
  revealedView: "view-revealed",
  revealedHeading: "revealed-heading",
  textBlock: "revealed-text",
  secret: "secret",
  copySecret: "copy-secret",
  downloadText: "download-text",
  clipboardHint: "clipboard-hint",
  hideSecret: "hide-secret",
  doneView: "view-done",
  doneHeading: "done-heading",
  problemView: "view-problem",
  problemHeading: "problem-heading",
  problemBody: "problem-body",
  problemRetry: "problem-retry",
  fileBlock: "revealed-file",
  fileSummary: "file-summary",
  saveFile: "save-file",
} as const;

/** Ids of the manage page. */
export const MANAGE_IDS = {
  checkingView: "view-checking",
  statusView: "view-status",
  statusHeading: "status-heading",
  state: "state",
  created: "created",
  expires: "expires",
  consumedRow: "consumed-row",
  consumed: "consumed",
  refresh: "refresh",
  revoke: "revoke",
  confirm: "confirm",
  confirmHeading: "confirm-heading",
  confirmYes: "confirm-yes",
  confirmNo: "confirm-no",
  replace: "replace-link",
} as const;

/** Ids of the enrolment page (a recipient sets up a passkey under a handle). */
export const ENROL_IDS = {
  checkingView: "view-checking",
  readyView: "view-ready",
  readyHeading: "ready-heading",
  expires: "enrol-expires",
  create: "enrol-create",
  doneView: "view-done",
  doneHeading: "done-heading",
  doneBody: "done-body",
  deadView: "view-dead",
  deadHeading: "dead-heading",
  problemView: "view-problem",
  problemHeading: "problem-heading",
  problemBody: "problem-body",
  problemRetry: "problem-retry",
} as const;
