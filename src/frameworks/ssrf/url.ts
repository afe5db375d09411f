// URL and host canonicalisation for the SSRF pack, written to see what a fetcher would really
// connect to: WHATWG-style authority parsing (userinfo up to the last '@', '\' as '/'),
// percent-decoding and NFKC of the host (fullwidth/enclosed characters, ideographic dots), all
// IPv4 spellings (decimal, octal, hex, 1–4 parts), IPv6 with embedded/mapped IPv4, and a
// classification of the resulting address. Never throws; inputs are bounded.

import { canonicalText, percentDecodeDeep } from '../canonicalize.js';

export type HostKind =
  | { kind: 'ipv4'; value: number }
  | { kind: 'ipv6'; groups: number[] }
  | { kind: 'name'; name: string }
  | { kind: 'invalid'; reason: string };

export interface ParsedUrl {
  scheme: string;
  /** host as written (before canonicalisation) */
  rawHost: string;
  /** canonical host: lower-case, decoded, NFKC, dots normalised, trailing dot removed */
  host: string;
  hostKind: HostKind;
  port: number | undefined;
  userinfo: string;
  /** path + query + fragment as written */
  rest: string;
}

const MAX_URL = 8192;

/** Parse one URL string. Returns null when it has no `scheme:` prefix. */
export function parseUrl(input: string): ParsedUrl | null {
  const s = input.length > MAX_URL ? input.slice(0, MAX_URL) : input;
  const m = /^\s*([a-zA-Z][a-zA-Z0-9+.-]{0,31}):/.exec(s);
  if (m === null) return null;
  const scheme = (m[1] as string).toLowerCase();
  let i = m[0].length;
  // authority follows // (or \\ and mixtures for special schemes)
  let slashes = 0;
  while (i < s.length && (s[i] === '/' || s[i] === '\\') && slashes < 8) {
    i++;
    slashes++;
  }
  if (slashes < 2 && scheme !== 'http' && scheme !== 'https') {
    return { scheme, rawHost: '', host: '', hostKind: { kind: 'invalid', reason: 'no authority' }, port: undefined, userinfo: '', rest: s.slice(i) };
  }
  let end = i;
  while (end < s.length) {
    const c = s[end];
    if (c === '/' || c === '\\' || c === '?' || c === '#') break;
    end++;
  }
  const authority = s.slice(i, end);
  const rest = s.slice(end);
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  let hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  let port: number | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    const after = close >= 0 ? hostPort.slice(close + 1) : '';
    if (after.startsWith(':') && /^\d{1,5}$/.test(after.slice(1))) port = Number(after.slice(1));
    hostPort = close >= 0 ? hostPort.slice(0, close + 1) : hostPort;
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon >= 0) {
      const p = hostPort.slice(colon + 1);
      if (/^\d{0,5}$/.test(p)) {
        port = p === '' ? undefined : Number(p);
        hostPort = hostPort.slice(0, colon);
      }
    }
  }
  const rawHost = hostPort;
  const host = canonicalHost(rawHost);
  return { scheme, rawHost, host, hostKind: classifyHostString(host), port, userinfo, rest };
}

/** Lower-case, percent-decoded, NFKC, with Unicode full stops as '.', and no trailing dot. */
export function canonicalHost(raw: string): string {
  let h = percentDecodeDeep(raw, 3);
  h = canonicalText(h).text;
  h = h.replace(/[\u3002\uff0e\uff61]/g, '.').toLowerCase();
  while (h.endsWith('.') && h.length > 1) h = h.slice(0, -1);
  return h;
}

/** Parse one IPv4 part like WHATWG: decimal, 0x hex, leading-0 octal. NaN if not a number. */
function ipv4Part(p: string): number {
  if (p === '') return NaN;
  if (/^0x[0-9a-f]*$/i.test(p)) return p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
  if (/^0[0-7]+$/.test(p)) return Number.parseInt(p.slice(1), 8);
  if (/^[0-9]+$/.test(p)) return Number(p);
  return NaN;
}

