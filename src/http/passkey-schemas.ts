// From typebox itself, not the type provider's entry point (see schemas.ts).
import { Type } from "typebox";
import { MAX_PATH_PARAM_CHARS } from "./path-params.js";

// Schemas of the passkey parts of the API (recipient-bound links, enrolment). The ceremony responses are
// @simplewebauthn/browser's JSON (RegistrationResponseJSON / AuthenticationResponseJSON), bounded here in size;
// @simplewebauthn/server then checks every byte of them.

const B64URL = "^[A-Za-z0-9_-]*$";
const b64 = (maxLength: number, description?: string) => Type.String({ pattern: B64URL, maxLength, ...(description ? { description } : {}) });

/** A WebAuthn ceremony response, as @simplewebauthn/browser's startRegistration / startAuthentication return it. */
export const PasskeyResponse = Type.Object(
  {
    id: b64(1400),
    rawId: b64(1400),
    type: Type.Literal("public-key"),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
    clientExtensionResults: Type.Object({}, { additionalProperties: true, maxProperties: 16 }),
    response: Type.Object(
      {
        clientDataJSON: b64(4096),
        attestationObject: Type.Optional(b64(16384)),
        authenticatorData: Type.Optional(b64(4096)),
        signature: Type.Optional(b64(2048)),
        userHandle: Type.Optional(b64(512)),
        publicKey: Type.Optional(b64(4096)),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 16 }), { maxItems: 8 })),
      },
      { additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description: "A WebAuthn credential as JSON (PublicKeyCredential.toJSON(), or @simplewebauthn/browser's result).",
  },
);

/** Options for navigator.credentials.create / get, in WebAuthn's JSON form. */
const CeremonyOptionsSchema = Type.Object({}, { additionalProperties: true, description: "PublicKeyCredentialCreationOptionsJSON or PublicKeyCredentialRequestOptionsJSON" });

export const CeremonyResponse = Type.Object(
  {
    ceremony: Type.Union([Type.Literal("create"), Type.Literal("get")], {
      description: '"create": run navigator.credentials.create (a new credential); "get": an assertion by an enrolled one.',
    }),
    options: CeremonyOptionsSchema,
  },
  { additionalProperties: false },
);

export const PasskeyChallengeBody = Type.Object(
  {
    challenge: Type.Object(
      {
        parameters: Type.Object({}, { additionalProperties: true, maxProperties: 16 }),
        signature: Type.String({ maxLength: 128 }),
      },
      { additionalProperties: true, maxProperties: 4, description: "The proof-of-work challenge as GET .../challenge returned it (unsolved)." },
    ),
    device_key: Type.String({ maxLength: 128, description: "The device key the session will be bound to (as in the session step)." }),
  },
  { additionalProperties: false },
);

export const EnrolmentCreateBody = Type.Object(
  {
    handle: Type.String({ maxLength: 128, description: "3 to 64 characters of a-z, 0-9, . _ @ - (case-folded)." }),
    ttl: Type.Optional(Type.Integer({ minimum: 1, description: "How long the enrolment link works, in seconds (default 7 days)." })),
  },
  { additionalProperties: false },
);

export const EnrolmentCreateResponse = Type.Object(
  {
    handle: Type.String(),
    enrol_url: Type.String({ description: "The one-time enrolment link for the recipient." }),
    manage_token: Type.String({ description: "Bearer token for GET/DELETE /api/v1/handles/{handle}; keep it." }),
    expires_at: Type.String({ format: "date-time" }),
  },
  { additionalProperties: false },
);

// A malformed enrolment token, of any length, is answered like an unknown one (404 UNAVAILABLE).
export const EnrolTokenParams = Type.Object({ token: Type.String({ maxLength: MAX_PATH_PARAM_CHARS }) });
export const HandleParams = Type.Object({ handle: Type.String({ maxLength: 128 }) });

export const EnrolmentOptionsResponse = Type.Object(
  {
    handle: Type.String(),
    expires_at: Type.String({ format: "date-time" }),
    ceremony: Type.Literal("create"),
    options: CeremonyOptionsSchema,
  },
  { additionalProperties: false },
);

export const EnrolmentCompleteBody = Type.Object({ response: PasskeyResponse }, { additionalProperties: false });
export const EnrolmentCompleteResponse = Type.Object({ handle: Type.String() }, { additionalProperties: false });

export const HandleStatusResponse = Type.Object(
  {
    handle: Type.String(),
    state: Type.Union([Type.Literal("pending"), Type.Literal("enrolled"), Type.Literal("expired")], {
      description: '"pending": the enrolment link is unused; "enrolled": a passkey is enrolled; "expired": the link ran out unused.',
    }),
    created_at: Type.String({ format: "date-time" }),
    enrolled_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  },
  { additionalProperties: false },
);
