// Per-run state the stateful packs read: taint (provenance) and usage counters (resource limits).
// The caller keeps one RunState per runId and calls `record` after checking each event, so a
// check always sees the history *before* the event it judges.

import type { JsonValue, StreamEvent } from '../events/types.js';
import { RunTaint } from './provenance/run-taint.js';
import type { FrameworkFinding, TextInput } from './types.js';

const MAX_TIMES = 4096;

export class RunUsage {
  toolCalls = 0;
  llmCalls = 0;
  readonly perTool = new Map<string, number>();
  /** times (ms) of recent tool calls, oldest first, bounded */
  readonly callTimes: number[] = [];
  readonly perToolTimes = new Map<string, number[]>();
  lastSignature = '';
  lastFingerprint = -1;
  /** how many consecutive times the last signature was seen */
  repeats = 0;
  readonly signatureCounts = new Map<string, number>();
  /** fingerprints of every signature seen (a cheap pre-test before comparing signatures) */
  readonly fingerprints = new Set<number>();
  inputTokens = 0;
  outputTokens = 0;
  costUsd = 0;
  firstTime: number | undefined;
}

/**
 * A string identifying a tool call: tool name plus the JSON of its arguments. Native
 * JSON.stringify keeps this cheap on the hot path; producers emit arguments in a stable key
 * order, so the same call gives the same signature.
 */
export function callSignature(tool: string, args: Record<string, JsonValue>): string {
  let json: string;
  try {
    json = JSON.stringify(args);
  } catch {
    json = String(Object.keys(args));
  }
  return tool + '\u0000' + json;
}

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193) >>> 0;
}

function fingerprintValue(v: JsonValue | undefined, h: number, depth: number): number {
  if (v === null || v === undefined) return mix(h, 1);
  if (typeof v === 'string') {
    h = mix(h, v.length + 7);
    const n = v.length;
    // all of a short string; the ends of a long one (equal fingerprints are confirmed by the full signature)
    if (n <= 48) for (let i = 0; i < n; i++) h = mix(h, v.charCodeAt(i));
    else {
      for (let i = 0; i < 24; i++) h = mix(h, v.charCodeAt(i));
      for (let i = n - 24; i < n; i++) h = mix(h, v.charCodeAt(i));
    }
    return h;
  }
  if (typeof v === 'number') return mix(h, (v * 1000) | 0);
  if (typeof v === 'boolean') return mix(h, v ? 3 : 5);
  if (depth > 16) return h;
  if (Array.isArray(v)) {
    h = mix(h, 11 + v.length);
    for (const x of v) h = fingerprintValue(x, h, depth + 1);
    return h;
  }
  for (const k of Object.keys(v)) h = fingerprintValue(v[k], fingerprintValue(k, h, depth), depth + 1);
  return h;
}

/** A cheap 32-bit fingerprint of a call; different fingerprints mean different calls. */
export function callFingerprint(tool: string, args: Record<string, JsonValue>): number {
  return fingerprintValue(args, fingerprintValue(tool, 0x811c9dc5, 0), 0);
}

export class RunState {
  readonly taint = new RunTaint();
  readonly usage = new RunUsage();
  events = 0;

  constructor(readonly runId: string = '') {}

  /**
   * Advance the state past one event: feed its texts to the taint tracker, count calls and usage,
   * and remember injection findings (they mark the run as carrying untrusted instructions).
   */
  record(event: StreamEvent, texts: readonly TextInput[], findings: readonly FrameworkFinding[] = []): void {
    this.events++;
    for (const t of texts) this.taint.observe(t);
    for (const f of findings) {
      if (f.pack !== 'prompt-injection' || f.severity === 'info' || f.severity === 'low') continue;
      const source = texts.find((t) => t.field === f.evidence.field);
      const text = source === undefined ? '' : source.text.slice(f.evidence.start, f.evidence.end).toLowerCase();
      this.taint.markInjection({ field: f.evidence.field, rule: f.rule, text });
    }
    const u = this.usage;
    const now = event.time;
    if (now !== undefined && u.firstTime === undefined) u.firstTime = now;
    if (event.kind === 'tool.call') {
      u.toolCalls++;
      u.perTool.set(event.tool, (u.perTool.get(event.tool) ?? 0) + 1);
      if (now !== undefined) {
        u.callTimes.push(now);
        if (u.callTimes.length > MAX_TIMES) u.callTimes.shift();
        let times = u.perToolTimes.get(event.tool);
        if (times === undefined) u.perToolTimes.set(event.tool, (times = []));
        times.push(now);
        if (times.length > MAX_TIMES) times.shift();
      }
      const fp = callFingerprint(event.tool, event.args);
      const sig = callSignature(event.tool, event.args);
      u.repeats = fp === u.lastFingerprint && sig === u.lastSignature ? u.repeats + 1 : 1;
      u.lastSignature = sig;
      u.lastFingerprint = fp;
      u.fingerprints.add(fp);
      if (u.signatureCounts.size < 10_000 || u.signatureCounts.has(sig)) u.signatureCounts.set(sig, (u.signatureCounts.get(sig) ?? 0) + 1);
    } else if (event.kind === 'llm.request') {
      u.llmCalls++;
    } else if (event.kind === 'llm.response' && event.usage !== undefined) {
      const x = event.usage;
      u.inputTokens += x.inputTokens ?? 0;
      u.outputTokens += x.outputTokens ?? (x.totalTokens !== undefined && x.inputTokens === undefined ? x.totalTokens : 0);
      u.costUsd += x.costUsd ?? 0;
    }
  }
}
