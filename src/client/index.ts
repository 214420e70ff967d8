/**
 * The oncelink client library: the wire protocol of docs/protocol.md as four calls. It runs in browsers and
 * Node (fetch and WebCrypto only); the web pages and the CLI both use it, and integrators can too.
 */
export {
  createLink,
  createLinks,
  type CreateLinkOptions,
  type CreateLinksOptions,
  type CreatedLink,
  type LinkPolicyOptions,
} from "./create-link.js";
export { createFileLink, FileTooLargeError, type CreateFileLinkOptions, type CreatedFileLink, type PartRetry } from "./create-file-link.js";
export { listTemplates, type PolicyTemplateInfo, type ServerTemplates } from "./templates.js";
export {
  checkLink,
  openLink,
  openLinkStream,
  type OpenedFile,
  type OpenedStream,
  type GestureReport,
  type LinkInfo,
  type OpenLinkOptions,
  type OpenStage,
  type OpenedContent,
  type PasskeyCeremony,
  type PasskeyCeremonyRequest,
} from "./open-link.js";
export { completeEnrolment, fetchEnrolment, issueEnrolment, type Enrolment, type IssuedEnrolment } from "./enrolment.js";
export { getStatus, revokeLink, type LinkPolicySummary, type LinkStatus, type LinkVisit } from "./manage-link.js";
export { derivePassphrase, newPassphraseSalt, type PassphraseSecrets } from "./passphrase.js";
export { createDeviceKey, type DeviceKey } from "./device-key.js";
export { parseLinkUrl, parseManageUrl, normalizeServerUrl, type LinkUrl, type ManageUrl } from "./link-urls.js";
export type { FetchFunction, RequestOptions } from "./api-request.js";
export {
  ConfirmationDeclinedError,
  ContentNotReceivedError,
  DecryptionError,
  FileIntegrityError,
  FileUploadFailedError,
  InvalidLinkError,
  LinkKeyMissingError,
  OncelinkApiError,
  OncelinkError,
  PasskeyCeremonyError,
  PasskeyIncorrectError,
  PasskeyRequiredError,
  PassphraseIncorrectError,
  PassphraseRequiredError,
  ServerUnreachableError,
  UnavailableError,
  UnsupportedRequirementError,
  UploadPartOutOfOrderError,
} from "./errors.js";
