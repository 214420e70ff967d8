// From typebox itself: the type provider's entry point also loads its validator compiler, value library and
// ajv-formats (~3 MB of heap measured) for nothing, as Fastify validates with its own ajv.
import { Type } from "typebox";
import { PasskeyResponse } from "./passkey-schemas.js";
import { MAX_RECIPIENTS } from "../core/templates.js";
import { MAX_PATH_PARAM_CHARS } from "./path-params.js";

/** Path parameter of every link route. The exact shape is checked in the handler (isSecretShape) so that a malformed
 * id, of any length, gets the same 404 as an unknown one. */
export const LinkParams = Type.Object({ id: Type.String({ maxLength: MAX_PATH_PARAM_CHARS }) });

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ pattern: "^[A-Z_]+$" }),
    message: Type.String(),
    attempts_left: Type.Optional(Type.Integer({ minimum: 0, description: "PASSPHRASE_INCORRECT only: wrong tries left before the link is destroyed." })),
    next_part: Type.Optional(
      Type.Integer({ minimum: 0, description: "UPLOAD_PART_OUT_OF_ORDER only: the part the upload expects next (every part before it is stored)." }),
    ),
  },
  { $id: "Error", description: "Every error: a stable upper-snake code and a plain message" },
);

const B64URL = "^[A-Za-z0-9_-]+$";

export const CreateLinkPolicy = Type.Object(
  {
    allow_ip: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64, description: "CIDRs (IPv4 or IPv6) or single addresses the recipient must open from." }),
    ),
    deny_ip: Type.Optional(
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64, description: "CIDRs (IPv4 or IPv6) or single addresses that may not open the link." }),
    ),
    allow_country: Type.Optional(
      Type.Array(Type.String({ maxLength: 8 }), {
        maxItems: 64,
        description:
          "ISO 3166-1 alpha-2 codes (e.g. DE, FR) the recipient's address must resolve to. Private, loopback and unknown addresses resolve to no country and are refused.",
      }),
    ),
    passphrase: Type.Optional(
      Type.Object(
        {
          salt: Type.String({ pattern: B64URL, minLength: 22, maxLength: 22, description: "base64url of the 16 random bytes the client salted Argon2id with." }),
          proof: Type.String({
            pattern: B64URL,
            minLength: 43,
            maxLength: 43,
            description: "base64url of the first 32 bytes of Argon2id(passphrase, salt) (see requires.passphrase.params). Only its SHA-256 is stored.",
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: "Recipient policy, checked at the session step. The address lists are never shown to recipients." },
);

export { MAX_RECIPIENTS } from "../core/templates.js";

/** The options every new link takes, text or file (the template, the minimums and the rules apply alike). */
const linkOptionFields = {
  ttl: Type.Optional(Type.Integer({ minimum: 1, description: "Lifetime in seconds (default 24 h, or the template's)." })),
  policy: Type.Optional(CreateLinkPolicy),
  template: Type.Optional(
    Type.String({
      maxLength: 32,
      description:
        'A policy template id (see GET /api/v1/templates): "lightweight", "standard", "ultra-secure" or one of the operator\'s. Its values fill what the request leaves out; what the request says may only be stricter.',
    }),
  ),
  recipients: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_RECIPIENTS,
      description:
        "How many independent one-time links to issue for the same content (default 1), each with its own id, manage token and data key. " +
        "Text links only: a file finish with more than 1 is refused (FILE_RECIPIENTS_UNSUPPORTED); upload the file once per recipient.",
    }),
  ),
  passkey: Type.Optional(
    Type.Literal("required", {
      description:
        "The recipient must complete a passkey ceremony with user verification at the click (any passkey). A template or minimum that needs a passkey is met by this or by passkey_handle.",
    }),
  ),
  passkey_handle: Type.Optional(
    Type.String({ maxLength: 128, description: "Only the passkey enrolled under this handle opens the link (see POST /api/v1/enrolments)." }),
  ),
  passphrase_fallback: Type.Optional(
    Type.Boolean({
      description:
        "With a passkey and a passphrase: either one opens the link (the passphrase is then not mixed into the key). Refused (TEMPLATE_CONFLICT, POLICY_MINIMUM) when the template or the server requires a passkey or a passphrase.",
    }),
  ),
  preview: Type.Optional(
    Type.Union([Type.Literal("card"), Type.Literal("none")], {
      description:
        'What known link previewers (chat apps, mail scanners) get: "card" (default), a generic card that says only "a private one-time link"; "none", the plain page with no card.',
    }),
  ),
};

