import type { Config } from "../config.js";
import type { PreviewerRegistry } from "../core/classify.js";
import type { PolicySetup } from "../core/templates.js";
import type { RandomBytes } from "../core/ids.js";
import type { DeviceKeyCache } from "../crypto/device-key.js";
import type { Keyring } from "../crypto/keyring.js";
import type { LinkStore, RateLimitBackend } from "../store/link-store.js";
import type { CountryLookup } from "./country.js";
import type { Metrics } from "./metrics.js";
import type { PowService } from "./pow.js";
import type { PassphraseLimiter } from "./rate-limit.js";
import type { LinkVisits } from "./visits.js";
import type { PasskeyService } from "./webauthn.js";

/** What the HTTP layer is given; built for real only in main.ts, and for tests in test helpers. */
export interface AppDeps {
  config: Config;
  store: LinkStore;
  keyring: Keyring;
  /** Milliseconds since the epoch. */
  now: () => number;
  random: RandomBytes;
  /** Rate-limit counters shared between nodes (the PostgreSQL store); without it each node counts in memory. */
  rateLimits?: RateLimitBackend;
}

/** AppDeps plus what createApp derives from them, handed to each route module. */
export interface RouteDeps extends AppDeps {
  metrics: Metrics;
  pow: PowService;
  /** Key for the short keyed link tags that log lines may carry. */
  logKey: Uint8Array;
  /** Key that signs session tokens. */
  sessionKey: Uint8Array;
  /** Previewer and scanner signatures (built-in list plus ONCELINK_PREVIEWERS_FILE). */
  previewers: PreviewerRegistry;
  /** Classification and event recording of recipient-page requests. */
  visits: LinkVisits;
  /** Device keys imported at the session step, kept for the consume on this node. */
  deviceKeys: DeviceKeyCache;
  /** WebAuthn options and verification for passkey links and enrolments. */
  passkeys: PasskeyService;
  /** Templates, default and minimums (built-ins plus ONCELINK_POLICY_FILE). */
  policySetup: PolicySetup;
  /** Client address to country (the bundled database or ONCELINK_COUNTRY_DB). */
  countryOf: CountryLookup;
  /** The per-address limit on passphrase tries across links; null when RATE_LIMIT_PASSPHRASE is 0. */
  passphraseLimiter: PassphraseLimiter | null;
}
