// ssrf pack: URLs and hosts in the agent's outbound arguments that reach private, loopback,
// link-local or cloud-metadata addresses (in any spelling, see url.ts), names that resolve inside
// (single-label hosts, `.internal`, wildcard DNS that echoes an embedded internal IP), numeric
// hosts no standard parser accepts (some fetchers wrap them into internal addresses), and
// schemes that talk to raw services or files (`gopher:`, `dict:`, `file:` …).

import type { StreamEvent } from '../../events/types.js';
import type { Direction } from '../../events/types.js';
import { inputLeaf } from '../event-text.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, isDisabled, makeFinding } from '../pack.js';
import type { RunState } from '../run-state.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';
import { canonicalHost, classifyHostString, classifyIpv4, judgeHost, parseIpv4, parseUrl } from './url.js';
import type { ParsedUrl } from './url.js';

export interface SsrfConfig extends PackConfigBase {
  /** schemes always refused (default: file gopher dict ldap ldaps tftp sftp ftp ftps netdoc jar expect php phar glob smb telnet jdbc redis javascript vbscript) */
  denySchemes?: readonly string[];
  /** hosts (exact, or `.suffix`) the agent may reach even though they are internal */
  allowHosts?: readonly string[];
  /** directions inspected (default: the agent's outbound arguments) */
  directions?: readonly Direction[];
}

const CLASSIFICATION = ['LLM06', 'AGENTIC-T2', 'AML.T0053'] as const;
const DEFAULT_DENY = ['file', 'gopher', 'dict', 'ldap', 'ldaps', 'tftp', 'sftp', 'ftp', 'ftps', 'netdoc', 'jar', 'expect', 'php', 'phar', 'glob', 'smb', 'telnet', 'jdbc', 'redis', 'javascript', 'vbscript'];
const HOST_ARGS = new Set(['host', 'hostname', 'ip', 'ip_address', 'domain', 'server', 'target', 'address', 'endpoint', 'url', 'uri', 'link', 'href', 'src', 'webhook', 'callback', 'redirect', 'proxy']);
const RULES: Readonly<Record<string, { severity: 'critical' | 'high' | 'medium'; message: string }>> = {
  'metadata-endpoint': { severity: 'critical', message: 'cloud metadata endpoint' },
  'internal-address': { severity: 'high', message: 'internal address' },
  'malformed-host': { severity: 'high', message: 'ambiguous host' },
  'disallowed-scheme': { severity: 'high', message: 'disallowed scheme' },
  'embedded-internal-target': { severity: 'medium', message: 'internal target inside the URL' },
};

interface UrlHit {
  rule: string;
  start: number;
  end: number;
  detail: string;
}

function isSchemeChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
}
function urlEnd(text: string, from: number): number {
  let e = from;
  while (e < text.length && e - from < 8192) {
    const c = text.charCodeAt(e);
    if (c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 || c === 96 || c === 41 && text.lastIndexOf('(', e) < from) break;
    e++;
  }
  return e;
}

export class SsrfPack implements FrameworkPack {
  readonly name = 'ssrf' as const;
  readonly version = 'ssrf@1';
  readonly stateful = false;
  readonly mode;
  private readonly deny: ReadonlySet<string>;
  private readonly allowHosts: readonly string[];
  private readonly directions: ReadonlySet<Direction>;

  constructor(private readonly config: SsrfConfig = {}) {
    this.mode = config.mode;
    this.deny = new Set((config.denySchemes ?? DEFAULT_DENY).map((s) => s.toLowerCase()));
    this.allowHosts = (config.allowHosts ?? []).map((h) => h.toLowerCase());
    this.directions = new Set(config.directions ?? ['agent_outbound']);
  }

  check(_event: StreamEvent, texts: readonly TextInput[], _run: RunState | undefined, out: FrameworkFinding[]): void {
    for (const t of texts) if (this.directions.has(t.direction)) this.scanText(t, out);
  }

  private hostAllowed(host: string): boolean {
    return this.allowHosts.some((a) => (a.startsWith('.') ? host.endsWith(a) || host === a.slice(1) : host === a));
  }

