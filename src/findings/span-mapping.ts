// StreamEvents and evaluations → OTel GenAI spans (as SpanRecords). A run is an `invoke_agent`
// span, an LLM round trip a `chat` span, a tool call an `execute_tool` span, each with `gen_ai.*`
// attributes from the GenAI semantic conventions plus `cascade.*` ones; every evaluation is a
// guardrail span (`run_guardrail` under the default convention) parented to the span it judged,
// with one finding event and one `gen_ai.evaluation.result` event per finding.
//
// Events arrive one at a time and a span is complete only when its closing event arrives, so the
// mapping is a small state machine (`SpanAssembler`) that returns spans as they complete. Prompt,
// response, argument and result content is only recorded when `captureContent` is on, as the
// GenAI conventions require; digests and sizes are always recorded.

import type { Decision, Mode } from '../engine/decision.js';
import type { ChatMessage, StreamEvent, ToolCallRequest } from '../events/types.js';
import { defaultDirection } from '../events/types.js';
import { boundString, boundedJsonText } from './bounded-value.js';
import { canonicalJson, safeDigestOf as digestOf, sha256Hex } from './canonical-json.js';
import type { Finding } from './finding.js';
import type { GuardrailConvention, GuardrailConventionVersion } from './guardrail-conventions.js';
import { EVALUATION_RESULT_EVENT, guardrailConvention } from './guardrail-conventions.js';
import type { AttributeValue, SpanAttributes, SpanEventRecord, SpanRecord } from './span-record.js';
import { isOtelTraceId, otelSpanId, otelTraceId } from './span-record.js';

export const GUARDRAIL_NAME = 'cascade-runtime';

export interface SpanMappingOptions {
  /** `cascade.project` on every span */
  project?: string;
  /** record prompts, responses, tool arguments and results (opt-in in the GenAI conventions; default false) */
  captureContent?: boolean;
  /** bound for each captured content attribute (default 8 192 chars) */
  maxContentChars?: number;
  /** `gen_ai.provider.name` for chat spans when the event metadata has no `provider` */
  provider?: string;
  guardrailConvention?: GuardrailConventionVersion;
}

export interface EvaluationInput {
  event: StreamEvent;
  decision: Decision;
  /** what `buildFindings` returned for this evaluation */
  findings: readonly Finding[];
  runMode: Mode;
  latencyMs?: number;
  /** ms since the epoch when the evaluation started; defaults to the event time */
  startTime?: number;
  /** defaults to the findings' evaluation id */
  evaluationId?: string;
}

type Verdict = 'allow' | 'warn' | 'modify' | 'deny';
type EnforcedAction = 'allow' | 'modify' | 'block' | 'halt';

const VERDICT_RANK: Record<Verdict, number> = { allow: 0, warn: 1, modify: 2, deny: 3 };
const ACTION_RANK: Record<EnforcedAction, number> = { allow: 0, modify: 1, block: 2, halt: 3 };

export class SpanAssembler {
  private readonly options: SpanMappingOptions;
  private readonly conv: GuardrailConvention;
  /** open spans by pairing key */
  private readonly open = new Map<string, SpanRecord>();
  private readonly runTrace = new Map<string, string>();
  private readonly runSpan = new Map<string, string>();
  /** trace of every open span, so that a child run started under it joins its trace */
  private readonly spanTrace = new Map<string, string>();
  private readonly pendingChats = new Map<string, string[]>();
  private readonly chatCount = new Map<string, number>();
  private readonly lastChat = new Map<string, string>();
  private readonly presetTrace = new Map<string, string>();

  constructor(options: SpanMappingOptions = {}) {
    this.options = options;
    this.conv = guardrailConvention(options.guardrailConvention);
  }

  /** Fixes the trace id of a run before its `run.start` arrives (the SDK knows it at run start). */
  setRunTrace(runId: string, traceId: string): void {
    if (isOtelTraceId(traceId)) this.presetTrace.set(runId, traceId);
  }

