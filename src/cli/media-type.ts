import { extname } from "node:path";

// Only types a browser can show or save harmlessly. HTML, SVG and XML are left out on purpose: sealed in the
// envelope as text/html, a careless page could render a sender's markup in its own origin.
const TYPES_BY_EXTENSION: Readonly<Record<string, string>> = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".log": "text/plain",
  ".json": "application/json",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".toml": "application/toml",
  ".env": "text/plain",
  ".ini": "text/plain",
  ".conf": "text/plain",
  ".pem": "application/x-pem-file",
  ".crt": "application/x-x509-ca-cert",
  ".cer": "application/pkix-cert",
  ".key": "application/x-pem-file",
  ".pub": "text/plain",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".zip": "application/zip",
  ".gz": "application/gzip",
  ".tgz": "application/gzip",
  ".tar": "application/x-tar",
  ".7z": "application/x-7z-compressed",
  ".kdbx": "application/x-keepass2",
  ".p12": "application/pkcs12",
  ".pfx": "application/pkcs12",
};

/**
 * Guesses a media type from a file name's extension; `application/octet-stream` when unknown.
 * @example guessMediaType("notes.TXT") // "text/plain"
 */
export function guessMediaType(fileName: string): string {
  return TYPES_BY_EXTENSION[extname(fileName).toLowerCase()] ?? "application/octet-stream";
}
