// How the API's bearer secrets appear in the OpenAPI document: components.securitySchemes, and the requirement
// each protected route declares. The routes check the secrets themselves; this only describes them.

/** The cookie the session step sets, which a consume accepts in place of `Authorization: Session TOKEN`. */
export const SESSION_COOKIE = "oncelink_session";

/** components.securitySchemes of the OpenAPI document. */
export const SECURITY_SCHEMES = {
  manageToken: {
    type: "http",
    scheme: "bearer",
    description:
      "A link's manage token: the fragment of its manage link (…/m/ID#TOKEN), sent as `Authorization: Bearer TOKEN`. " +
      "A wrong or missing token gets the same 404 UNAVAILABLE as an unknown link.",
  },
  handleToken: {
    type: "http",
    scheme: "bearer",
    description:
      "A passkey handle's manage token, returned once when its enrolment link was issued, sent as `Authorization: Bearer TOKEN`. " +
      "A wrong or missing token gets the same 404 UNAVAILABLE as an unknown handle.",
  },
  // "Session" is our own HTTP authentication scheme (RFC 9110 section 11): `http` with that scheme name says exactly
  // `Authorization: Session TOKEN`, which an apiKey named Authorization could only say in prose.
  sessionToken: {
    type: "http",
    scheme: "Session",
    description: "The single-use session token from POST /api/v1/links/{id}/session, sent as `Authorization: Session TOKEN`.",
  },
  sessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: SESSION_COOKIE,
    description: "The same session token in the HttpOnly cookie the session step set (what the web page uses).",
  },
} as const;

type SchemeName = keyof typeof SECURITY_SCHEMES;
type SecurityRequirement = ReadonlyArray<Readonly<Partial<Record<SchemeName, readonly string[]>>>>;

/** The sender's routes on one link (status, revoke). */
export const MANAGE_SECURITY: SecurityRequirement = [{ manageToken: [] }];

/** The issuer's routes on one passkey handle. */
export const HANDLE_SECURITY: SecurityRequirement = [{ handleToken: [] }];

/** The consume: either the Session header or the cookie (alternatives, not both). */
export const SESSION_SECURITY: SecurityRequirement = [{ sessionToken: [] }, { sessionCookie: [] }];
