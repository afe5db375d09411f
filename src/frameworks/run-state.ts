// Per-run state the stateful packs read: taint (provenance) and usage counters (resource limits).
// The caller keeps one RunState per runId and calls `record` after checking each event, so a
// check always sees the history *before* the event it judges.

import type { StreamEvent } from '../events/types.js';
import { callKey } from './call-key.js';
import type { CallKey } from './call-key.js';
import { RunTaint } from './provenance/run-taint.js';
import type { FrameworkFinding, TextInput } from './types.js';

const MAX_TIMES = 4096;
const MAX_DISTINCT_CALLS = 10_000;

export class RunUsage {
  toolCalls = 0;
  llmCalls = 0;
  readonly perTool = new Map<string, number>();
  /** times (ms) of recent tool calls, oldest first, bounded */
  readonly callTimes: number[] = [];
  readonly perToolTimes = new Map<string, number[]>();
  /** the last tool call */
  lastCall: CallKey | null = null;
  /** how many consecutive times the last call was seen */
  repeats = 0;
  /** fingerprints of every call seen (a cheap pre-test before comparing calls) */
  readonly fingerprints = new Set<number>();
  /** calls seen, bucketed by fingerprint, with counts; while every recorded key is flattened */
  private calls: Map<number, { key: CallKey; count: number }[]> | null = new Map();
  private distinctCalls = 0;
  /** counts by signature string, once a call whose arguments are kept as a signature was recorded */
  private signatureCounts: Map<string, number> | null = null;
  inputTokens = 0;
  outputTokens = 0;
  costUsd = 0;
  firstTime: number | undefined;

  /** How many recorded calls had this call's signature. */
  timesSeen(key: CallKey): number {
    if (this.signatureCounts !== null) return this.signatureCounts.get(key.signature()) ?? 0;
    const calls = this.calls as Map<number, { key: CallKey; count: number }[]>;
    if (key.flattened) {
      // equal flat keys have equal fingerprints
      const bucket = calls.get(key.fingerprint);
      if (bucket !== undefined) for (const e of bucket) if (e.key.same(key)) return e.count;
      return 0;
    }
    // a signature-only key against flattened ones (rare): compare signatures; each is distinct
    for (const bucket of calls.values()) for (const e of bucket) if (e.key.same(key)) return e.count;
    return 0;
  }

  /** Count one call (distinct calls are bounded, as before: new ones beyond 10,000 are not counted). */
  countCall(key: CallKey): void {
    if (this.signatureCounts === null && !key.flattened) {
      // from here on count by signature, as every key can give one
      const bySig = new Map<string, number>();
      for (const bucket of (this.calls as Map<number, { key: CallKey; count: number }[]>).values()) for (const e of bucket) bySig.set(e.key.signature(), e.count);
      this.signatureCounts = bySig;
      this.calls = null;
    }
    const counts = this.signatureCounts;
    if (counts !== null) {
      const sig = key.signature();
      if (counts.size < MAX_DISTINCT_CALLS || counts.has(sig)) counts.set(sig, (counts.get(sig) ?? 0) + 1);
      return;
    }
    const calls = this.calls as Map<number, { key: CallKey; count: number }[]>;
    let bucket = calls.get(key.fingerprint);
    if (bucket !== undefined) {
      for (const e of bucket) {
        if (e.key.same(key)) {
          e.count++;
          return;
        }
      }
    }
    if (this.distinctCalls >= MAX_DISTINCT_CALLS) return;
    if (bucket === undefined) calls.set(key.fingerprint, (bucket = []));
    bucket.push({ key, count: 1 });
    this.distinctCalls++;
  }
}

export { callFingerprint, callSignature } from './call-key.js';

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
      const key = callKey(event.tool, event.args);
      const last = u.lastCall;
      u.repeats = last !== null && last.fingerprint === key.fingerprint && key.same(last) ? u.repeats + 1 : 1;
      u.lastCall = key;
      u.fingerprints.add(key.fingerprint);
      u.countCall(key);
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
