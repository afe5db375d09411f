// What a run knows about each tool call id: decided (when the model's answer arrived), denied,
// executing or executed. Calls decided ahead of execution are indexed by tool, so a guarded tool
// invoked without a call id finds its decision in constant time; executed calls shed their
// arguments, and the oldest executed calls are forgotten past a bound, so a long run does not grow
// without limit.

import type { Decision } from '../engine/decision.js';
import type { JsonValue } from '../events/types.js';
import type { Denial } from './denial.js';

export type CallState = 'pending' | 'allowed' | 'approved' | 'denied' | 'executing' | 'executed';

export interface CallRecord {
  callId: string;
  tool: string;
  /** the arguments the tool will receive (after any rewrite); dropped once executed */
  args: { [key: string]: JsonValue };
  /** digest of `args`; set for calls decided ahead of execution */
  argsDigest?: string;
  /**
   * `pending`: waiting for approval; `allowed` / `approved`: decided, not yet executed;
   * `denied`: will not execute; `executing` / `executed`: the tool function started / settled.
   */
  state: CallState;
  /** decided when the model's answer arrived, before the application saw the call */
  decidedAhead?: boolean;
  denial?: Denial;
  /** the engine decision whose counter reservation must be undone if the call never executes */
  reservation?: Decision;
  /** `name@version` key of the policies whose approval was granted */
  approvalPolicies?: string;
  /** the execute_tool span of this call */
  spanId: string;
  /** a tool.result has been evaluated for this call */
  resultRecorded: boolean;
  /** how a result that reached a request unguarded was rewritten, to rewrite it again when it is re-sent */
  resultRewrite?: { originalDigest: string; replacement: string };
}

const MAX_RECORDS = 10_000;
/** evicted at once, so eviction runs rarely */
const EVICT_BATCH = 1_000;

function waiting(record: CallRecord): boolean {
  return record.decidedAhead === true && (record.state === 'allowed' || record.state === 'approved' || record.state === 'denied');
}

export class CallLedger {
  private readonly records = new Map<string, CallRecord>();
  /** calls decided ahead and not yet executed, by tool */
  private readonly ahead = new Map<string, Set<CallRecord>>();

  get(callId: string): CallRecord | undefined {
    return this.records.get(callId);
  }

  set(record: CallRecord): void {
    const previous = this.records.get(record.callId);
    if (previous) this.unindex(previous);
    this.records.delete(record.callId);
    this.records.set(record.callId, record);
    this.reindex(record);
    if (this.records.size > MAX_RECORDS + EVICT_BATCH) this.evict();
  }

  delete(callId: string): void {
    const record = this.records.get(callId);
    if (!record) return;
    this.unindex(record);
    this.records.delete(callId);
  }

  /** Moves a call to another state, keeping the index right. */
  transition(record: CallRecord, state: CallState): void {
    record.state = state;
    if (state === 'executed') record.args = {};
    this.reindex(record);
  }

  hasAheadFor(tool: string): boolean {
    return (this.ahead.get(tool)?.size ?? 0) > 0;
  }

  /** A call decided ahead for this tool and arguments, not yet executed. */
  aheadFor(tool: string, argsDigest: string): CallRecord | undefined {
    for (const r of this.ahead.get(tool) ?? []) if (r.argsDigest === argsDigest) return r;
    return undefined;
  }

  values(): IterableIterator<CallRecord> {
    return this.records.values();
  }

  private reindex(record: CallRecord): void {
    if (waiting(record)) {
      let set = this.ahead.get(record.tool);
      if (!set) this.ahead.set(record.tool, (set = new Set()));
      set.add(record);
    } else this.unindex(record);
  }

  private unindex(record: CallRecord): void {
    const set = this.ahead.get(record.tool);
    if (!set) return;
    set.delete(record);
    if (set.size === 0) this.ahead.delete(record.tool);
  }

  private evict(): void {
    for (const [id, r] of this.records) {
      if (this.records.size <= MAX_RECORDS) return;
      if (r.state === 'executed') this.records.delete(id);
    }
  }
}
