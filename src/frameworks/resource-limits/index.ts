// resource-limits pack: bounds on one run's consumption, read from RunState.usage.
//   tool-loop        the same call (tool + canonical arguments) repeated back to back, or too often
//   tool-call-budget total tool calls in the run, or calls to one tool
//   rate-limit       tool calls within a sliding time window (needs event times)
//   token-budget     input + output tokens reported by llm.response usage
//   cost-budget      USD cost reported by llm.response usage
// Every check counts the event being judged, so a limit of n allows exactly n.

import type { JsonValue, StreamEvent } from '../../events/types.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, isDisabled } from '../pack.js';
import type { RunState } from '../run-state.js';
import { callFingerprint, callKey } from '../call-key.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';
import type { Action, Severity } from '../../engine/decision.js';

export interface ResourceLimitsConfig extends PackConfigBase {
  /** identical consecutive calls allowed (default 5) */
  maxIdenticalConsecutive?: number;
  /** identical calls allowed in the run, consecutive or not (default 10) */
  maxIdenticalTotal?: number;
  /** tool calls per run (default 200) */
  maxToolCalls?: number;
  /** calls per tool name per run */
  maxCallsPerTool?: Readonly<Record<string, number>>;
  /** sliding window rate limit (default 60 calls per 60 s) */
  rate?: { calls: number; windowMs: number };
  /** tokens per run (input + output; default none) */
  maxTokens?: number;
  /** USD per run (default none) */
  maxCostUsd?: number;
}

const CLASSIFICATION = ['LLM10', 'AGENTIC-T4', 'AML.T0029', 'AML.T0034'] as const;

export class ResourceLimitsPack implements FrameworkPack {
  readonly name = 'resource-limits' as const;
  readonly version = 'resource-limits@1';
  readonly stateful = true;
  readonly mode;
  private readonly c: Required<Pick<ResourceLimitsConfig, 'maxIdenticalConsecutive' | 'maxIdenticalTotal' | 'maxToolCalls' | 'rate'>>;

  constructor(private readonly config: ResourceLimitsConfig = {}) {
    this.mode = config.mode;
    this.c = {
      maxIdenticalConsecutive: config.maxIdenticalConsecutive ?? 5,
      maxIdenticalTotal: config.maxIdenticalTotal ?? 10,
      maxToolCalls: config.maxToolCalls ?? 200,
      rate: config.rate ?? { calls: 60, windowMs: 60_000 },
    };
  }

  private push(out: FrameworkFinding[], rule: string, severity: Severity, action: Action, message: string, field: string, excerpt: string): void {
    if (isDisabled(this.config, rule)) return;
    out.push({ pack: 'resource-limits', rule, severity, classification: CLASSIFICATION, message, action: actionFor(this.config, rule, action), evidence: { field, start: 0, end: excerpt.length, excerpt } });
  }

  check(event: StreamEvent, _texts: readonly TextInput[], run: RunState | undefined, out: FrameworkFinding[]): void {
    if (run === undefined) return;
    const u = run.usage;
    if (event.kind === 'tool.call') this.checkCall(event.tool, event.args, event.time, run, out);
    else if (event.kind === 'llm.response' && event.usage !== undefined) {
      const tokens = u.inputTokens + u.outputTokens + (event.usage.inputTokens ?? 0) + (event.usage.outputTokens ?? 0);
      const cost = u.costUsd + (event.usage.costUsd ?? 0);
      if (this.config.maxTokens !== undefined && tokens > this.config.maxTokens) this.push(out, 'token-budget', 'high', 'halt', `run used ${tokens} tokens, over the budget of ${this.config.maxTokens}`, 'usage', String(tokens));
      if (this.config.maxCostUsd !== undefined && cost > this.config.maxCostUsd) this.push(out, 'cost-budget', 'high', 'halt', `run cost $${cost.toFixed(4)}, over the budget of $${this.config.maxCostUsd}`, 'usage', cost.toFixed(4));
    } else if (event.kind === 'llm.request') {
      const tokens = u.inputTokens + u.outputTokens;
      if (this.config.maxTokens !== undefined && tokens >= this.config.maxTokens) this.push(out, 'token-budget', 'high', 'halt', `token budget of ${this.config.maxTokens} already spent`, 'messages', String(tokens));
      if (this.config.maxCostUsd !== undefined && u.costUsd >= this.config.maxCostUsd) this.push(out, 'cost-budget', 'high', 'halt', `cost budget of $${this.config.maxCostUsd} already spent`, 'messages', u.costUsd.toFixed(4));
    }
  }

  private checkCall(tool: string, args: Record<string, JsonValue>, time: number | undefined, run: RunState, out: FrameworkFinding[]): void {
    const u = run.usage;
    // the full key is only built when the cheap fingerprint says this call was seen before
    const fp = callFingerprint(tool, args);
    let consecutive = 1;
    let total = 1;
    if (u.fingerprints.has(fp)) {
      const key = callKey(tool, args, fp);
      const last = u.lastCall;
      consecutive = last !== null && last.fingerprint === fp && key.same(last) ? u.repeats + 1 : 1;
      total = u.timesSeen(key) + 1;
    }
    if (consecutive > this.c.maxIdenticalConsecutive) this.push(out, 'tool-loop', 'medium', 'block', `\`${tool}\` called ${consecutive} times in a row with the same arguments`, 'tool', tool);
    else if (total > this.c.maxIdenticalTotal) this.push(out, 'tool-loop', 'medium', 'block', `\`${tool}\` called ${total} times with the same arguments`, 'tool', tool);
    if (u.toolCalls + 1 > this.c.maxToolCalls) this.push(out, 'tool-call-budget', 'high', 'halt', `run made ${u.toolCalls + 1} tool calls, over the budget of ${this.c.maxToolCalls}`, 'tool', tool);
    const perTool = this.config.maxCallsPerTool?.[tool];
    if (perTool !== undefined && (u.perTool.get(tool) ?? 0) + 1 > perTool) this.push(out, 'tool-call-budget', 'medium', 'block', `\`${tool}\` called ${(u.perTool.get(tool) ?? 0) + 1} times, over its limit of ${perTool}`, 'tool', tool);
    if (time !== undefined) {
      const from = time - this.c.rate.windowMs;
      let n = 1;
      for (let k = u.callTimes.length - 1; k >= 0 && (u.callTimes[k] as number) > from; k--) n++;
      if (n > this.c.rate.calls) this.push(out, 'rate-limit', 'medium', 'block', `${n} tool calls within ${this.c.rate.windowMs} ms, over the limit of ${this.c.rate.calls}`, 'tool', tool);
    }
  }
}