  /** Spans still waiting for their closing event. */
  get openSpanCount(): number {
    return this.open.size;
  }

  /** Feeds one event; returns the spans it completed (possibly none). */
  onEvent(event: StreamEvent): SpanRecord[] {
    const time = timeOf(event);
    switch (event.kind) {
      case 'run.start': {
        const sourceId = event.spanId ?? `${event.runId}/run`;
        const parent = event.parentSpanId !== undefined ? otelSpanId(event.parentSpanId) : undefined;
        const meta = event.metadata?.['trace_id'];
        const traceId =
          this.presetTrace.get(event.runId) ??
          (parent !== undefined ? this.spanTrace.get(parent) : undefined) ??
          (typeof meta === 'string' && isOtelTraceId(meta) ? meta : otelTraceId(event.runId));
        this.runTrace.set(event.runId, traceId);
        const agentName = event.name ?? event.agentId ?? 'agent';
        const span = this.start(event, 'invoke_agent', `invoke_agent ${agentName}`, 'internal', sourceId, traceId, parent, time);
        span.attributes['gen_ai.agent.name'] = agentName;
        if (event.name !== undefined) span.attributes['cascade.run.name'] = event.name;
        const conversation = event.metadata?.['conversation_id'];
        if (typeof conversation === 'string') span.attributes['gen_ai.conversation.id'] = conversation;
        if (event.input !== undefined) {
          span.attributes['cascade.input.digest'] = digestOf(event.input);
          if (this.options.captureContent) span.attributes['gen_ai.input.messages'] = this.content([{ role: 'user', parts: [{ type: 'text', content: event.input }] }]);
        }
        this.runSpan.set(event.runId, span.spanId);
        this.open.set(runKey(event.runId), span);
        return [];
      }
      case 'run.end': {
        const span = this.open.get(runKey(event.runId));
        const done: SpanRecord[] = [];
        // Whatever the run left open (a blocked tool never gets a result) ends with it.
        for (const [key, s] of this.open) {
          if (s.runId === event.runId && key !== runKey(event.runId)) {
            s.attributes['cascade.span.unfinished'] = true;
            done.push(this.finish(key, s, time));
          }
        }
        if (span !== undefined) {
          const status = event.status ?? 'ok';
          span.attributes['cascade.run.status'] = status;
          if (status === 'ok') span.status = { code: 'ok' };
          else {
            span.status = { code: 'error', message: status === 'halted' ? 'run halted by policy' : bounded(event.error ?? 'run failed', 1_024) };
            span.attributes['error.type'] = status === 'halted' ? 'cascade.run_halted' : 'cascade.run_error';
          }
          done.push(this.finish(runKey(event.runId), span, time));
        }
        this.runTrace.delete(event.runId);
        this.presetTrace.delete(event.runId);
        this.runSpan.delete(event.runId);
        this.pendingChats.delete(event.runId);
        this.chatCount.delete(event.runId);
        this.lastChat.delete(event.runId);
        return done;
      }
      case 'llm.request': {
        let key: string;
        let sourceId: string;
        if (event.spanId !== undefined) {
          key = `chat\u0000${event.runId}\u0000${event.spanId}`;
          sourceId = event.spanId;
        } else {
          const n = (this.chatCount.get(event.runId) ?? 0) + 1;
          this.chatCount.set(event.runId, n);
          sourceId = `${event.runId}/llm/${n}`;
          key = `chat\u0000${event.runId}\u0000#${n}`;
          const queue = this.pendingChats.get(event.runId) ?? [];
          queue.push(key);
          this.pendingChats.set(event.runId, queue);
        }
        const span = this.start(event, 'chat', `chat ${event.model}`, 'client', sourceId, this.traceOf(event), this.parentOf(event), time);
        span.attributes['gen_ai.request.model'] = event.model;
        const provider = event.metadata?.['provider'] ?? this.options.provider;
        if (typeof provider === 'string') span.attributes['gen_ai.provider.name'] = provider;
        span.attributes['cascade.llm.message_count'] = event.messages.length;
        if (event.tools !== undefined && event.tools.length > 0) span.attributes['cascade.llm.tool_names'] = event.tools.map((t) => t.name);
        span.attributes['cascade.input.digest'] = digestOf(event.messages);
        if (this.options.captureContent) span.attributes['gen_ai.input.messages'] = this.content(event.messages.map(toSemconvMessage));
        this.open.set(key, span);
        this.lastChat.set(event.runId, span.spanId);
        return [];
      }
      case 'llm.response': {
        let key: string | undefined;
        if (event.spanId !== undefined && this.open.has(`chat\u0000${event.runId}\u0000${event.spanId}`)) {
          key = `chat\u0000${event.runId}\u0000${event.spanId}`;
        } else {
          key = this.pendingChats.get(event.runId)?.shift();
        }
        let span = key !== undefined ? this.open.get(key) : undefined;
        if (span === undefined || key === undefined) {
          // A response without its request still becomes a (zero-length) chat span.
          key = `chat\u0000${event.runId}\u0000orphan\u0000${event.spanId ?? time}`;
          const model = event.model ?? 'unknown';
          span = this.start(event, 'chat', `chat ${model}`, 'client', event.spanId ?? `${event.runId}/llm/orphan/${time}`, this.traceOf(event), this.parentOf(event), time);
          this.open.set(key, span);
        }
        if (event.model !== undefined) span.attributes['gen_ai.response.model'] = event.model;
        const u = event.usage;
        if (u?.inputTokens !== undefined) span.attributes['gen_ai.usage.input_tokens'] = u.inputTokens;
        if (u?.outputTokens !== undefined) span.attributes['gen_ai.usage.output_tokens'] = u.outputTokens;
        if (u?.costUsd !== undefined) span.attributes['cascade.usage.cost_usd'] = u.costUsd;
        const calls = event.toolCalls ?? [];
        span.attributes['cascade.llm.tool_call_count'] = calls.length;
        span.attributes['cascade.output.digest'] = digestOf({ content: event.content, toolCalls: calls });
        if (this.options.captureContent) span.attributes['gen_ai.output.messages'] = this.content([toSemconvOutput(event.content, calls)]);
        if (event.reasoning !== undefined) span.events.push(this.reasoningEvent(event.reasoning, time));
        this.lastChat.set(event.runId, span.spanId);
        return [this.finish(key, span, time)];
      }
      case 'tool.call': {
        const key = toolKey(event.runId, event.callId);
        const sourceId = event.spanId ?? `${event.runId}/tool/${event.callId}`;
        const span = this.start(event, 'execute_tool', `execute_tool ${event.tool}`, 'internal', sourceId, this.traceOf(event), this.parentOf(event), time);
        span.attributes['gen_ai.tool.name'] = event.tool;
        span.attributes['gen_ai.tool.call.id'] = event.callId;
        span.attributes['gen_ai.tool.type'] = 'function';
        span.attributes['cascade.tool.args_digest'] = digestOf(event.args);
        if (this.options.captureContent) span.attributes['gen_ai.tool.call.arguments'] = this.content(event.args);
        this.open.set(key, span);
        return [];
      }
      case 'tool.result': {
        const key = toolKey(event.runId, event.callId);
        let span = this.open.get(key);
        if (span === undefined) {
          const start = time - (typeof event.durationMs === 'number' ? event.durationMs : 0);
          span = this.start(event, 'execute_tool', `execute_tool ${event.tool}`, 'internal', event.spanId ?? `${event.runId}/tool/${event.callId}`, this.traceOf(event), this.parentOf(event), start);
          span.attributes['gen_ai.tool.name'] = event.tool;
          span.attributes['gen_ai.tool.call.id'] = event.callId;
          span.attributes['gen_ai.tool.type'] = 'function';
          this.open.set(key, span);
        }
        if (typeof event.durationMs === 'number') span.attributes['cascade.tool.duration_ms'] = event.durationMs;
        span.attributes['cascade.tool.result_digest'] = digestOf({ result: event.result, error: event.error });
        if (this.options.captureContent && event.result !== undefined) span.attributes['gen_ai.tool.call.result'] = this.content(event.result);
        if (event.error !== undefined) {
          span.status = { code: 'error', message: this.options.captureContent ? bounded(event.error, 1_024) : 'tool failed' };
          span.attributes['error.type'] = 'cascade.tool_error';
        }
        return [this.finish(key, span, time)];
      }
      case 'reasoning': {
        const run = this.open.get(runKey(event.runId));
        if (run !== undefined) {
          run.events.push(this.reasoningEvent(event.text, time));
          return [];
        }
        const span = this.start(event, 'reasoning', 'reasoning', 'internal', event.spanId ?? `${event.runId}/reasoning/${time}`, this.traceOf(event), this.parentOf(event), time);
        span.events.push(this.reasoningEvent(event.text, time));
        return [span];
      }
      case 'agent.response': {
        const run = this.open.get(runKey(event.runId));
        const attributes: SpanAttributes = { 'cascade.output.digest': digestOf(event.content), 'cascade.output.chars': event.content.length };
        if (this.options.captureContent) attributes['gen_ai.output.messages'] = this.content([toSemconvOutput(event.content, [])]);
        if (run !== undefined) {
          run.events.push({ name: 'cascade.agent.response', time, attributes });
          if (this.options.captureContent) run.attributes['gen_ai.output.messages'] = attributes['gen_ai.output.messages'] as string;
          return [];
        }
        const span = this.start(event, 'invoke_agent', `invoke_agent ${event.agentId ?? 'agent'}`, 'internal', event.spanId ?? `${event.runId}/response/${time}`, this.traceOf(event), this.parentOf(event), time);
        span.events.push({ name: 'cascade.agent.response', time, attributes });
        return [span];
      }
    }
  }