/**
 * IPv4 in any spelling WHATWG accepts (`127.1`, `2130706433`, `0x7f.0.0.1`, `0177.0.0.1`).
 * Returns the 32-bit value, 'overflow' for a numeric host out of range (some parsers wrap it), or
 * null when the host does not end in a number (it is a name).
 */
export function parseIpv4(host: string): number | 'overflow' | null {
  const parts = host.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const last = parts[parts.length - 1] ?? '';
  if (!/^(0x[0-9a-f]*|[0-9]+)$/i.test(last)) return null;
  if (parts.length > 4) return 'overflow';
  const nums = parts.map(ipv4Part);
  if (nums.some((n) => Number.isNaN(n))) return 'overflow';
  for (let k = 0; k < nums.length - 1; k++) if ((nums[k] as number) > 255) return 'overflow';
  const lastNum = nums[nums.length - 1] as number;
  if (lastNum >= 256 ** (5 - nums.length)) return 'overflow';
  let v = lastNum;
  for (let k = 0; k < nums.length - 1; k++) v += (nums[k] as number) * 256 ** (3 - k);
  return v >>> 0;
}

/** IPv6 literal (without brackets) to 8 groups, or null. Accepts an embedded dotted IPv4 tail and a %zone. */
export function parseIpv6(s: string): number[] | null {
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length === 0 || s.length > 64 || !/^[0-9a-f:.]+$/i.test(s)) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const toGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let k = 0; k < items.length; k++) {
      const it = items[k] as string;
      if (k === items.length - 1 && it.includes('.')) {
        const v4 = parseIpv4(it);
        if (typeof v4 !== 'number' || !/^\d+\.\d+\.\d+\.\d+$/.test(it)) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-f]{1,4}$/i.test(it)) return null;
      out.push(Number.parseInt(it, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const head = toGroups(s.slice(0, dbl));
    const tail = toGroups(s.slice(dbl + 2));
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const g = toGroups(s);
  return g !== null && g.length === 8 ? g : null;
}

export function classifyHostString(host: string): HostKind {
  if (host.startsWith('[')) {
    const inner = host.endsWith(']') ? host.slice(1, -1) : host.slice(1);
    const g = parseIpv6(inner);
    return g === null ? { kind: 'invalid', reason: 'bad IPv6 literal' } : { kind: 'ipv6', groups: g };
  }
  if (host.includes(':')) {
    const g = parseIpv6(host);
    if (g !== null) return { kind: 'ipv6', groups: g };
  }
  const v4 = parseIpv4(host);
  if (v4 === 'overflow') return { kind: 'invalid', reason: 'numeric host that is not a valid IPv4 address' };
  if (v4 !== null) return { kind: 'ipv4', value: v4 };
  if (host === '') return { kind: 'invalid', reason: 'empty host' };
  if (/[^a-z0-9._~-]/.test(host) && !/[^\x00-\x7f]/.test(host)) return { kind: 'invalid', reason: 'characters not allowed in a host name' };
  return { kind: 'name', name: host };
}

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'shared'
  | 'reserved'
  | 'multicast';

/** Special-purpose ranges (IANA registry facts); metadata endpoints called out by address. */
export function classifyIpv4(v: number): AddressClass {
  const a = v >>> 24;
  const b = (v >>> 16) & 255;
  const c = (v >>> 8) & 255;
  if (v === 0xa9fea9fe || v === 0xa9feaa02 || v === 0x646464c8 || v === 0xc00000c0 || v === 0xa9fea97b) return 'metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'shared';
  if (a === 192 && b === 0 && c === 0) return 'reserved';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

export function classifyIpv6(g: readonly number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeros5 = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeros5 && g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
  if (zeros5 && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96
  if ((zeros5 && (g5 === 0xffff || g5 === 0)) || (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)) {
    return classifyIpv4(((g6 << 16) | g7) >>> 0);
  }
  // 6to4 2002:AABB:CCDD::/48 embeds an IPv4 address
  if (g0 === 0x2002) return classifyIpv4(((g1 << 16) | g2) >>> 0);
  if (g0 === 0xfd00 && g1 === 0x0ec2) return 'metadata';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return 'link-local';
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

const INTERNAL_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa', '.intranet', '.corp', '.lan', '.svc', '.cluster.local', '.in-addr.arpa'];
const INTERNAL_NAMES = new Set(['metadata.packet.net', 'metadata.platformequinix.com', 'metadata.tencentyun.com', 'localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback', 'metadata', 'metadata.google.internal', 'instance-data', 'instance-data.ec2.internal', 'kubernetes', 'kubernetes.default', 'broadcasthost']);
// Public wildcard-DNS services that answer any name with the IP written inside it.
const IP_ECHO_DOMAINS = ['nip.io', 'sslip.io', 'xip.io', 'traefik.me', 'localtest.me', 'lvh.me', 'vcap.me', 'lacolhost.com', 'rbndr.us', 'nip.direct', 'ip.addr.tools'];

export interface HostVerdict {
  internal: boolean;
  reason: string;
}

/** Does an IP address written inside a host name (`127.0.0.1.nip.io`, `10-0-0-1.sslip.io`, `7f000001.rbndr.us`) point inside? */
function embeddedAddress(name: string): HostVerdict | null {
  if (!/\d/.test(name) && !IP_ECHO_DOMAINS.some((d) => name === d || name.endsWith('.' + d))) return null;
  const labels = name.split('.');
  // dotted: four numeric labels somewhere in the name
  for (let k = 0; k + 4 <= labels.length - 1; k++) {
    const cand = labels.slice(k, k + 4).join('.');
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(cand)) {
      const v = parseIpv4(cand);
      if (typeof v === 'number' && classifyIpv4(v) !== 'public') return { internal: true, reason: `name embeds the internal address ${cand}` };
    }
  }
  for (const label of labels.slice(0, -1)) {
    const dashed = /(?:^|-)(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})(?:$|-)/.exec(label);
    if (dashed !== null) {
      const v = parseIpv4(dashed.slice(1, 5).join('.'));
      if (typeof v === 'number' && classifyIpv4(v) !== 'public') return { internal: true, reason: `name embeds the internal address ${dashed.slice(1, 5).join('.')}` };
    }
    if (/^[0-9a-f]{8}$/.test(label) && IP_ECHO_DOMAINS.some((d) => name.endsWith('.' + d))) {
      const v = Number.parseInt(label, 16) >>> 0;
      if (classifyIpv4(v) !== 'public') return { internal: true, reason: `name embeds the internal address 0x${label}` };
    }
  }
  if (IP_ECHO_DOMAINS.some((d) => name === d || name.endsWith('.' + d)) && (name.startsWith('localhost') || name.endsWith('localtest.me') || name.endsWith('lvh.me') || name.endsWith('vcap.me'))) {
    return { internal: true, reason: 'name resolves to loopback' };
  }
  return null;
}

/** Is a canonical host internal (or too ambiguous to let through)? */
export function judgeHost(kind: HostKind): HostVerdict {
  switch (kind.kind) {
    case 'ipv4': {
      const c = classifyIpv4(kind.value);
      return c === 'public' ? { internal: false, reason: 'public IPv4' } : { internal: true, reason: `${c} IPv4 address` };
    }
    case 'ipv6': {
      const c = classifyIpv6(kind.groups);
      return c === 'public' ? { internal: false, reason: 'public IPv6' } : { internal: true, reason: `${c} IPv6 address` };
    }
    case 'invalid':
      return { internal: true, reason: kind.reason };
    case 'name': {
      const n = kind.name;
      if (n.startsWith('metadata.') && INTERNAL_NAMES.has(n)) return { internal: true, reason: `metadata service \`${n}\`` };
      if (INTERNAL_NAMES.has(n) || INTERNAL_SUFFIXES.some((s) => n.endsWith(s))) return { internal: true, reason: `internal host name \`${n}\`` };
      if (!n.includes('.')) return { internal: true, reason: `single-label host \`${n}\` resolves only on the local network` };
      const e = embeddedAddress(n);
      if (e !== null) return e;
      return { internal: false, reason: 'public name' };
    }
  }
}