/** Body of the finish step of a file upload: the link's options. */
export const LinkOptionsBody = Type.Object(linkOptionFields, { additionalProperties: false });

export const CreateLinkBody = Type.Object(
  {
    content: Type.Optional(Type.String({ description: "Plaintext (server-encrypted mode)." })),
    ciphertext: Type.Optional(
      Type.String({ pattern: "^[A-Za-z0-9_-]+$", description: "base64url client-layer envelope (client-encrypted mode)." }),
    ),
    ...linkOptionFields,
  },
  { additionalProperties: false },
);

const CreatedLinkFields = {
  id: Type.String(),
  url: Type.String({ description: "Recipient link without fragment; a client-encrypting client appends #key." }),
  manage_url: Type.String({ description: "Sender's manage link; the manage token is in the fragment." }),
  expires_at: Type.String({ format: "date-time" }),
};

export const CreateLinkResponse = Type.Object(
  {
    ...CreatedLinkFields,
    links: Type.Array(Type.Object(CreatedLinkFields, { additionalProperties: false }), {
      description: "Every link issued (one per recipient); the top-level fields repeat the first.",
    }),
  },
  { description: "The first (or only) link's fields, and every link under links." },
);

export const LinkInfoResponse = Type.Object({
  state: Type.Literal("fresh"),
  content: Type.Optional(
    Type.Literal("file", { description: 'Present for a file link: its consume answers with a stream (application/octet-stream).' }),
  ),
  expires_at: Type.String({ format: "date-time" }),
  encryption: Type.Union([Type.Literal("client"), Type.Literal("server")]),
  requires: Type.Object({
    pow: Type.Boolean(),
    passphrase: Type.Optional(
      Type.Object(
        {
          salt: Type.String({ description: "base64url per-link Argon2id salt." }),
          params: Type.Object({
            algorithm: Type.Literal("argon2id"),
            memory_kib: Type.Integer(),
            iterations: Type.Integer(),
            parallelism: Type.Integer(),
            hash_length: Type.Integer(),
          }),
        },
        { description: "The link needs a passphrase: send passphrase_proof to the session step." },
      ),
    ),
    passkey: Type.Optional(
      Type.Object(
        {
          mode: Type.Union([Type.Literal("required"), Type.Literal("recipient")]),
          passphrase_fallback: Type.Boolean(),
        },
        {
          description:
            'The link needs a passkey ceremony (POST .../passkey, then "passkey" in the session step): "required", any passkey made at the click; "recipient", the one enrolled for the recipient. passphrase_fallback: the passphrase may replace it.',
        },
      ),
    ),
  }),
});

export const ChallengeQuery = Type.Object(
  {
    webdriver: Type.Optional(
      Type.Union([Type.Literal("true"), Type.Literal("false")], { description: "The page's navigator.webdriver at the click." }),
    ),
    gesture_ms: Type.Optional(
      Type.String({ pattern: "^[0-9]{1,9}$", description: "Milliseconds from page load to the click that started the open." }),
    ),
  },
  { description: "Signals about the click, reported by the page; they can only raise the friction." },
);

export const ChallengeResponse = Type.Object(
  {
    friction: Type.Optional(
      Type.Union([Type.Literal("none"), Type.Literal("raised"), Type.Literal("confirm")], {
        description: 'How hard this challenge is; "confirm": the session step also needs "confirm": true (after a second click).',
      }),
    ),
    parameters: Type.Object(
      {
        algorithm: Type.String(),
        nonce: Type.String(),
        salt: Type.String(),
        cost: Type.Integer(),
        keyLength: Type.Integer(),
        keyPrefix: Type.String(),
        expiresAt: Type.Optional(Type.Integer()),
        data: Type.Optional(Type.Record(Type.String(), Type.String())),
      },
      { additionalProperties: false },
    ),
    signature: Type.String(),
  },
  { description: "An ALTCHA v2 proof-of-work challenge (SHA-256, deterministic mode)." },
);