  /** The span that an evaluation of `event` judges (the guardrail span's parent). */
  operationSpanId(event: StreamEvent): string {
    switch (event.kind) {
      case 'llm.request':
      case 'llm.response':
        if (event.spanId !== undefined) return otelSpanId(event.spanId);
        return this.lastChat.get(event.runId) ?? this.runSpanId(event);
      case 'tool.call':
      case 'tool.result':
        return this.open.get(toolKey(event.runId, event.callId))?.spanId ?? otelSpanId(event.spanId ?? `${event.runId}/tool/${event.callId}`);
      default:
        return this.runSpanId(event);
    }
  }

  /** One guardrail span for one evaluation (none in observe mode, which does not evaluate). */
  onEvaluation(input: EvaluationInput): SpanRecord | undefined {
    if (input.runMode === 'observe') return undefined;
    const { event, decision, findings } = input;
    const a = this.conv.attributes;
    const start = finiteOr(input.startTime, timeOf(event));
    const latency = typeof input.latencyMs === 'number' && Number.isFinite(input.latencyMs) ? Math.max(0, input.latencyMs) : 0;
    const evaluationId =
      input.evaluationId ??
      findings[0]?.evaluationId ??
      'eval_' + sha256Hex(canonicalJson({ runId: event.runId, spanId: event.spanId, kind: event.kind, time: start, bundle: decision.bundleHash })).slice(0, 24);
    const target = this.targetType(event);
    const attributes: SpanAttributes = {
      'gen_ai.operation.name': this.conv.operationName,
      [a.guardrailId]: GUARDRAIL_NAME,
      [a.guardrailName]: GUARDRAIL_NAME,
      [a.guardrailVersion]: decision.bundleHash,
      [a.targetType]: target,
      'cascade.run.id': event.runId,
      'cascade.evaluation.id': evaluationId,
      'cascade.bundle.hash': decision.bundleHash,
      'cascade.decision.outcome': decision.outcome,
      'cascade.mode.run': input.runMode,
      'cascade.event.kind': event.kind,
      'cascade.event.direction': event.direction ?? defaultDirection(event.kind),
      'cascade.evaluation.latency_ms': latency,
      'cascade.finding.count': findings.length,
    };
    if (this.options.project !== undefined) attributes['cascade.project'] = this.options.project;
    if (event.agentId !== undefined) attributes['gen_ai.agent.id'] = event.agentId;
    if (event.kind === 'tool.call' || event.kind === 'tool.result') {
      attributes['gen_ai.tool.name'] = event.tool;
      attributes['gen_ai.tool.call.id'] = event.callId;
    }
    if (findings.length > 0) attributes['cascade.finding.ids'] = findings.map((f) => f.id);

    let verdict: Verdict = 'allow';
    let action: EnforcedAction = 'allow';
    const events: SpanEventRecord[] = [];
    let errorMessage: string | undefined;
    for (const f of findings) {
      const v = verdictOf(f);
      const act = enforcedActionOf(f);
      if (v !== undefined && VERDICT_RANK[v] > VERDICT_RANK[verdict]) verdict = v;
      if (ACTION_RANK[act] > ACTION_RANK[action]) action = act;
      if (f.outcome === 'error') errorMessage ??= f.message;
      events.push({ name: this.conv.findingEvent, time: start + latency, attributes: this.findingAttributes(f, v, act) });
      const evaluation: SpanAttributes = {
        'gen_ai.evaluation.name': f.policy ?? GUARDRAIL_NAME,
        'gen_ai.evaluation.score.label': f.outcome === 'error' ? 'error' : f.outcome === 'allowed' ? 'pass' : 'fail',
        'gen_ai.evaluation.explanation': bounded(f.message, 2_048),
        'cascade.finding.id': f.id,
      };
      if (f.outcome !== 'error') evaluation['gen_ai.evaluation.score.value'] = f.outcome === 'allowed' ? 1 : 0;
      else evaluation['error.type'] = 'cascade.evaluation_error';
      events.push({ name: EVALUATION_RESULT_EVENT, time: start + latency, attributes: evaluation });
    }
    if (findings.length === 0) {
      events.push({
        name: EVALUATION_RESULT_EVENT,
        time: start + latency,
        attributes: { 'gen_ai.evaluation.name': GUARDRAIL_NAME, 'gen_ai.evaluation.score.label': 'pass', 'gen_ai.evaluation.score.value': 1 },
      });
    }
    attributes[a.verdict] = verdict;
    // Some revisions use one attribute for both; the enforced action is the more useful of the two.
    attributes[a.action] = action;
    const top = findings.find((f) => f.outcome !== 'allowed' && f.policy !== undefined);
    if (top !== undefined) {
      attributes[a.policyId] = top.policy as string;
      attributes[a.policyName] = top.policy as string;
      if (top.policyVersion !== undefined) attributes[a.policyVersion] = top.policyVersion;
      attributes[a.ruleId] = top.policy as string;
      attributes[a.verdictReason] = bounded(top.message, 2_048);
      attributes[a.riskSeverity] = top.severity;
      if (top.classification !== undefined) attributes[a.riskCategory] = top.classification;
    }
    const span: SpanRecord = {
      traceId: this.traceOf(event),
      spanId: otelSpanId(`guardrail:${evaluationId}`),
      parentSpanId: this.operationSpanId(event),
      sourceSpanId: `guardrail:${evaluationId}`,
      runId: event.runId,
      operation: 'run_guardrail',
      name: `${this.conv.operationName} ${GUARDRAIL_NAME}`,
      kind: 'internal',
      startTime: start,
      endTime: start + latency,
      status: errorMessage !== undefined ? { code: 'error', message: bounded(errorMessage, 1_024) } : { code: 'unset' },
      attributes,
      events,
    };
    if (errorMessage !== undefined) attributes['error.type'] = 'cascade.evaluation_error';
    return span;
  }

