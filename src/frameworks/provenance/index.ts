// provenance pack: decisions from the run's taint state at a tool call.
//   injected-instruction-followed  after instruction-like content arrived from a tool/document,
//                                  a consequential call that the user's request does not ask for
//   tainted-argument               a consequential call whose argument value came only from
//                                  untrusted content (record-only by default)
//   encoded-output-after-injection a response re-encoded (base64/hex text) after such content
// "Consequential" = the tool does more than read (see tool-actions.ts); "asked for" = the tool's
// verb and object words appear in trusted content.

import type { JsonValue, StreamEvent } from '../../events/types.js';
import { base64TextSpans, excerptAround } from '../canonicalize.js';
import { fieldLeaf, keyLeaf } from '../event-text.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, isDisabled } from '../pack.js';
import type { RunState } from '../run-state.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';
import { groundedIn, toolAction } from './tool-actions.js';

export interface ProvenanceConfig extends PackConfigBase {
  /** tools that only read, whatever their names say */
  readOnlyTools?: readonly string[];
  /** tools that are always consequential */
  consequentialTools?: readonly string[];
  /** tools the user pre-approved for this deployment (never "unasked for") */
  allowedTools?: readonly string[];
  /** argument names whose values are never judged (ids the agent legitimately copies, …) */
  ignoreArgs?: readonly string[];
}

const CLASSIFICATION = ['LLM01', 'LLM06', 'AML.T0051.001', 'AGENTIC-T6', 'AGENTIC-T2'] as const;

export function isConsequential(tool: string, cfg: ProvenanceConfig | undefined): boolean {
  if (cfg?.consequentialTools?.includes(tool)) return true;
  if (cfg?.readOnlyTools?.includes(tool)) return false;
  return !toolAction(tool).readOnly;
}

/** Argument leaves of a call as (field, value, fieldLeaf(field)) triples, strings and numbers only. */
export function argLeaves(args: Record<string, JsonValue>, prefix = 'args'): [string, string, string][] {
  const out: [string, string, string][] = [];
  walkLeaves(args, prefix, fieldLeaf(prefix), 0, out);
  return out;
}

function walkLeaves(v: JsonValue, path: string, leaf: string, depth: number, out: [string, string, string][]): void {
  if (out.length > 512 || depth > 12 || v === null) return;
  if (typeof v === 'string') out.push([path, v, leaf]);
  else if (typeof v === 'number') out.push([path, String(v), leaf]);
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) walkLeaves(v[i] as JsonValue, `${path}[${i}]`, leaf, depth + 1, out);
  else if (typeof v === 'object') {
    for (const k of Object.keys(v)) {
      const child = `${path}.${k}`;
      walkLeaves(v[k] as JsonValue, child, keyLeaf(k, child), depth + 1, out);
    }
  }
}

export class ProvenancePack implements FrameworkPack {
  readonly name = 'provenance' as const;
  readonly version = 'provenance@1';
  readonly stateful = true;
  readonly mode;

  private readonly ignore: ReadonlySet<string>;

  constructor(private readonly config: ProvenanceConfig = {}) {
    this.mode = config.mode;
    this.ignore = new Set((config.ignoreArgs ?? []).map((a) => a.toLowerCase()));
  }

  check(event: StreamEvent, _texts: readonly TextInput[], run: RunState | undefined, out: FrameworkFinding[]): void {
    if (run === undefined) return;
    const calls: { tool: string; args: Record<string, JsonValue>; prefix: string }[] = [];
    if (event.kind === 'tool.call') calls.push({ tool: event.tool, args: event.args, prefix: 'args' });
    else if (event.kind === 'llm.response' && event.toolCalls !== undefined) event.toolCalls.forEach((c, i) => calls.push({ tool: c.tool, args: c.args, prefix: `toolCalls[${i}].args` }));
    for (const call of calls) this.checkCall(call.tool, call.args, call.prefix, run, out);
    if ((event.kind === 'agent.response' || event.kind === 'llm.response') && run.taint.injected && !isDisabled(this.config, 'encoded-output-after-injection')) {
      this.checkEncodedOutput(event.kind, event.content, run, out);
    }
  }

