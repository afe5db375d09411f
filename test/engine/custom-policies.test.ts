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

describe('engine.loadTenantPolicies', () => {
  const REFUND = (limit: number): { name: string; code: string; on: string; severity: string } => ({
    name: `refund-cap-${limit}`,
    on: 'tool.call',
    severity: 'high',
    code: `export function evaluate(event) {
  return event.args.amount > ${limit} ? { violation: true, message: 'over ${limit}' } : { violation: false };
}`,
  });
  // a counter in module state: it survives only while the tenant's isolate is kept warm
  const COUNTER = `name: globex-counter
type: custom
tenant: globex
on: tool.call
code: |
  let n = 0;
  export function evaluate(event) {
    n++;
    return event.args.count === true ? { violation: true, message: 'calls seen: ' + n } : { violation: false };
  }
---
name: budget
type: sequence
on: tool.call
count: { max: 100 }
`;
  const fresh = (): ReturnType<typeof createEngine> => createEngine(bundle(COUNTER), { customEvaluator: sandboxEvaluator(host) });
  // the globex isolate's call counter (the host is shared by every engine in this file)
  const count = (e: ReturnType<typeof createEngine>): number => Number(/\d+$/.exec(e.evaluate(call({ amount: 0, count: true })).violations.find((v) => v.policy === 'globex-counter')!.message)![0]);

  it('adds a tenant\u2019s policies to the running engine: new bundle, other tenants\u2019 warm isolates kept, hot reload, removal', () => {
    const e = fresh();
    const n0 = count(e);
    const before = e.bundle.hash;
    const r = e.loadTenantPolicies('acme', [REFUND(100)]);
    expect(r.ok).toBe(true);
    expect(e.bundle.hash).not.toBe(before);
    expect(e.bundle.policies.map((p) => p.name).sort()).toEqual(['budget', 'globex-counter', 'refund-cap-100']);
    expect(e.bundle.policies.find((p) => p.name === 'refund-cap-100')).toMatchObject({ type: 'custom', tenant: 'acme' });
    const d = e.evaluate(call({ amount: 500 }));
    expect(d.violations.map((v) => [v.policy, v.message])).toContainEqual(['refund-cap-100', 'over 100']);
    // globex's isolate was not rebuilt: its module counter went on (one call above, this one)
    expect(count(e)).toBe(n0 + 2);
    // hot reload: the same tenant with new code replaces its policies
    expect(e.loadTenantPolicies('acme', [REFUND(1000)]).ok).toBe(true);
    expect(e.evaluate(call({ amount: 500 })).violations.map((v) => v.policy)).not.toContain('refund-cap-100');
    expect(e.evaluate(call({ amount: 5000 })).violations.map((v) => v.policy)).toContain('refund-cap-1000');
    expect(count(e)).toBe(n0 + 5);
    // an empty list removes the tenant's policies
    expect(e.loadTenantPolicies('acme', []).ok).toBe(true);
    expect(e.bundle.policies.map((p) => p.name).sort()).toEqual(['budget', 'globex-counter']);
    expect(e.evaluate(call({ amount: 5000 })).violations.map((v) => v.policy)).toEqual([]);
  });

  it('returns a syntax error or a missing `evaluate` as diagnostics with line and column, and changes nothing', () => {
    const e = fresh();
    expect(e.loadTenantPolicies('acme', [REFUND(100)]).ok).toBe(true);
    const hash = e.bundle.hash;
    const n0 = count(e);
    const broken = e.loadTenantPolicies('acme', [REFUND(50), { name: 'typo', code: 'export function evaluate(event) {\n  return {{ violation: false };\n}' }]);
    expect(broken.ok).toBe(false);
    expect(broken.diagnostics).toContainEqual(expect.objectContaining({ severity: 'error', policy: 'typo', file: 'tenant:acme/typo', line: 2, column: expect.any(Number) }));
    const noExport = e.loadTenantPolicies('acme', [{ name: 'quiet', code: 'export const evaluate = 42;' }]);
    expect(noExport.ok).toBe(false);
    expect(noExport.diagnostics.map((d) => d.code)).toContain('missing_evaluate');
    // the policies in force stayed in force, in the engine and in the sandbox
    expect(e.bundle.hash).toBe(hash);
    expect(e.evaluate(call({ amount: 500 })).violations.map((v) => v.message)).toContain('over 100');
    expect(count(e)).toBe(n0 + 2);
  });

  it('checks tenant policies like any policy: bad fields, a name already used, a foreign type or tenant', () => {
    const e = fresh();
    const bad = e.loadTenantPolicies('acme', [{ ...REFUND(1), on: 'tool.nope' }]);
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0]!.message).toMatch(/tool\.nope/);
    const dup = e.loadTenantPolicies('acme', [{ ...REFUND(1), name: 'budget' }]);
    expect(dup.ok).toBe(false);
    expect(dup.diagnostics.map((d) => d.code)).toContain('duplicate-name');
    // without saying whose the name is or where it was defined
    expect(JSON.stringify(dup.diagnostics)).not.toMatch(/first defined|<source|globex|\.yaml/);
    expect(dup.diagnostics[0]!.help).toMatch(/acme\.budget/);
    expect(e.loadTenantPolicies('acme', [{ ...REFUND(1), type: 'rule' }]).ok).toBe(false);
    expect(e.loadTenantPolicies('acme', [{ ...REFUND(1), tenant: 'globex' }]).ok).toBe(false);
    expect(e.loadTenantPolicies('acme', [null]).ok).toBe(false);
    expect(e.loadTenantPolicies('bad tenant id!', [REFUND(1)]).ok).toBe(false);
    expect(e.loadTenantPolicies('acme', 'nope' as never).ok).toBe(false);
  });

  it('says so, without throwing, when the engine has no sandbox', () => {
    const e = createEngine(bundle('name: cap\ntype: tool\nallowed_tools: [issue_refund]\n'));
    const r = e.loadTenantPolicies('acme', [REFUND(1)]);
    expect(r).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ code: 'no-sandbox' })] });
    expect(e.loadTenantPolicies('acme', []).ok).toBe(true);
  });
});

describe('swap with several tenants', () => {
  it('refusing a bundle puts every tenant it had already reloaded back to the code in force', () => {
    const two = (globexMessage: string, acmeCode: string): string => `name: g
type: custom
tenant: globex
on: tool.call
code: |
  export function evaluate() { return { violation: true, message: '${globexMessage}' }; }
---
name: a
type: custom
tenant: acme2
on: tool.call
code: |
${acmeCode.split('\n').map((l) => `  ${l}`).join('\n')}
`;
    const ok = 'export function evaluate() { return { violation: false }; }';
    const h = createSandboxHost({ timeoutMs: 50 });
    try {
      const e = createEngine(bundle(two('old globex', ok)), { customEvaluator: sandboxEvaluator(h) });
      expect(e.evaluate(call({ amount: 1 })).violations.map((v) => v.message)).toEqual(['old globex']);
      // globex (loaded first) changes and compiles; acme2 does not: the bundle is refused ...
      expect(() => e.swap(bundle(two('new globex', 'export function evaluate( {')))).toThrow(EngineError);
      // ... and globex runs the code of the bundle still in force, not the refused one
      expect(e.evaluate(call({ amount: 1 })).violations.map((v) => v.message)).toEqual(['old globex']);
    } finally {
      h.dispose();
    }
  });
});
