// data-exfiltration pack: data leaving through a sink to a destination that only untrusted
// content named.
//   untrusted-destination  a sink call (send, post, share, pay, upload, HTTP with a body…) whose
//                          recipient / URL / domain / account / IBAN / phone argument appears in
//                          untrusted content but not in trusted content (user request, system
//                          prompt, configured allowlists)
//   untrusted-link-out     a response that embeds a URL with data in its query (markdown image or
//                          link) to a host only untrusted content named: rendering leaks the data
// Sinks come from tool-name heuristics (tool-actions.ts) plus config; destinations from argument
// names and from values that look like addresses.

import type { JsonValue, StreamEvent } from '../../events/types.js';
import { excerptAround } from '../canonicalize.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, isDisabled } from '../pack.js';
import { argLeaves } from '../provenance/index.js';
import { toolAction } from '../provenance/tool-actions.js';
import type { RunState } from '../run-state.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';
import { emailSpans, ibanSpans } from '../pii/index.js';

export interface DataExfiltrationConfig extends PackConfigBase {
  /** extra sink tools (exact names) */
  sinkTools?: readonly string[];
  /** tools that are never sinks */
  notSinkTools?: readonly string[];
  /** extra destination argument names */
  destinationArgs?: readonly string[];
  /** trusted destinations: addresses, domains (`example.com` also allows subdomains), accounts */
  allowDestinations?: readonly string[];
}

const CLASSIFICATION = ['LLM02', 'LLM01', 'LLM06', 'AML.T0057', 'AML.T0025', 'AGENTIC-T2'] as const;

const DESTINATION_ARGS = new Set([
  'to', 'cc', 'bcc', 'recipient', 'recipients', 'email', 'emails', 'email_address', 'address', 'phone', 'phone_number', 'number',
  'url', 'uri', 'endpoint', 'webhook', 'webhook_url', 'host', 'hostname', 'domain', 'domains', 'channel', 'account', 'account_number',
  'account_id', 'iban', 'payee', 'payee_id', 'destination', 'dest', 'target', 'receiver', 'beneficiary', 'wallet', 'wallet_address',
  'handle', 'username', 'user', 'guest', 'guest_id', 'guest_ids', 'to_account', 'to_account_number', 'recipient_email', 'link',
  'server', 'bucket', 'repo', 'repository', 'remote', 'chat_id', 'friend', 'contact', 'shared_with', 'share_with', 'email_id_to',
]);

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** URLs with a network scheme, found from each `://` (linear, no regex over the whole text). */
export function urlSpans(text: string): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  for (;;) {
    const p = text.indexOf('://', from);
    if (p < 0 || out.length > 64) return out;
    from = p + 3;
    let s = p;
    while (s > 0 && p - s < 8 && isAsciiLetter(text.charCodeAt(s - 1))) s--;
    const scheme = text.slice(s, p).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ftp' && scheme !== 'ws' && scheme !== 'wss') continue;
    let e = p + 3;
    while (e < text.length && e - p < 4096) {
      const c = text.charCodeAt(e);
      if (c <= 32 || c === 34 || c === 39 || c === 60 || c === 62 || c === 40 || c === 41 || c === 96) break;
      e++;
    }
    out.push([s, e]);
    from = e;
  }
}

function hostOf(url: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]+\]|[^/:?#]+)/i.exec(url);
  return m === null ? null : (m[1] as string).toLowerCase();
}