  /** Ends every open span (at shutdown), marked `cascade.span.unfinished`. */
  drain(now: number = Date.now()): SpanRecord[] {
    const done: SpanRecord[] = [];
    for (const [key, span] of [...this.open]) {
      span.attributes['cascade.span.unfinished'] = true;
      done.push(this.finish(key, span, Math.max(now, span.startTime)));
    }
    this.runTrace.clear();
    this.presetTrace.clear();
    this.runSpan.clear();
    this.pendingChats.clear();
    this.chatCount.clear();
    this.lastChat.clear();
    return done;
  }

  private findingAttributes(f: Finding, verdict: Verdict | undefined, action: EnforcedAction): SpanAttributes {
    const a = this.conv.attributes;
    const attrs: SpanAttributes = {
      [a.findingId]: f.id,
      [a.action]: action,
      [a.riskSeverity]: f.severity,
      [a.verdictReason]: bounded(f.message, 2_048),
      'cascade.finding.outcome': f.outcome,
      'cascade.finding.shadow': f.shadow,
      'cascade.mode.effective': f.effectiveMode,
    };
    if (verdict !== undefined) attrs[a.verdict] = verdict;
    if (f.policy !== undefined) {
      attrs[a.policyId] = f.policy;
      attrs[a.policyName] = f.policy;
      attrs[a.ruleId] = f.policy;
    }
    if (f.policyVersion !== undefined) attrs[a.policyVersion] = f.policyVersion;
    if (f.classification !== undefined) attrs[a.riskCategory] = f.classification;
    if (f.framework !== undefined) attrs['cascade.framework'] = f.framework;
    if (f.evidence.length > 0) attrs['cascade.evidence.fields'] = f.evidence.map((e) => e.field);
    if (f.outcome === 'error') attrs['error.type'] = 'cascade.evaluation_error';
    return attrs;
  }

