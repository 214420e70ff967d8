import { isSecretShape } from "../core/ids.js";

/** A parsed recipient link: `{server}/l/{id}#{key}`, or without `#key` for a server-encrypted link. */
export interface LinkUrl {
  /** Base URL of the server (its PUBLIC_URL), without a trailing slash; may include a path prefix. */
  server: string;
  id: string;
  /** The client-layer key from the fragment; null when the link has none. */
  key: string | null;
}

/** A parsed manage link: `{server}/m/{id}#{token}`. */
export interface ManageUrl {
  server: string;
  id: string;
  token: string;
}

/**
 * Parses a recipient link. Returns null for anything that is not one: another path, a malformed id, or a
 * fragment that is present but is not a well-formed key (a link cut short while copying must not be opened,
 * since it could never be decrypted and opening it would burn it).
 * @example parseLinkUrl("https://s.example/l/AAAAAAAAAAAAAAAAAAAAAA#BBBBBBBBBBBBBBBBBBBBBA")
 * // { server: "https://s.example", id: "AAAA...", key: "BBBB..." }
 */
export function parseLinkUrl(url: string): LinkUrl | null {
  const parts = splitLinkUrl(url, "l");
  if (parts === null) return null;
  if (parts.fragment === "") return { server: parts.server, id: parts.id, key: null };
  if (!isSecretShape(parts.fragment)) return null;
  return { server: parts.server, id: parts.id, key: parts.fragment };
}

/**
 * Parses a manage link; null unless it has the `/m/{id}` path and a well-formed token in the fragment.
 * @example parseManageUrl("https://s.example/m/AAAAAAAAAAAAAAAAAAAAAA#CCCCCCCCCCCCCCCCCCCCCA")
 * // { server: "https://s.example", id: "AAAA...", token: "CCCC..." }
 */
export function parseManageUrl(url: string): ManageUrl | null {
  const parts = splitLinkUrl(url, "m");
  if (parts === null || !isSecretShape(parts.fragment)) return null;
  return { server: parts.server, id: parts.id, token: parts.fragment };
}

/**
 * Normalizes a server base URL (`http(s)://host[:port][/prefix]`) to have no trailing slash; null when it
 * is not an http(s) URL or carries a query, a fragment or credentials.
 * @example normalizeServerUrl("https://s.example/") // "https://s.example"
 */
export function normalizeServerUrl(server: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(server.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  if (parsed.search !== "" || parsed.hash !== "" || parsed.username !== "" || parsed.password !== "") return null;
  return (parsed.origin + parsed.pathname).replace(/\/+$/, "");
}

function splitLinkUrl(url: string, kind: "l" | "m"): { server: string; id: string; fragment: string } | null {
  let parsed: URL;
  try {
    // Links are pasted from chat and mail: tolerate surrounding whitespace, nothing else.
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  if (parsed.username !== "" || parsed.password !== "") return null;
  const match = new RegExp(`^(.*)/${kind}/([^/]+)$`).exec(parsed.pathname);
  if (match === null) return null;
  const id = match[2]!;
  if (!isSecretShape(id)) return null;
  return { server: parsed.origin + match[1]!, id, fragment: parsed.hash.replace(/^#/, "") };
}