/** A URL whose query or fragment holds enough characters to carry data out. */
function carriesQueryData(value: string): boolean {
  for (const [s, e] of urlSpans(value)) {
    const url = value.slice(s, e);
    const q = url.search(/[?#]/);
    if (q >= 0 && url.length - q > 24) return true;
  }
  return false;
}

/** Candidate destinations inside one argument value: the value itself, plus addresses inside it. */
function destinationsIn(value: string, isDestArg: boolean): string[] {
  const out: string[] = [];
  if (isDestArg && value.length <= 256) out.push(value.trim());
  if (value.length > 8192) return out;
  for (const [s, e] of emailSpans(value)) out.push(value.slice(s, e));
  if (value.indexOf('://') >= 0) {
    for (const [s, e] of urlSpans(value)) {
      const host = hostOf(value.slice(s, e));
      if (host !== null) out.push(host);
    }
  }
  // an IBAN is a destination when it is (nearly) the whole value, not when it is data in a body
  if (value.length <= 64) for (const [s, e] of ibanSpans(value)) out.push(value.slice(s, e));
  if (out.length <= 1) return out.length === 1 && (out[0] as string).length >= 4 ? out : [];
  // distinct, in first-seen order
  const unique: string[] = [];
  for (const d of out) if (d.length >= 4 && !unique.includes(d)) unique.push(d);
  return unique;
}

export class DataExfiltrationPack implements FrameworkPack {
  readonly name = 'data-exfiltration' as const;
  readonly version = 'data-exfiltration@1';
  readonly stateful = true;
  readonly mode;
  private readonly destArgs: ReadonlySet<string>;
  private readonly allow: readonly string[];

  constructor(private readonly config: DataExfiltrationConfig = {}) {
    this.mode = config.mode;
    this.destArgs = new Set([...DESTINATION_ARGS, ...(config.destinationArgs ?? []).map((s) => s.toLowerCase())]);
    this.allow = (config.allowDestinations ?? []).map((s) => s.toLowerCase());
  }

  /**
   * `full`: any destination argument counts (send, post, pay, upload…). `query`: a read-only
   * network tool (fetch, browse) sends data only in the URL, so only URLs carrying a query or
   * fragment count: following a link a page named is ordinary browsing.
   */
  sinkKind(tool: string): 'full' | 'query' | null {
    if (this.config.sinkTools?.includes(tool)) return 'full';
    if (this.config.notSinkTools?.includes(tool)) return null;
    const a = toolAction(tool);
    if (a.sink || (a.network && !a.readOnly)) return 'full';
    return a.network ? 'query' : null;
  }

  private allowed(dest: string): boolean {
    const d = dest.toLowerCase();
    for (const a of this.allow) {
      if (d === a) return true;
      // domain allowlist: the address or host ends with it
      if (a.includes('.') && !a.includes('@') && (d.endsWith('.' + a) || d.endsWith('@' + a))) return true;
    }
    return false;
  }

  check(event: StreamEvent, texts: readonly TextInput[], run: RunState | undefined, out: FrameworkFinding[]): void {
    if (run === undefined) return;
    if (event.kind === 'tool.call') this.checkCall(event.tool, event.args, 'args', run, out);
    else if (event.kind === 'llm.response' && event.toolCalls !== undefined) {
      event.toolCalls.forEach((c, i) => this.checkCall(c.tool, c.args, `toolCalls[${i}].args`, run, out));
    }
    if (event.kind === 'agent.response' || event.kind === 'llm.response') {
      for (const t of texts) if (t.direction === 'model_output') this.checkLinks(t, run, out);
    }
  }

  private checkCall(tool: string, args: Record<string, JsonValue>, prefix: string, run: RunState, out: FrameworkFinding[]): void {
    const kind = this.sinkKind(tool);
    if (kind === null || isDisabled(this.config, 'untrusted-destination')) return;
    for (const [field, value, leaf] of argLeaves(args, prefix)) {
      const isDest = this.destArgs.has(leaf);
      if (kind === 'query' && !carriesQueryData(value)) continue;
      for (const dest of destinationsIn(value, isDest && kind === 'full')) {
        if (this.allow.length > 0 && this.allowed(dest)) continue;
        if (run.taint.origin(dest) !== 'untrusted-only') continue;
        const at = value.toLowerCase().indexOf(dest.toLowerCase());
        const start = at < 0 ? 0 : at;
        const end = at < 0 ? value.length : at + dest.length;
        out.push({
          pack: 'data-exfiltration',
          rule: 'untrusted-destination',
          severity: 'high',
          classification: CLASSIFICATION,
          message: `\`${tool}\` sends to \`${dest}\`, which only untrusted content named`,
          action: actionFor(this.config, 'untrusted-destination', 'block'),
          evidence: { field, start, end, excerpt: excerptAround(value, start, end, false) },
          entity: 'destination',
        });
        return;
      }
    }
  }

  private checkLinks(t: TextInput, run: RunState, out: FrameworkFinding[]): void {
    if (isDisabled(this.config, 'untrusted-link-out') || t.text.indexOf('://') < 0) return;
    for (const [us, ue] of urlSpans(t.text)) {
      const url = t.text.slice(us, ue);
      const m = { index: us };
      const q = url.indexOf('?');
      const image = m.index >= 2 && t.text.lastIndexOf('![', m.index) >= 0 && t.text.slice(t.text.lastIndexOf('![', m.index), m.index).includes('](');
      if (q < 0 && !image) continue;
      if (q >= 0 && url.length - q < 12 && !image) continue;
      const host = hostOf(url);
      if (host === null || this.allowed(host) || run.taint.origin(host) !== 'untrusted-only') continue;
      const start = m.index;
      out.push({
        pack: 'data-exfiltration',
        rule: 'untrusted-link-out',
        severity: 'high',
        classification: CLASSIFICATION,
        message: `response embeds a URL with data to \`${host}\`, a host only untrusted content named`,
        action: actionFor(this.config, 'untrusted-link-out', 'block'),
        evidence: { field: t.field, start, end: start + url.length, excerpt: excerptAround(t.text, start, start + url.length, false) },
        entity: 'url',
      });
    }
  }
}
