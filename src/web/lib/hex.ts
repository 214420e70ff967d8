/**
 * Hex in groups of eight, so two people can read a SHA-256 out to each other and compare it.
 * @example groupHex("e3b0c44298fc1c14...") // "e3b0c442 98fc1c14 ..."
 */
export function groupHex(hex: string): string {
  return hex.replace(/(.{8})(?=.)/g, "$1 ");
}
