import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/events/types.js';
import { digestOf } from '../../src/findings/canonical-json.js';
import type { FindingRunContext } from '../../src/findings/finding.js';
import { buildFindings, DEFAULT_FINDING_LIMITS } from '../../src/findings/finding.js';
import { decision, toolCall, violation } from './helpers.js';

const ctx: FindingRunContext = { project: 'demo', runMode: 'enforce', now: 1_700_000_000_500, latencyMs: 0.042 };

describe('buildFindings outcomes', () => {
  it('maps each enforce action to its outcome', () => {
    const cases = [
      ['block', 'blocked'],
      ['prevent_response', 'blocked'],
      ['modify', 'modified'],
      ['halt', 'halted'],
      ['allow', 'flagged'],
      ['require_approval', 'blocked'],
    ] as const;
    for (const [action, outcome] of cases) {
      const [f] = buildFindings(toolCall(), decision({ outcome: 'block', violations: [violation({ action })] }), ctx);
      expect(f?.outcome, action).toBe(outcome);
      expect(f?.action).toBe(action);
    }
  });

  it('records shadow policies as would_block and detect mode as flagged', () => {
    const shadow = buildFindings(toolCall(), decision({ outcome: 'flag', violations: [violation({ effectiveMode: 'detect', shadow: true })] }), ctx);
    expect(shadow[0]?.outcome).toBe('would_block');
    expect(shadow[0]?.shadow).toBe(true);
    const detect = buildFindings(toolCall(), decision({ outcome: 'flag', violations: [violation({ effectiveMode: 'detect' })] }), { ...ctx, runMode: 'detect' });
    expect(detect[0]?.outcome).toBe('flagged');
    expect(detect[0]?.runMode).toBe('detect');
  });

  it('lets an approved require_approval through as flagged', () => {
    const [f] = buildFindings(toolCall(), decision({ violations: [violation({ action: 'require_approval' })] }), { ...ctx, approval: 'approved' });
    expect(f?.outcome).toBe('flagged');
  });

  it('records nothing in observe mode', () => {
    expect(buildFindings(toolCall(), decision({ violations: [violation()] }), { ...ctx, runMode: 'observe' })).toEqual([]);
  });

  it('turns evaluation errors into error findings that say whether the event failed closed', () => {
    const closed = buildFindings(toolCall(), decision({ outcome: 'block', errors: [{ policy: 'custom-x', message: 'isolate crashed' }] }), ctx);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ outcome: 'error', action: 'block', policy: 'custom-x', error: 'isolate crashed', severity: 'high' });
    expect(closed[0]?.message).toContain('failed closed');
    const open = buildFindings(toolCall(), decision({ outcome: 'allow', errors: [{ message: 'timeout' }] }), ctx);
    expect(open[0]).toMatchObject({ outcome: 'error', action: 'allow' });
    expect(open[0]?.message).toContain('on_error: allow');
  });

  it('audits allows when asked, with deterministic sampling', () => {
    expect(buildFindings(toolCall(), decision(), ctx)).toEqual([]);
    const [allowed] = buildFindings(toolCall(), decision(), { ...ctx, auditAllows: true });
    expect(allowed).toMatchObject({ outcome: 'allowed', severity: 'info', action: 'allow', effectiveMode: 'enforce' });
    const sampledIds = (): string[] =>
      Array.from({ length: 1_000 }, (_, i) => buildFindings(toolCall({ callId: `c${i}` }), decision(), { ...ctx, auditAllows: 0.25 })).flatMap((fs) => fs.map((f) => f.id));
    const first = sampledIds();
    expect(first.length).toBeGreaterThan(180);
    expect(first.length).toBeLessThan(320);
    expect(sampledIds()).toEqual(first);
  });
});