  private targetType(event: StreamEvent): string {
    const t = this.conv.targetTypes;
    switch (event.kind) {
      case 'llm.request':
        return t.llmInput;
      case 'llm.response':
      case 'agent.response':
        return t.llmOutput;
      case 'tool.call':
        return t.toolCall;
      case 'tool.result':
        return t.toolResult;
      case 'reasoning':
        return t.reasoning;
      case 'run.start':
      case 'run.end':
        return t.userInput;
    }
  }

  private start(
    event: StreamEvent,
    operation: SpanRecord['operation'],
    name: string,
    kind: SpanRecord['kind'],
    sourceId: string,
    traceId: string,
    parentSpanId: string | undefined,
    time: number,
  ): SpanRecord {
    const spanId = otelSpanId(sourceId);
    const attributes: SpanAttributes = { 'gen_ai.operation.name': operation, 'cascade.run.id': event.runId };
    if (this.options.project !== undefined) attributes['cascade.project'] = this.options.project;
    if (event.agentId !== undefined) attributes['gen_ai.agent.id'] = event.agentId;
    attributes['cascade.event.direction'] = event.direction ?? defaultDirection(event.kind);
    const mode = event.metadata?.['enforcement_mode'];
    if (typeof mode === 'string') attributes['cascade.mode'] = mode;
    const span: SpanRecord = { traceId, spanId, runId: event.runId, operation, name, kind, startTime: time, endTime: time, status: { code: 'unset' }, attributes, events: [] };
    if (parentSpanId !== undefined && parentSpanId !== spanId) span.parentSpanId = parentSpanId;
    if (spanId !== sourceId) span.sourceSpanId = sourceId;
    this.spanTrace.set(spanId, traceId);
    return span;
  }

