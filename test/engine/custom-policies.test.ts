// `type: custom` policies evaluated by tenant JavaScript in the isolated-vm sandbox, via the engine.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { compilePolicies, type Bundle } from '../../src/policy/index.js';
import { createEngine, sandboxEvaluator, EngineError } from '../../src/engine/index.js';
import { createSandboxHost } from '../../src/sandbox/index.js';
import type { StreamEvent } from '../../src/events/types.js';

const host = createSandboxHost({ timeoutMs: 50 });
afterAll(() => host.dispose());

function bundle(text: string): Bundle {
  const r = compilePolicies([{ text }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.bundle;
}
const call = (args: Record<string, unknown>): StreamEvent => ({ kind: 'tool.call', runId: 'r', tool: 'issue_refund', args, callId: 'c' }) as StreamEvent;

const POLICY = `name: tenant-refunds
type: custom
tenant: acme
on: tool.call
severity: high
code: |
  export function evaluate(event, context) {
    if (event.tool === 'issue_refund' && event.args.amount > 100)
      return { violation: true, message: 'acme caps refunds at 100, got ' + event.args.amount };
    return { violation: false };
  }
---
name: fragile
type: custom
tenant: acme
on: tool.call
on_error: allow
code: |
  export function evaluate(event) {
    if (event.args.explode) throw new Error('boom');
    return { violation: false };
  }
`;

describe('custom policies in the sandbox', () => {
  it('runs tenant code and reports its violation with the policy metadata', () => {
    const e = createEngine(bundle(POLICY), { customEvaluator: sandboxEvaluator(host) });
    expect(e.evaluate(call({ amount: 50 })).outcome).toBe('allow');
    const d = e.evaluate(call({ amount: 500 }));
    expect(d.outcome).toBe('block');
    expect(d.violations[0]).toMatchObject({ policy: 'tenant-refunds', policyType: 'custom', severity: 'high', message: 'acme caps refunds at 100, got 500' });
  });
  it('a throwing policy follows its on_error; the default fails closed', () => {
    const e = createEngine(bundle(POLICY), { customEvaluator: sandboxEvaluator(host) });
    const d = e.evaluate(call({ amount: 1, explode: true }));
    expect(d.outcome).toBe('flag'); // fragile says on_error: allow
    expect(d.errors[0]!.message).toContain('sandbox');
    const strict = createEngine(bundle(POLICY.replace('on_error: allow\n', '')), { customEvaluator: sandboxEvaluator(host) });
    expect(strict.evaluate(call({ amount: 1, explode: true })).outcome).toBe('block');
  });
  it('refuses a bundle whose tenant code does not compile, naming the line', () => {
    const bad = 'name: broken\ntype: custom\ncode: |\n  export function evaluate(event) {\n    return {{ violation: false };\n  }\n';
    expect(() => createEngine(bundle(bad), { customEvaluator: sandboxEvaluator(host) })).toThrow(EngineError);
    expect(() => createEngine(bundle(bad), { customEvaluator: sandboxEvaluator(host) })).toThrow(/broken.*line \d+/);
  });
  it('evaluates all custom policies of an event in one sandbox call per tenant, with the same decision as one call each', () => {
    const e = createEngine(bundle(POLICY), { customEvaluator: sandboxEvaluator(host) });
    const base = sandboxEvaluator(host);
    const oneByOne = createEngine(bundle(POLICY), { customEvaluator: { prepare: base.prepare!, evaluate: base.evaluate } });
    const spy = vi.spyOn(host, 'evaluatePolicies');
    const single = vi.spyOn(host, 'evaluate');
    try {
      for (const args of [{ amount: 50 }, { amount: 500 }, { amount: 500, explode: true }]) {
        const together = e.evaluate(call(args));
        expect(together).toEqual(oneByOne.evaluate(call(args)));
      }
      expect(spy).toHaveBeenCalledTimes(3);
      expect(spy.mock.calls[0]!.slice(0, 2)).toEqual(['acme', ['tenant-refunds', 'fragile']]);
      // the one-by-one engine alone used evaluate: two policies, three events
      expect(single).toHaveBeenCalledTimes(6);
    } finally {
      spy.mockRestore();
      single.mockRestore();
    }
  });
  it('fails the calls closed when evaluateAll throws or answers with the wrong shape', () => {
    const base = sandboxEvaluator(host);
    const throwing = createEngine(bundle(POLICY.replace('on_error: allow\n', '')), {
      customEvaluator: { ...base, evaluateAll: () => { throw new Error('down'); } },
    });
    const d = throwing.evaluate(call({ amount: 1 }));
    expect(d.outcome).toBe('block');
    expect(d.errors.map((x) => x.message)).toEqual(['custom policy evaluator threw: down', 'custom policy evaluator threw: down']);
    const short = createEngine(bundle(POLICY.replace('on_error: allow\n', '')), { customEvaluator: { ...base, evaluateAll: () => [] } });
    expect(short.evaluate(call({ amount: 1 })).outcome).toBe('block');
    const malformed = createEngine(bundle(POLICY), { customEvaluator: { ...base, evaluateAll: () => [null, { status: 'ok', violation: false }] as never } });
    const m = malformed.evaluate(call({ amount: 1 }));
    expect(m.outcome).toBe('block');
    expect(m.errors).toEqual([{ policy: 'tenant-refunds', message: 'custom policy evaluator returned a malformed result' }]);
  });
});
