import { describe, expect, it } from 'vitest';
import type { StreamEvent, ToolCallEvent } from '../../src/events/types.js';
import { buildFindings } from '../../src/findings/finding.js';
import { GUARDRAIL_CONVENTIONS } from '../../src/findings/guardrail-conventions.js';
import type { EvaluationInput } from '../../src/findings/span-mapping.js';
import { mapEventsToSpans, SpanAssembler } from '../../src/findings/span-mapping.js';
import type { SpanRecord } from '../../src/findings/span-record.js';
import { otelSpanId } from '../../src/findings/span-record.js';
import { decision, sampleRun, violation } from './helpers.js';

function byOp(spans: SpanRecord[], op: SpanRecord['operation']): SpanRecord {
  const s = spans.find((x) => x.operation === op);
  if (s === undefined) throw new Error(`no ${op} span`);
  return s;
}

function evaluationOf(events: StreamEvent[], partial: Partial<EvaluationInput> = {}): EvaluationInput {
  const call = events.find((e): e is ToolCallEvent => e.kind === 'tool.call');
  if (call === undefined) throw new Error('no tool call');
  const d = decision({ outcome: 'block', violations: [violation({ classification: 'OWASP-LLM06', framework: 'owasp-llm' }), violation({ policy: 'watch', action: 'allow', severity: 'low' })] });
  const findings = buildFindings(call, d, { project: 'demo', runMode: 'enforce', now: 0 });
  return { event: call, decision: d, findings, runMode: 'enforce', latencyMs: 0.25, ...partial };
}

describe('GenAI spans from a run', () => {
  const events = sampleRun();
  const spans = mapEventsToSpans(events, [], { project: 'demo' });

  it('emits invoke_agent, chat and execute_tool spans in one trace, parented to the run', () => {
    expect(spans.map((s) => s.name)).toEqual(['chat gpt-test', 'execute_tool issue_refund', 'invoke_agent support']);
    const run = byOp(spans, 'invoke_agent');
    const chat = byOp(spans, 'chat');
    const tool = byOp(spans, 'execute_tool');
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(run.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.parentSpanId).toBeUndefined();
    expect(chat.parentSpanId).toBe(run.spanId);
    expect(tool.parentSpanId).toBe(run.spanId);
    expect(run.spanId).toBe(otelSpanId('run-1-root'));
    expect(run.sourceSpanId).toBe('run-1-root');
    expect([run.kind, chat.kind, tool.kind]).toEqual(['internal', 'client', 'internal']);
    expect([chat.startTime, chat.endTime]).toEqual([1_700_000_000_010, 1_700_000_000_200]);
  });

  it('carries gen_ai.* and cascade.* attributes', () => {
    expect(byOp(spans, 'invoke_agent').attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support',
      'gen_ai.agent.id': 'support-agent',
      'cascade.run.id': 'run-1',
      'cascade.project': 'demo',
      'cascade.mode': 'enforce',
      'cascade.run.status': 'ok',
    });
    expect(byOp(spans, 'invoke_agent').status).toEqual({ code: 'ok' });
    expect(byOp(spans, 'chat').attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.response.model': 'gpt-test-2025',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 7,
      'cascade.llm.tool_call_count': 1,
    });
    expect(byOp(spans, 'execute_tool').attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'issue_refund',
      'gen_ai.tool.call.id': 'call-1',
      'gen_ai.tool.type': 'function',
      'cascade.tool.duration_ms': 50,
      'cascade.event.direction': 'agent_outbound',
    });
    expect(byOp(spans, 'invoke_agent').events.map((e) => e.name)).toEqual(['cascade.agent.response']);
  });

  it('records content only when captureContent is on', () => {
    const plain = JSON.stringify(spans);
    expect(plain).not.toContain('refund my order');
    expect(plain).not.toContain('gen_ai.input.messages');
    const captured = mapEventsToSpans(events, [], { captureContent: true });
    const chat = byOp(captured, 'chat');
    expect(JSON.parse(String(chat.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'refund my order' }] }]);
    expect(JSON.parse(String(chat.attributes['gen_ai.output.messages']))).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call-1', name: 'issue_refund', arguments: { amount: 900 } }], finish_reason: 'tool_call' },
    ]);
    expect(JSON.parse(String(byOp(captured, 'execute_tool').attributes['gen_ai.tool.call.arguments']))).toEqual({ amount: 900 });
  });
});

