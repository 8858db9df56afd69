/**
 * Which IP addresses are on the public internet. Media URLs come from Messenger; fetching one
 * that points at loopback, a private network or link-local metadata services would let a URL
 * reach what only the gateway host should (SSRF), so such addresses are refused unless the
 * admin runs against a local network (the simulated backend serves its files on loopback).
 *
 * @module
 */

/** True for an IPv4 or IPv6 literal that is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const host = address.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const v4 = parseIpv4(host);
  if (v4) return isPublicIpv4(v4);
  const v6 = parseIpv6(host);
  if (v6) return isPublicIpv6(v6);
  return false;
}

/** True when `host` is an IP literal (v4 or v6, with or without brackets). */
export function isIpLiteral(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return parseIpv4(bare) !== null || parseIpv6(bare) !== null;
}

function parseIpv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^[0-9]{1,3}$/.test(part))) return null;
  const bytes = parts.map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : null;
}

function isPublicIpv4([a, b, c]: number[]): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this, private, loop, multicast
  if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false; // link-local (cloud metadata)
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  return true;
}

/** Eight 16-bit groups, or null. */
function parseIpv6(host: string): number[] | null {
  if (!host.includes(":") || !/^[0-9a-f:.]+$/.test(host)) return null;
  let text = host;
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    // An embedded IPv4 address (e.g. ::ffff:127.0.0.1) stands for the last two groups.
    const v4 = parseIpv4(last);
    if (!v4) return null;
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${hex(v4[2], v4[3])}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const toGroups = (part: string) => part === "" ? [] : part.split(":");
  const head = toGroups(halves[0]);
  const rest = halves.length === 2 ? toGroups(halves[1]) : [];
  if (![...head, ...rest].every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  const known = head.length + rest.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  return [
    ...head.map((group) => parseInt(group, 16)),
    ...(halves.length === 2 ? new Array<number>(8 - known).fill(0) : []),
    ...rest.map((group) => parseInt(group, 16)),
  ];
}

function isPublicIpv6(groups: number[]): boolean {
  if (groups.slice(0, 7).every((group) => group === 0)) return false; // :: and ::1
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    // IPv4-mapped
    return isPublicIpv4([groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255]);
  }
  if ((groups[0] & 0xfe00) === 0xfc00) return false; // unique local
  if ((groups[0] & 0xffc0) === 0xfe80) return false; // link-local
  if ((groups[0] & 0xff00) === 0xff00) return false; // multicast
  if (groups[0] === 0x2001 && groups[1] === 0x0db8) return false; // documentation
  return true;
}