export const SessionBody = Type.Object(
  {
    pow: Type.Union([Type.String({ maxLength: 8192 }), Type.Object({}, { additionalProperties: true })], {
      description: "ALTCHA payload: base64 of JSON {challenge, solution}, or that object.",
    }),
    device_key: Type.Optional(
      Type.String({
        maxLength: 128,
        description:
          "The device's ECDSA P-256 public key, raw uncompressed point (65 bytes) in base64url. Binds the session: the consume must then be signed with the private key.",
      }),
    ),
    passphrase_proof: Type.Optional(
      Type.String({
        pattern: B64URL,
        maxLength: 43,
        description: "base64url of the first 32 bytes of Argon2id(passphrase, salt); a wrong one is counted and the link stays fresh.",
      }),
    ),
    confirm: Type.Optional(Type.Boolean({ description: 'The second confirmation a "confirm"-friction challenge asks for.' })),
    passkey: Type.Optional(PasskeyResponse),
  },
  { additionalProperties: false },
);

export const SessionResponse = Type.Object({ session: Type.String(), expires_in: Type.Integer() });

export const ConsumeHeaders = Type.Object(
  {
    "oncelink-device-key": Type.Optional(
      Type.String({ maxLength: 128, description: "For a device-bound session: the device_key sent to the session step." }),
    ),
    "oncelink-passkey-credential": Type.Optional(
      Type.String({ maxLength: 1400, description: "For a session opened with a passkey: the credential id (rawId, base64url) the session step verified." }),
    ),
    "oncelink-device-signature": Type.Optional(
      Type.String({
        maxLength: 128,
        description:
          'For a device-bound session: base64url ECDSA P-256/SHA-256 signature (IEEE P1363, 64 bytes) over "oncelink/consume/v1\\n" + the session token.',
      }),
    ),
  },
  { description: "Authorization: Session TOKEN (or the session cookie), plus the device proof of a bound session." },
);

// One object with two optional fields rather than a union: fast-json-stringify picks a union branch by running a
// validator on every response, on the hottest route. Exactly one of the two is ever present.
export const ConsumeResponse = Type.Object(
  {
    content: Type.Optional(Type.String({ description: "The secret (server-encrypted links)." })),
    ciphertext: Type.Optional(Type.String({ description: "base64url client-layer envelope (client-encrypted links)." })),
  },
  {
    additionalProperties: false,
    description: "Exactly one of content or ciphertext. (A file link answers application/octet-stream instead.)",
  },
);

/**
 * A file link's consume answer: raw bytes, never JSON. OpenAPI 3.1 describes binary content by its media type, with
 * an empty schema (no `format: binary`, which is 3.0's spelling). The route streams it itself, so nothing serializes it.
 */
export const FileStreamBody = Type.Unsafe<never>({
  description: "The file's client file stream (docs/formats.md, \"Client file stream v1\"), sent once; Content-Length is its exact size.",
});

/** The consume's 200, by media type: JSON for text and envelopes, a byte stream for a file. */
export const ConsumeOk = {
  description: "The content, released once. The link is consumed.",
  content: {
    "application/json": { schema: ConsumeResponse },
    "application/octet-stream": { schema: FileStreamBody },
  },
};