describe('guardrail spans', () => {
  it('emits one run_guardrail span per evaluation under the judged span, with findings and evaluation results', () => {
    const events = sampleRun();
    const evaluation = evaluationOf(events);
    const spans = mapEventsToSpans(events, [evaluation], { project: 'demo' });
    const g = byOp(spans, 'run_guardrail');
    const tool = byOp(spans, 'execute_tool');
    expect(g.parentSpanId).toBe(tool.spanId);
    expect(g.traceId).toBe(tool.traceId);
    expect(g.name).toBe('run_guardrail cascade-runtime');
    expect(g.endTime - g.startTime).toBeCloseTo(0.25);
    expect(g.attributes).toMatchObject({
      'gen_ai.operation.name': 'run_guardrail',
      'gen_ai.security.guardrail.id': 'cascade-runtime',
      'gen_ai.security.guardrail.version': 'bundle-abc',
      'gen_ai.security.target.type': 'tool_call',
      'gen_ai.security.verdict.type': 'deny',
      'gen_ai.security.action.type': 'block',
      'gen_ai.security.policy.id': 'refund-limit',
      'gen_ai.security.policy.version': 'v-1234',
      'gen_ai.security.policy.rule.id': 'refund-limit',
      'gen_ai.security.risk.category': 'OWASP-LLM06',
      'gen_ai.security.risk.severity': 'high',
      'gen_ai.tool.name': 'issue_refund',
      'cascade.evaluation.id': evaluation.findings[0]?.evaluationId,
      'cascade.decision.outcome': 'block',
      'cascade.finding.count': 2,
    });
    expect(g.events.map((e) => e.name)).toEqual(['gen_ai.security.finding', 'gen_ai.evaluation.result', 'gen_ai.security.finding', 'gen_ai.evaluation.result']);
    expect(g.events[0]?.attributes).toMatchObject({
      'gen_ai.security.external_finding_id': evaluation.findings[0]?.id,
      'gen_ai.security.verdict.type': 'deny',
      'gen_ai.security.action.type': 'block',
      'cascade.finding.outcome': 'blocked',
      'cascade.framework': 'owasp-llm',
    });
    expect(g.events[2]?.attributes).toMatchObject({ 'gen_ai.security.verdict.type': 'warn', 'gen_ai.security.action.type': 'allow', 'cascade.finding.outcome': 'flagged' });
    expect(g.events[1]?.attributes).toMatchObject({
      'gen_ai.evaluation.name': 'refund-limit',
      'gen_ai.evaluation.score.label': 'fail',
      'gen_ai.evaluation.score.value': 0,
      'gen_ai.evaluation.explanation': 'refund of 900 exceeds the 500 limit',
    });
  });

  it('passes allows, marks evaluation errors and skips observe mode', () => {
    const a = new SpanAssembler();
    const [call] = sampleRun().filter((e) => e.kind === 'tool.call');
    if (call === undefined) throw new Error('no call');
    const pass = a.onEvaluation({ event: call, decision: decision(), findings: [], runMode: 'detect' });
    expect(pass?.attributes['gen_ai.security.verdict.type']).toBe('allow');
    expect(pass?.events).toEqual([
      expect.objectContaining({ name: 'gen_ai.evaluation.result', attributes: { 'gen_ai.evaluation.name': 'cascade-runtime', 'gen_ai.evaluation.score.label': 'pass', 'gen_ai.evaluation.score.value': 1 } }),
    ]);
    const errDecision = decision({ outcome: 'block', errors: [{ policy: 'custom', message: 'isolate died' }] });
    const errors = buildFindings(call, errDecision, { project: 'p', runMode: 'enforce', now: 0 });
    const failed = a.onEvaluation({ event: call, decision: errDecision, findings: errors, runMode: 'enforce' });
    expect(failed?.status.code).toBe('error');
    expect(failed?.attributes['error.type']).toBe('cascade.evaluation_error');
    expect(failed?.attributes['gen_ai.security.action.type']).toBe('block');
    expect(a.onEvaluation({ event: call, decision: decision(), findings: [], runMode: 'observe' })).toBeUndefined();
  });

  it('switches attribute names with the convention version', () => {
    const events = sampleRun();
    const spans = mapEventsToSpans(events, [evaluationOf(events)], { guardrailConvention: 'genai-guardian-3233' });
    const g = byOp(spans, 'run_guardrail');
    const c = GUARDRAIL_CONVENTIONS['genai-guardian-3233'];
    expect(g.name).toBe('apply_guardrail cascade-runtime');
    expect(g.attributes['gen_ai.operation.name']).toBe('apply_guardrail');
    expect(g.attributes[c.attributes.guardrailId]).toBe('cascade-runtime');
    expect(g.attributes['gen_ai.security.guardrail.id']).toBeUndefined();
  });
});

