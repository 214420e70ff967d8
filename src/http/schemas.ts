import { Type } from "@fastify/type-provider-typebox";

/** Path parameter of every link route. The exact shape is checked in the handler so that a malformed id gets
 * the same 404 as an unknown one. */
export const LinkParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const ErrorResponse = Type.Object(
  { error: Type.String({ pattern: "^[A-Z_]+$" }), message: Type.String() },
  { $id: "Error", description: "Every error: a stable upper-snake code and a plain message" },
);

export const CreateLinkBody = Type.Object(
  {
    content: Type.Optional(Type.String({ description: "Plaintext (server-encrypted mode)." })),
    ciphertext: Type.Optional(
      Type.String({ pattern: "^[A-Za-z0-9_-]+$", description: "base64url client-layer envelope (client-encrypted mode)." }),
    ),
    ttl: Type.Optional(Type.Integer({ minimum: 1, description: "Lifetime in seconds (default 24 h)." })),
  },
  { additionalProperties: false },
);

export const CreateLinkResponse = Type.Object({
  id: Type.String(),
  url: Type.String({ description: "Recipient link without fragment; a client-encrypting client appends #key." }),
  manage_url: Type.String({ description: "Sender's manage link; the manage token is in the fragment." }),
  expires_at: Type.String({ format: "date-time" }),
});

export const LinkInfoResponse = Type.Object({
  state: Type.Literal("fresh"),
  expires_at: Type.String({ format: "date-time" }),
  encryption: Type.Union([Type.Literal("client"), Type.Literal("server")]),
  requires: Type.Object({ pow: Type.Boolean() }),
});

export const ChallengeResponse = Type.Object(
  {
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
  },
  { additionalProperties: false },
);

export const SessionResponse = Type.Object({ session: Type.String(), expires_in: Type.Integer() });

// One object with two optional fields rather than a union: fast-json-stringify picks a union branch by running a
// validator on every response, on the hottest route. Exactly one of the two is ever present.
export const ConsumeResponse = Type.Object(
  {
    content: Type.Optional(Type.String({ description: "The secret (server-encrypted links)." })),
    ciphertext: Type.Optional(Type.String({ description: "base64url client-layer envelope (client-encrypted links)." })),
  },
  { additionalProperties: false, description: "Exactly one of content or ciphertext." },
);

export const StatusResponse = Type.Object({
  state: Type.Union([Type.Literal("fresh"), Type.Literal("consumed"), Type.Literal("expired"), Type.Literal("revoked")]),
  created_at: Type.String({ format: "date-time" }),
  expires_at: Type.String({ format: "date-time" }),
  consumed_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
});

/** Standard error responses, referenced by each route. */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
