// One guarded LLM call, independent of the provider's wire format. The provider wrappers translate
// their requests and answers into these views; this module does the checking:
//
// - tool results in the request that no guarded tool reported are checked as `tool.result`
//   (untrusted tool output) before they enter the model's context, and rewritten or withheld;
// - the request is checked as `llm.request` and its text rewritten wherever it sits;
// - the answer is checked as `llm.response`, then each tool call as `tool.call`, in order and
//   synchronously, so counters for a batch of parallel calls are reserved before any of them runs;
//   each decision is remembered under its call id for the guarded tool that executes it.

import type { Decision } from '../engine/decision.js';
import type { ChatMessage, JsonValue, LlmRequestEvent, LlmResponseEvent, StreamEvent, TokenUsage, ToolCallEvent, ToolResultEvent, ToolSpec } from '../events/types.js';
import { digestOf, digestText } from '../sdk/canonical.js';
import { denialText, SYSTEM_POLICY, type Denial } from '../sdk/denial.js';
import { PolicyViolationError } from '../sdk/errors.js';
import { stamp, type Verdict } from '../sdk/gate.js';
import { newSpanId } from '../sdk/ids.js';
import type { CallRecord, Run } from '../sdk/run-context.js';
import type { TextCheckResult } from '../sdk/stream-text-guard.js';
import type { AssembledToolCall } from '../sdk/tool-call-assembly.js';
import type { Tracer } from '../sdk/tracer.js';

export interface RequestText {
  message: ChatMessage;
  /** writes a rewrite back into the outgoing request */
  write(text: string): void;
}

export interface RequestToolResult {
  callId: string;
  /** the tool's name when the request says it, else '' */
  tool: string;
  content: string;
  write(text: string): void;
}

export interface RequestView {
  model: string;
  texts: RequestText[];
  tools: ToolSpec[];
  toolResults: RequestToolResult[];
}

export interface ResponseView {
  model: string | undefined;
  content: string;
  reasoning: string | undefined;
  toolCalls: AssembledToolCall[];
  usage: TokenUsage | undefined;
}

/** A tool call after its decision: the arguments to hand out, and the denial if it will not run. */
export interface DecidedToolCall {
  index: number;
  callId: string;
  tool: string;
  args: { [key: string]: JsonValue } | undefined;
  /** JSON text of the arguments, rewritten when the decision rewrote them */
  argsText: string;
  argsChanged: boolean;
  denial?: Denial;
}

export type ResponseOutcome =
  | { kind: 'prevented'; denial: Denial }
  | { kind: 'ok'; content: string; rewriteText: ((text: string) => string) | undefined; calls: DecidedToolCall[] };

export class LlmTurn {
  /** the `chat` span: opened by the `llm.request` event, closed by the `llm.response` event */
  readonly spanId = newSpanId();

  constructor(
    readonly tracer: Tracer,
    readonly run: Run,
    readonly provider: 'openai' | 'anthropic',
    readonly model: string,
    readonly streaming: boolean,
  ) {
    run.rememberSpan('llm', this.spanId);
  }

  get enforcing(): boolean {
    return this.run.mode === 'enforce';
  }

  /** The text a model should read for a call it asked for that will not run (or was halted). */
  unansweredCallText(callId: string): string | undefined {
    const record = this.run.calls.get(callId);
    if (record?.state === 'denied' && record.denial) return JSON.stringify({ status: 'denied', error: denialText(record.denial), policy: record.denial.policy });
    return this.tracer.unansweredCallText(callId);
  }

  /** Checks tool output the request carries that no guarded tool has reported yet. */
  async checkToolResults(results: RequestToolResult[]): Promise<void> {
    for (const r of results) {
      const record = this.run.calls.get(r.callId);
      if (record?.resultRecorded) {
        // The application keeps its own, unrewritten history: re-apply the rewrite every time the
        // same output is sent again, or the secret would leave with the next request.
        const rewrite = record.resultRewrite;
        if (rewrite && digestText(r.content) === rewrite.originalDigest) r.write(rewrite.replacement);
        continue;
      }
      if (record?.state === 'denied' && record.denial && r.content.includes(denialText(record.denial))) continue;
      const parsed = parseMaybeJson(r.content);
      const tool = r.tool || record?.tool || '';
      const spanId = record?.spanId ?? newSpanId();
      const event: ToolResultEvent = stamp(this.run, { kind: 'tool.result', runId: this.run.engineRunId, tool, callId: r.callId, result: parsed.value }, spanId, this.run.spanId);
      if (record) {
        // The tool ran outside a guard; its reservation is now spent.
        record.resultRecorded = true;
        delete record.reservation;
        this.run.calls.transition(record, 'executed');
      } else {
        this.run.calls.set({ callId: r.callId, tool, args: {}, state: 'executed', spanId, resultRecorded: true });
      }
      let verdict = this.tracer.gate.check(this.run, event);
      if (verdict.behavior === 'approval') verdict = (await this.tracer.gate.approve(this.run, verdict, { kind: 'tool.result', tool, callId: r.callId, args: parsed.value })).verdict;
      let replacement: string | undefined;
      if (verdict.behavior === 'deny') {
        replacement = JSON.stringify({ status: 'withheld', error: denialText(verdict.denial, 'withheld'), policy: verdict.denial.policy });
      } else if (verdict.modified) {
        const result = (verdict.event as ToolResultEvent).result ?? null;
        replacement = parsed.json ? JSON.stringify(result) : typeof result === 'string' ? result : JSON.stringify(result);
      }
      if (replacement !== undefined) {
        const stored = this.run.calls.get(r.callId);
        if (stored) stored.resultRewrite = { originalDigest: digestText(r.content), replacement };
        r.write(replacement);
      }
    }
  }