describe('buildFindings fields', () => {
  it('carries run, span, policy, digests, bundle and latency', () => {
    const [f] = buildFindings(toolCall(), decision({ outcome: 'block', violations: [violation({ framework: 'owasp-llm', classification: 'OWASP-LLM06' })] }), {
      ...ctx,
      relatedSpanIds: { llm: ['span-llm-1'] },
    });
    expect(f).toMatchObject({
      schemaVersion: 1,
      project: 'demo',
      runId: 'run-1',
      agentId: 'support-agent',
      spanId: 'span-tool-1',
      parentSpanId: 'span-run-1',
      eventKind: 'tool.call',
      direction: 'agent_outbound',
      tool: 'issue_refund',
      callId: 'call-1',
      policy: 'refund-limit',
      policyVersion: 'v-1234',
      policyType: 'rule',
      framework: 'owasp-llm',
      severity: 'high',
      classification: 'OWASP-LLM06',
      effectiveMode: 'enforce',
      decisionOutcome: 'block',
      bundleHash: 'bundle-abc',
      latencyMs: 0.042,
      time: 1_700_000_000_000,
      relatedSpanIds: { llm: ['span-llm-1'], tool: ['span-tool-1'] },
    });
    expect(f?.argsDigest).toEqual({ before: digestOf({ amount: 900, orderId: 'A-17' }) });
    expect(f?.argsDigest.before).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('digests canonical JSON, so member order does not matter', () => {
    const a = buildFindings(toolCall({ args: { b: 1, a: { y: 2, x: 3 } } }), decision({ violations: [violation()] }), ctx);
    const b = buildFindings(toolCall({ args: { a: { x: 3, y: 2 }, b: 1 } }), decision({ violations: [violation()] }), ctx);
    expect(a[0]?.argsDigest.before).toBe(b[0]?.argsDigest.before);
  });

  it('is pure: the same inputs give the same findings, a new evaluation id gives new ids', () => {
    const d = decision({ violations: [violation(), violation({ policy: 'other' })] });
    const one = buildFindings(toolCall(), d, ctx);
    expect(buildFindings(toolCall(), d, ctx)).toEqual(one);
    expect(new Set(one.map((f) => f.id)).size).toBe(2);
    expect(one[0]?.evaluationId).toBe(one[1]?.evaluationId);
    const other = buildFindings(toolCall(), d, { ...ctx, evaluationId: 'eval-2' });
    expect(other[0]?.id).not.toBe(one[0]?.id);
    expect(other[0]?.evaluationId).toBe('eval-2');
  });

  it('keeps digests of a rewrite but never the secret it removed', () => {
    const secret = 'sk-live-51HxQ2eZvKYlo2C8d9f3';
    const text = `please use ${secret} for billing`;
    const event = toolCall({ tool: 'send_email', args: { body: text } });
    const rewritten = toolCall({ tool: 'send_email', args: { body: 'please use [REDACTED] for billing' } });
    const start = text.indexOf(secret);
    const v = violation({
      policy: 'no-secrets',
      action: 'modify',
      message: `secret ${secret} found in body`,
      evidence: [{ field: 'args.body', start, end: start + secret.length, excerpt: `…use ${secret} for…` }],
    });
    const messages: ChatMessage[] = [{ role: 'user', content: `my key is ${secret}` }];
    const [f] = buildFindings(event, decision({ outcome: 'modify', violations: [v] }), {
      ...ctx,
      rewrittenEvent: rewritten,
      lastMessages: messages,
      recentReasoning: [`I will send ${secret}`],
    });
    expect(f?.outcome).toBe('modified');
    expect(f?.argsDigest.before).toBe(digestOf({ body: text }));
    expect(f?.argsDigest.after).toBe(digestOf({ body: 'please use [REDACTED] for billing' }));
    const stored = JSON.stringify(f);
    expect(stored).not.toContain(secret);
    expect(stored).toContain('[redacted]');
    expect(f?.evidence[0]).toMatchObject({ field: 'args.body', start, end: start + secret.length });
  });

  it('applies the caller redactor to every kept text, and keeps nothing if it throws', () => {
    const redactText = (s: string): string => s.replace(/\d{3}-\d{2}-\d{4}/g, '[ssn]');
    const [f] = buildFindings(toolCall(), decision({ violations: [violation({ message: 'ssn 123-45-6789 in args' })] }), {
      ...ctx,
      redactText,
      lastMessages: [{ role: 'user', content: 'my ssn is 123-45-6789' }],
    });
    expect(JSON.stringify(f)).not.toContain('123-45-6789');
    const [g] = buildFindings(toolCall(), decision({ violations: [violation({ message: 'hello' })] }), {
      ...ctx,
      redactText: () => {
        throw new Error('broken');
      },
    });
    expect(g?.message).toBe('[redacted]');
  });

  it('bounds the context at intervention', () => {
    const big = 'x'.repeat(10_000);
    const lastMessages: ChatMessage[] = Array.from({ length: 100 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `${i}:${big}` }));
    const recentReasoning = Array.from({ length: 50 }, (_, i) => `thought ${i} ${big}`);
    const [f] = buildFindings(toolCall(), decision({ violations: [violation({ message: big })] }), { ...ctx, lastMessages, recentReasoning });
    const c = f?.context;
    expect(c?.truncated).toBe(true);
    expect(c?.lastMessages.length).toBeLessThanOrEqual(DEFAULT_FINDING_LIMITS.maxContextMessages);
    // the newest message is kept first
    expect(c?.lastMessages[c.lastMessages.length - 1]?.content.startsWith('99:')).toBe(true);
    const total = [...(c?.lastMessages ?? []).map((m) => m.content), ...(c?.recentReasoning ?? [])].join('').length;
    expect(total).toBeLessThanOrEqual(DEFAULT_FINDING_LIMITS.maxContextChars);
    for (const m of c?.lastMessages ?? []) expect(m.content.length).toBeLessThanOrEqual(DEFAULT_FINDING_LIMITS.maxContextEntryChars);
    expect(f?.message.length).toBeLessThanOrEqual(DEFAULT_FINDING_LIMITS.maxMessageChars);
    expect(f?.message).toContain('…[truncated');
  });

  it('uses the messages of an llm.request as context when none are given', () => {
    const [f] = buildFindings(
      { kind: 'llm.request', runId: 'r', model: 'm', messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hi' }] },
      decision({ violations: [violation()] }),
      ctx,
    );
    expect(f?.context.lastMessages.map((m) => m.content)).toEqual(['be nice', 'hi']);
    expect(f?.time).toBe(ctx.now);
  });

  it('survives hostile arguments: cycles, throwing getters, extreme nesting, lone surrogates', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const throwing = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    for (const args of [cyclic, throwing, deep, { s: '\uD800 broken \uDC00' }]) {
      const fs = buildFindings(toolCall({ args: args as never }), decision({ violations: [violation({ message: 'bad \uD83D' })] }), ctx);
      expect(fs).toHaveLength(1);
      expect(fs[0]?.argsDigest.before).toMatch(/^sha256:/);
      expect(fs[0]?.message).toBe('bad \uFFFD');
    }
  });
});