describe('span assembly edge cases', () => {
  it('puts a child run in its parent trace, under the span that started it', () => {
    const a = new SpanAssembler();
    const t = 1_000;
    a.onEvent({ kind: 'run.start', runId: 'parent', spanId: 'p-root', time: t });
    a.onEvent({ kind: 'tool.call', runId: 'parent', spanId: 'p-tool', tool: 'delegate', callId: 'c1', args: {}, time: t + 1 });
    a.onEvent({ kind: 'run.start', runId: 'child', spanId: 'c-root', parentSpanId: 'p-tool', time: t + 2 });
    const [childRun] = a.onEvent({ kind: 'run.end', runId: 'child', time: t + 3 });
    const [parentTool] = a.onEvent({ kind: 'tool.result', runId: 'parent', tool: 'delegate', callId: 'c1', result: 'ok', time: t + 4 });
    expect(childRun?.traceId).toBe(parentTool?.traceId);
    expect(childRun?.parentSpanId).toBe(parentTool?.spanId);
  });

  it('ends a tool call that never got a result (blocked) with the run, marked unfinished', () => {
    const a = new SpanAssembler();
    a.onEvent({ kind: 'run.start', runId: 'r', time: 1 });
    a.onEvent({ kind: 'tool.call', runId: 'r', tool: 'send_email', callId: 'c', args: {}, time: 2 });
    expect(a.openSpanCount).toBe(2);
    const done = a.onEvent({ kind: 'run.end', runId: 'r', status: 'halted', time: 5 });
    expect(done.map((s) => s.operation)).toEqual(['execute_tool', 'invoke_agent']);
    expect(done[0]?.attributes['cascade.span.unfinished']).toBe(true);
    expect(done[1]?.status).toEqual({ code: 'error', message: 'run halted by policy' });
    expect(a.openSpanCount).toBe(0);
  });

  it('pairs LLM calls without span ids in order, and maps orphans and stray reasoning', () => {
    const a = new SpanAssembler();
    a.onEvent({ kind: 'llm.request', runId: 'r', model: 'm1', messages: [], time: 1 });
    a.onEvent({ kind: 'llm.request', runId: 'r', model: 'm2', messages: [], time: 2 });
    const [first] = a.onEvent({ kind: 'llm.response', runId: 'r', content: 'a', time: 3 });
    const [second] = a.onEvent({ kind: 'llm.response', runId: 'r', content: 'b', time: 4 });
    expect([first?.name, second?.name]).toEqual(['chat m1', 'chat m2']);
    expect(first?.spanId).not.toBe(second?.spanId);
    const [orphan] = a.onEvent({ kind: 'llm.response', runId: 'r', model: 'm3', content: 'c', time: 5, reasoning: 'because' });
    expect(orphan?.name).toBe('chat m3');
    expect(orphan?.events[0]?.name).toBe('cascade.reasoning');
    const [thought] = a.onEvent({ kind: 'reasoning', runId: 'r', text: 'thinking', time: 6 });
    expect(thought?.operation).toBe('reasoning');
    expect(a.drain(10)).toEqual([]);
  });

  it('drains open spans at shutdown', () => {
    const a = new SpanAssembler();
    a.onEvent({ kind: 'run.start', runId: 'r', time: 1 });
    const drained = a.drain(9);
    expect(drained).toHaveLength(1);
    expect(drained[0]).toMatchObject({ endTime: 9, attributes: { 'cascade.span.unfinished': true } });
  });
});