  /** Checks the outgoing request; rewrites it in place through the view, or throws. */
  async checkRequest(view: RequestView): Promise<void> {
    const messages = view.texts.map((t) => t.message);
    this.run.rememberMessages(messages);
    const event: LlmRequestEvent = stamp(this.run, { kind: 'llm.request', runId: this.run.runId, model: view.model, messages, ...(view.tools.length > 0 ? { tools: view.tools } : {}) }, this.spanId, this.run.spanId);
    event.metadata = { ...event.metadata, provider: this.provider };
    let verdict = this.tracer.gate.check(this.run, event);
    if (verdict.behavior === 'approval') verdict = (await this.tracer.gate.approve(this.run, verdict, { kind: 'llm.request', args: { model: view.model } })).verdict;
    if (verdict.behavior === 'deny') {
      throw new PolicyViolationError({
        message: `request not sent: blocked by policy ${verdict.denial.policy}: ${verdict.denial.reason}`,
        policy: verdict.denial.policy,
        outcome: verdict.denial.outcome,
        point: 'llm.request',
        violations: verdict.denial.violations,
        runId: this.run.engineRunId,
      });
    }
    if (verdict.modified) {
      const rewritten = (verdict.event as LlmRequestEvent).messages;
      view.texts.forEach((t, i) => {
        const next = rewritten[i]?.content;
        if (typeof next === 'string' && next !== t.message.content) t.write(next);
      });
    }
  }

  /** A look at streamed text so far: release, hold, or throw to stop the stream. */
  probeText(content: string): TextCheckResult {
    const event = this.responseEvent({ model: this.model, content, reasoning: undefined, toolCalls: [], usage: undefined });
    const verdict = this.tracer.gate.check(this.run, event, { probe: true });
    if (verdict.behavior === 'approval') return { kind: 'hold' };
    if (verdict.behavior === 'deny') throw this.responseError(verdict.denial);
    if (!verdict.modified || !verdict.decision) return { kind: 'pass' };
    return { kind: 'pass', rewrite: this.textRewriter(event, verdict.decision) };
  }

  /** Checks the complete answer, then decides each tool call. */
  async checkResponse(view: ResponseView): Promise<ResponseOutcome> {
    if (view.reasoning) this.run.rememberReasoning(view.reasoning);
    const valid = view.toolCalls.filter((c) => c.args !== undefined);
    const event = this.responseEvent({ ...view, toolCalls: valid });
    let verdict: Verdict = this.tracer.gate.check(this.run, event);
    if (verdict.behavior === 'approval') verdict = (await this.tracer.gate.approve(this.run, verdict, { kind: 'llm.response', args: view.content })).verdict;
    if (verdict.behavior === 'deny') return { kind: 'prevented', denial: verdict.denial };
    let content = view.content;
    let rewriteText: ((text: string) => string) | undefined;
    const rewrittenArgs = new Map<string, { [key: string]: JsonValue }>();
    if (verdict.modified && verdict.decision) {
      const rewritten = verdict.event as LlmResponseEvent;
      content = rewritten.content;
      rewriteText = this.textRewriter(event, verdict.decision);
      for (const c of rewritten.toolCalls ?? []) rewrittenArgs.set(c.callId, c.args);
    }
    const calls: DecidedToolCall[] = [];
    for (const call of view.toolCalls) calls.push(await this.decideToolCall(call, rewrittenArgs.get(call.callId)));
    return { kind: 'ok', content, rewriteText, calls };
  }

  /** The error a stream ends with when its answer is prevented. */
  responseError(denial: Denial): PolicyViolationError {
    return new PolicyViolationError({
      message: `response prevented by policy ${denial.policy}: ${denial.reason}`,
      policy: denial.policy,
      outcome: denial.outcome,
      point: 'llm.response',
      violations: denial.violations,
      runId: this.run.engineRunId,
    });
  }

  /** Records that streamed tool calls could not be decided (truncated or contradictory stream). */
  recordIntegrityFailure(calls: AssembledToolCall[], problem: string): void {
    for (const call of calls) {
      const spanId = newSpanId();
      const event: ToolCallEvent = stamp(this.run, { kind: 'tool.call', runId: this.run.engineRunId, tool: call.tool, args: {}, callId: call.callId }, spanId, this.run.spanId);
      const enforce = this.enforcing;
      this.tracer.gate.recordFault(this.run, event, SYSTEM_POLICY.streamIntegrity, `${call.problem ?? problem}${enforce ? '; the call was not released' : ''}`);
      if (!enforce) continue;
      const denial: Denial = { policy: SYSTEM_POLICY.streamIntegrity, reason: call.problem ?? problem, outcome: 'error', violations: [] };
      this.run.calls.set({ callId: call.callId, tool: call.tool, args: {}, state: 'denied', decidedAhead: true, denial, spanId, resultRecorded: false });
    }
  }