  /** Judge one parsed URL; pushes at most one hit for its authority. */
  judgeUrl(u: ParsedUrl, start: number, end: number, hits: UrlHit[]): void {
    if (this.deny.has(u.scheme)) {
      hits.push({ rule: 'disallowed-scheme', start, end, detail: `scheme \`${u.scheme}:\`` });
      return;
    }
    if (u.scheme !== 'http' && u.scheme !== 'https' && u.scheme !== 'ws' && u.scheme !== 'wss') return;
    if (this.hostAllowed(u.host)) return;
    const v = judgeHost(u.hostKind);
    if (v.internal) {
      const meta = u.hostKind.kind === 'ipv4' && classifyIpv4(u.hostKind.value) === 'metadata' || /metadata|instance-data/.test(u.host) || v.reason.startsWith('metadata');
      hits.push({ rule: meta ? 'metadata-endpoint' : u.hostKind.kind === 'invalid' ? 'malformed-host' : 'internal-address', start, end, detail: `${v.reason} (\`${u.host}\`)` });
      return;
    }
    // a second host hidden in the userinfo (`http://127.0.0.1:80\@evil.com` style confusion)
    if (u.userinfo !== '') {
      const alt = canonicalHost(u.userinfo.replace(/[:\\].*$/s, ''));
      const k = classifyHostString(alt);
      if ((k.kind === 'ipv4' || k.kind === 'ipv6') && judgeHost(k).internal) {
        hits.push({ rule: 'internal-address', start, end, detail: `userinfo names the internal host \`${alt}\`` });
        return;
      }
    }
    // proxy-style paths and redirect parameters that carry an internal address
    const rest = u.rest;
    // the pattern needs a dotted number or one of the two names; most paths have neither
    if (!((rest.indexOf('.') >= 0 && /\d/.test(rest)) || rest.indexOf('localhost') >= 0 || rest.indexOf('metadata.google.internal') >= 0)) return;
    const re = /(?:^|[^0-9.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(?![0-9.])|(?:\/\/|@|=|\/)(?:localhost|metadata\.google\.internal)(?=[:/?#&]|$)/g;
    for (const m of rest.matchAll(re)) {
      const ip = m[1];
      if (ip !== undefined) {
        const val = parseIpv4(ip);
        if (typeof val !== 'number' || classifyIpv4(val) === 'public') continue;
      }
      hits.push({ rule: 'embedded-internal-target', start, end, detail: `path or query names \`${ip ?? m[0]}\`` });
      return;
    }
  }

  scanText(input: TextInput, out: FrameworkFinding[]): void {
    const text = input.text;
    if (text.length < 3) return;
    const hits: UrlHit[] = [];
    let found = false;
    // every `scheme://` (nested URLs in query strings included) and `file:` without slashes
    let from = 0;
    for (;;) {
      const p = text.indexOf(':', from);
      if (p < 0) break;
      from = p + 1;
      let s = p;
      while (s > 0 && isSchemeChar(text.charCodeAt(s - 1)) && p - s < 32) s--;
      while (s < p && !((text.charCodeAt(s) | 32) >= 97 && (text.charCodeAt(s) | 32) <= 122)) s++;
      if (s === p) continue;
      const scheme = text.slice(s, p).toLowerCase();
      const slashes = text.charCodeAt(p + 1) === 47 || text.charCodeAt(p + 1) === 92;
      if (!slashes && !this.deny.has(scheme)) continue;
      if (!slashes && (scheme === 'javascript' || scheme === 'file' || scheme === 'jar' || scheme === 'netdoc') === false) continue;
      const e = urlEnd(text, p);
      const u = parseUrl(text.slice(s, e));
      if (u === null) continue;
      found = true;
      this.judgeUrl(u, s, e, hits);
    }
    // a bare host in a host-like argument
    if (!found && input.kind !== 'llm.request' && HOST_ARGS.has(inputLeaf(input)) && text.length <= 255 && !/\s/.test(text.trim())) {
      const u = parseUrl('http://' + text.trim().replace(/^\/\//, ''));
      if (u !== null) this.judgeUrl(u, 0, text.length, hits);
    }
    const seen = new Set<number>();
    for (const h of hits) {
      if (seen.has(h.start) || isDisabled(this.config, h.rule)) continue;
      seen.add(h.start);
      const r = RULES[h.rule] ?? { severity: 'high', message: h.rule };
      out.push(makeFinding('ssrf', h.rule, { severity: r.severity, action: actionFor(this.config, h.rule, 'block'), classification: CLASSIFICATION }, input, h.start, h.end, `${r.message}: ${h.detail}`, false));
    }
  }
}
