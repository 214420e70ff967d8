import { BlockList, isIP } from "node:net";

/** Splits "addr/prefix" (or a bare address) into a BlockList subnet, or null when it is not a valid CIDR. */
function parseCidr(text: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | null {
  const [address = "", prefixText, extra] = text.trim().split("/");
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

/** True when every entry is an IPv4/IPv6 CIDR or single address. */
export function validCidrs(list: readonly string[]): boolean {
  return list.every((entry) => parseCidr(entry) !== null);
}

/** True when `ip` is in one of `cidrs` (node:net BlockList; IPv4-mapped IPv6 client addresses are matched as IPv4). */
export function ipIn(cidrs: readonly string[], ip: string): boolean {
  const list = new BlockList();
  for (const entry of cidrs) {
    const cidr = parseCidr(entry);
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  const version = isIP(address);
  if (version === 0) return false;
  return list.check(address, version === 4 ? "ipv4" : "ipv6");
}

/**
 * True when the CIDR `inner` lies wholly inside one of `outers` (same family, a prefix at least as long, and its
 * network address inside). A template's network list may be narrowed this way, never widened.
 * @example cidrWithin("10.1.0.0/16", ["10.0.0.0/8"]) // true
 */
export function cidrWithin(inner: string, outers: readonly string[]): boolean {
  const a = parseCidr(inner);
  if (a === null) return false;
  return outers.some((outer) => {
    const b = parseCidr(outer);
    if (b === null || b.family !== a.family || a.prefix < b.prefix) return false;
    const list = new BlockList();
    list.addSubnet(b.address, b.prefix, b.family);
    return list.check(a.address, a.family);
  });
}