  private responseEvent(view: ResponseView): LlmResponseEvent {
    const event: LlmResponseEvent = {
      kind: 'llm.response',
      runId: this.run.engineRunId,
      content: view.content,
      ...(view.model !== undefined ? { model: view.model } : {}),
      ...(view.reasoning !== undefined ? { reasoning: view.reasoning } : {}),
      ...(view.usage !== undefined ? { usage: view.usage } : {}),
    };
    if (view.toolCalls.length > 0) event.toolCalls = view.toolCalls.map((c) => ({ callId: c.callId, tool: c.tool, args: c.args ?? {} }));
    return stamp(this.run, event, this.spanId, this.run.spanId);
  }

  private textRewriter(event: LlmResponseEvent, decision: Decision): (text: string) => string {
    const apply = this.tracer.settings.applyModifications;
    return (text: string) => {
      const out = apply({ ...event, content: text, toolCalls: [] } as StreamEvent, decision) as LlmResponseEvent;
      return typeof out.content === 'string' ? out.content : text;
    };
  }

  private async decideToolCall(call: AssembledToolCall, rewrittenByResponse: { [key: string]: JsonValue } | undefined): Promise<DecidedToolCall> {
    const run = this.run;
    const gate = this.tracer.gate;
    const spanId = newSpanId();
    if (call.args === undefined) {
      const policy = SYSTEM_POLICY.invalidArguments;
      const reason = call.problem ?? 'arguments could not be read';
      const event: ToolCallEvent = stamp(run, { kind: 'tool.call', runId: run.engineRunId, tool: call.tool, args: {}, callId: call.callId }, spanId, run.spanId);
      if (run.mode !== 'observe') gate.recordFault(run, event, policy, `${reason}; the call cannot be checked`);
      const denial: Denial = { policy, reason, outcome: 'error', violations: [] };
      const enforce = this.enforcing;
      run.calls.set({ callId: call.callId, tool: call.tool, args: {}, argsDigest: digestOf({}), state: enforce ? 'denied' : 'allowed', decidedAhead: true, ...(enforce ? { denial } : {}), spanId, resultRecorded: false });
      return { index: call.index, callId: call.callId, tool: call.tool, args: undefined, argsText: call.argsText, argsChanged: false, ...(enforce ? { denial } : {}) };
    }
    const args = rewrittenByResponse ?? call.args;
    const event: ToolCallEvent = stamp(run, { kind: 'tool.call', runId: run.engineRunId, tool: call.tool, args, callId: call.callId }, spanId, run.spanId);
    let verdict = gate.check(run, event);
    const record: CallRecord = { callId: call.callId, tool: call.tool, args, argsDigest: digestOf(args), state: 'allowed', decidedAhead: true, spanId, resultRecorded: false };
    if (verdict.behavior === 'approval') {
      const pendingArgs = (verdict.event as ToolCallEvent).args;
      const approved = await gate.approve(run, verdict, { kind: 'tool.call', tool: call.tool, callId: call.callId, args: pendingArgs });
      if (approved.verdict.behavior === 'allow') {
        record.state = 'approved';
        record.args = pendingArgs;
        record.argsDigest = digestOf(pendingArgs);
        record.approvalPolicies = approved.policyVersions;
        run.approvals.grant({ runId: run.engineRunId, callId: call.callId, tool: call.tool, argsDigest: record.argsDigest ?? '', policyVersions: approved.policyVersions }, this.tracer.settings.approvalTtlMs);
      }
      verdict = approved.verdict;
    }
    if (verdict.behavior === 'deny') {
      record.state = 'denied';
      record.denial = verdict.denial;
      run.calls.set(record);
      return { index: call.index, callId: call.callId, tool: call.tool, args, argsText: call.argsText, argsChanged: false, denial: verdict.denial };
    }
    const finalArgs = verdict.behavior === 'allow' && verdict.modified ? (verdict.event as ToolCallEvent).args : args;
    if (record.state !== 'approved') {
      record.args = finalArgs;
      record.argsDigest = digestOf(finalArgs);
    }
    if (verdict.decision && run.mode !== 'observe') record.reservation = verdict.decision;
    run.calls.set(record);
    const changed = finalArgs !== call.args;
    return { index: call.index, callId: call.callId, tool: call.tool, args: finalArgs, argsText: changed ? JSON.stringify(finalArgs) : call.argsText, argsChanged: changed };
  }
}

function parseMaybeJson(text: string): { value: JsonValue; json: boolean } {
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return { value: JSON.parse(t) as JsonValue, json: true };
    } catch {
      // not JSON after all: checked as text
    }
  }
  return { value: text, json: false };
}