export const StatusResponse = Type.Object({
  state: Type.Union([Type.Literal("fresh"), Type.Literal("consumed"), Type.Literal("expired"), Type.Literal("revoked")]),
  created_at: Type.String({ format: "date-time" }),
  expires_at: Type.String({ format: "date-time" }),
  consumed_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "When the link was opened; null unless state is consumed.",
  }),
  ended_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()], {
    description: "When the link ended, whichever way (opened, revoked or expired); null while fresh.",
  }),
  events: Type.Array(
    Type.Object(
      {
        kind: Type.String({ description: "chat-preview, mail-scanner, office-app, prefetch, probe or automated" }),
        at: Type.String({ format: "date-time" }),
      },
      { additionalProperties: false },
    ),
    { description: "Automated visits seen on the link, oldest first (class and time only; at most 100)." },
  ),
  policy: Type.Object(
    {
      template: Type.Union([Type.String(), Type.Null()], { description: "The template the link was made with." }),
      passphrase: Type.Boolean(),
      passkey: Type.Boolean(),
      passkey_mode: Type.Union([Type.Literal("required"), Type.Literal("recipient"), Type.Null()], {
        description: 'The passkey rule\'s kind: "required" (any passkey), "recipient" (the one enrolled under a handle), or null.',
      }),
      passphrase_fallback: Type.Boolean({ description: "Either the passphrase or the passkey opens the link." }),
      preview: Type.Union([Type.Literal("card"), Type.Literal("none")]),
      allow_country: Type.Array(Type.String()),
      allow_ip: Type.Array(Type.String()),
      deny_ip: Type.Array(Type.String()),
    },
    { additionalProperties: false, description: "The link's policy, for its sender only (never the passphrase or anything derived from it)." },
  ),
});

const TemplateSummary = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: "Display name in the requested language (Accept-Language)." }),
    summary: Type.String({ description: "What the template does, in plain words." }),
    built_in: Type.Boolean(),
    ttl: Type.Integer({ description: "Lifetime in seconds, and the longest a sender may choose with it." }),
    passphrase: Type.Boolean(),
    passkey: Type.Boolean(),
    preview: Type.Union([Type.Literal("card"), Type.Literal("none")]),
    allow_country: Type.Array(Type.String(), { description: "Countries the template fixes (a sender may only narrow them)." }),
    country_required: Type.Boolean({ description: "The sender must name the countries." }),
    networks: Type.Boolean({ description: "The template limits the networks (the ranges themselves are not listed)." }),
  },
  { additionalProperties: false },
);

export const TemplatesResponse = Type.Object({
  templates: Type.Array(TemplateSummary),
  default_template: Type.Union([Type.String(), Type.Null()]),
  minimums: Type.Object(
    {
      passphrase: Type.Boolean(),
      passkey: Type.Boolean(),
      max_ttl: Type.Union([Type.Integer(), Type.Null()]),
      preview: Type.Union([Type.Literal("card"), Type.Literal("none"), Type.Null()]),
      allow_country: Type.Array(Type.String()),
    },
    { additionalProperties: false, description: "What this server requires of every link." },
  ),
  max_recipients: Type.Integer(),
});

// Like a link id, an upload token of the wrong shape is answered like an unknown one (UPLOAD_UNAVAILABLE).
export const UploadParams = Type.Object({ upload: Type.String({ maxLength: MAX_PATH_PARAM_CHARS }) });

export const PartParams = Type.Object({
  upload: Type.String({ maxLength: MAX_PATH_PARAM_CHARS }),
  part: Type.String({ pattern: "^(0|[1-9][0-9]{0,5})$", description: "The part's number: 0, 1, 2, ... in order." }),
});

export const StartUploadResponse = Type.Object({
  upload: Type.String({ description: "The upload token (a bearer secret): it names the upload in the next requests." }),
  part_bytes: Type.Integer({ description: "Largest part body accepted; every part but the last should have exactly this size." }),
  max_file_bytes: Type.Integer({ description: "Largest file (plaintext) this server accepts (MAX_FILE_BYTES)." }),
  max_stream_bytes: Type.Integer({ description: "Largest client stream accepted: the padded stream of a MAX_FILE_BYTES file." }),
  expires_at: Type.String({ format: "date-time", description: "Finish before this time, or the upload is swept." }),
});

export const PartResponse = Type.Object({
  part: Type.Integer(),
  bytes: Type.Integer({ description: "Bytes of this part stored." }),
  next_part: Type.Integer(),
});

/** Standard error responses, referenced by each route. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
