import type { Ranked } from "./access-log-summary.js";

/**
 * A client address with its host part taken off: an IPv4 address to its /24 (`203.0.113.0/24`), an
 * IPv6 one to its /48. Enough to see that one network hammers a path; not enough to name a person
 * (client IPs are personal data, and the config says who sees them whole).
 */
export function maskIp(ip: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  if (ip.includes(":")) {
    const groups = expandIpv6(ip);
    if (groups) return `${groups.slice(0, 3).join(":")}::/48`;
  }
  return "(masked)";
}

/** The eight groups of an IPv6 address (`::` filled in), or undefined when it is not one. */
function expandIpv6(ip: string): string[] | undefined {
  const halves = ip.toLowerCase().split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))
    ? groups.map((g) => g.replace(/^0+(?=.)/, ""))
    : undefined;
}

/** The top clients, masked: addresses of one network are counted together, largest first. */
export function maskedClients(top: readonly Ranked[]): Ranked[] {
  const merged = new Map<string, Ranked>();
  for (const entry of top) {
    const value = maskIp(entry.value);
    const held = merged.get(value);
    merged.set(
      value,
      held
        ? { value, count: held.count + entry.count, exact: held.exact && entry.exact }
        : { value, count: entry.count, exact: entry.exact },
    );
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}