  private finish(key: string, span: SpanRecord, time: number): SpanRecord {
    this.open.delete(key);
    this.spanTrace.delete(span.spanId);
    span.endTime = Math.max(span.startTime, time);
    return span;
  }

  private traceOf(event: StreamEvent): string {
    const known = this.runTrace.get(event.runId) ?? this.presetTrace.get(event.runId);
    if (known !== undefined) return known;
    if (event.parentSpanId !== undefined) {
      const t = this.spanTrace.get(otelSpanId(event.parentSpanId));
      if (t !== undefined) return t;
    }
    return otelTraceId(event.runId);
  }

  private parentOf(event: StreamEvent): string | undefined {
    if (event.parentSpanId !== undefined) return otelSpanId(event.parentSpanId);
    return this.runSpan.get(event.runId);
  }

  private runSpanId(event: StreamEvent): string {
    return this.runSpan.get(event.runId) ?? otelSpanId(event.kind === 'run.start' && event.spanId !== undefined ? event.spanId : `${event.runId}/run`);
  }

  private reasoningEvent(text: string, time: number): SpanEventRecord {
    const attributes: SpanAttributes = { 'cascade.reasoning.chars': text.length, 'cascade.reasoning.digest': digestOf(text) };
    if (this.options.captureContent) attributes['cascade.reasoning.content'] = bounded(text, this.options.maxContentChars ?? 8_192);
    return { name: 'cascade.reasoning', time, attributes };
  }