  // "answer in base64": after untrusted content carried instructions, output re-encoded so a
  // reader (or a filter) cannot see what it says
  private checkEncodedOutput(kind: 'agent.response' | 'llm.response', content: string, run: RunState, out: FrameworkFinding[]): void {
    if (content.length < 24) return;
    const spans = base64TextSpans(content, 24, 2);
    let encoded = spans[0];
    if (encoded === undefined) {
      const hex = /(?:[0-9a-f]{2}\s?){24,}/i.exec(content);
      if (hex === null) return;
      encoded = { start: hex.index, end: hex.index + hex[0].length, decoded: '' };
    }
    const mark = run.taint.injections[run.taint.injections.length - 1];
    out.push({
      pack: 'provenance',
      rule: 'encoded-output-after-injection',
      severity: 'high',
      classification: CLASSIFICATION,
      message: `response carries encoded text after instruction-like content arrived in \`${mark?.field ?? 'a tool result'}\``,
      action: actionFor(this.config, 'encoded-output-after-injection', kind === 'agent.response' ? 'prevent_response' : 'block'),
      evidence: { field: 'content', start: encoded.start, end: encoded.end, excerpt: excerptAround(content, encoded.start, encoded.end, false) },
    });
  }

  private checkCall(tool: string, args: Record<string, JsonValue>, prefix: string, run: RunState, out: FrameworkFinding[]): void {
    if (!isConsequential(tool, this.config) || this.config.allowedTools?.includes(tool)) return;
    const taint = run.taint;
    const grounded = groundedIn(tool, taint.trustedWords());
    const ignore = this.ignore;
    const tainted: [string, string][] = [];
    for (const [field, value, leaf] of argLeaves(args, prefix)) {
      // destinations and ids are short; long free text is judged by the exfiltration pack
      if (value.length < 4 || value.length > 200 || ignore.has(leaf)) continue;
      if (taint.origin(value) === 'untrusted-only') tainted.push([field, value]);
    }
    if (taint.injected && (!grounded || tainted.length > 0) && !isDisabled(this.config, 'injected-instruction-followed')) {
      const mark = taint.injections[taint.injections.length - 1];
      const why = !grounded ? 'the user did not ask for it' : `argument \`${tainted[0]?.[0]}\` comes only from untrusted content`;
      out.push({
        pack: 'provenance',
        rule: 'injected-instruction-followed',
        severity: 'high',
        classification: CLASSIFICATION,
        message: `\`${tool}\` follows instruction-like content from \`${mark?.field ?? 'a tool result'}\` and ${why}`,
        action: actionFor(this.config, 'injected-instruction-followed', 'block'),
        evidence: tainted.length > 0
          ? { field: tainted[0]?.[0] as string, start: 0, end: (tainted[0]?.[1] as string).length, excerpt: excerptAround(tainted[0]?.[1] as string, 0, (tainted[0]?.[1] as string).length, false) }
          : { field: 'tool', start: 0, end: tool.length, excerpt: tool },
      });
      return;
    }
    if (tainted.length > 0 && !grounded && !isDisabled(this.config, 'tainted-argument')) {
      const [field, value] = tainted[0] as [string, string];
      out.push({
        pack: 'provenance',
        rule: 'tainted-argument',
        severity: 'medium',
        classification: CLASSIFICATION,
        message: `\`${tool}\` argument \`${field}\` comes only from untrusted content`,
        action: actionFor(this.config, 'tainted-argument', 'allow'),
        evidence: { field, start: 0, end: value.length, excerpt: excerptAround(value, 0, value.length, false) },
      });
    }
  }
}