  private content(value: unknown): AttributeValue {
    const max = this.options.maxContentChars ?? 8_192;
    return boundString(boundedJsonText(value, { maxTotalChars: max * 2 }).value, max).value;
  }
}

/** Maps a whole recorded trace (e.g. for replay): every event, then every evaluation, then drains. */
export function mapEventsToSpans(
  events: readonly StreamEvent[],
  evaluations: readonly EvaluationInput[] = [],
  options: SpanMappingOptions = {},
): SpanRecord[] {
  const assembler = new SpanAssembler(options);
  const out: SpanRecord[] = [];
  const byEvent = new Map<StreamEvent, EvaluationInput[]>();
  for (const e of evaluations) byEvent.set(e.event, [...(byEvent.get(e.event) ?? []), e]);
  for (const event of events) {
    out.push(...assembler.onEvent(event));
    for (const e of byEvent.get(event) ?? []) {
      const g = assembler.onEvaluation(e);
      if (g !== undefined) out.push(g);
    }
  }
  out.push(...assembler.drain(events.length > 0 ? timeOf(events[events.length - 1] as StreamEvent) : Date.now()));
  return out;
}

function verdictOf(f: Finding): Verdict | undefined {
  if (f.outcome === 'error') return undefined;
  if (f.outcome === 'allowed') return 'allow';
  switch (f.action) {
    case 'allow':
      return 'warn';
    case 'modify':
      return 'modify';
    default:
      return 'deny';
  }
}

function enforcedActionOf(f: Finding): EnforcedAction {
  switch (f.outcome) {
    case 'blocked':
      return 'block';
    case 'modified':
      return 'modify';
    case 'halted':
      return 'halt';
    case 'error':
      return f.action === 'block' ? 'block' : 'allow';
    default:
      return 'allow';
  }
}

function toSemconvMessage(m: ChatMessage): unknown {
  if (m.role === 'tool') return { role: 'tool', parts: [{ type: 'tool_call_response', id: m.toolCallId, response: m.content }] };
  return { role: m.role, parts: [{ type: 'text', content: m.content }] };
}

function toSemconvOutput(content: string, calls: readonly ToolCallRequest[]): unknown {
  const parts: unknown[] = [];
  if (content !== '') parts.push({ type: 'text', content });
  for (const c of calls) parts.push({ type: 'tool_call', id: c.callId, name: c.tool, arguments: c.args });
  return { role: 'assistant', parts, finish_reason: calls.length > 0 ? 'tool_call' : 'stop' };
}

function runKey(runId: string): string {
  return `run\u0000${runId}`;
}

function toolKey(runId: string, callId: string): string {
  return `tool\u0000${runId}\u0000${callId}`;
}

function timeOf(event: StreamEvent): number {
  return typeof event.time === 'number' && Number.isFinite(event.time) ? event.time : Date.now();
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function bounded(text: string, max: number): string {
  return boundString(text, max).value;
}
