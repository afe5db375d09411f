import { afterEach, describe, expect, it } from 'vitest';
import {
  createSandboxHost,
  SandboxError,
  type InlineSandboxHost,
  type SandboxIncident,
  type SandboxVerdict,
} from '../../src/sandbox/index.js';
import { ALWAYS_PASS, context, ECHO, policy, reasoning, REFUND_LIMIT, refundCall } from './fixtures.js';

let hosts: InlineSandboxHost[] = [];
function host(options: Parameters<typeof createSandboxHost>[0] = {}): { h: InlineSandboxHost; incidents: SandboxIncident[] } {
  const incidents: SandboxIncident[] = [];
  const h = createSandboxHost({ timeoutMs: 50, ...options, process: 'inline', onIncident: (i) => incidents.push(i) });
  hosts.push(h);
  return { h, incidents };
}
afterEach(() => {
  for (const h of hosts) h.dispose();
  hosts = [];
});

function errorCode(v: SandboxVerdict): string | undefined {
  return v.status === 'error' ? v.error.code : undefined;
}

describe('loading', () => {
  it('loads valid policies and reports a version per policy', () => {
    const { h } = host();
    expect(h.loadTenantPolicies('acme', [{ name: 'refund-limit', code: REFUND_LIMIT }])).toEqual({ ok: true });
    const status = h.tenantStatus('acme');
    expect(status?.policies).toEqual([{ name: 'refund-limit', version: expect.stringMatching(/^[0-9a-f]{16}$/) }]);
    expect(status?.warm).toBe(true);
  });

  it('returns diagnostics with line and column instead of throwing', () => {
    const { h } = host();
    const r = h.loadTenantPolicies('acme', [
      { name: 'syntax', code: 'export function evaluate(e) {\n  return {;\n}' },
      { name: 'imports', code: "const x = 1;\nimport fs from 'node:fs';\nexport function evaluate() {}" },
      { name: 'no-evaluate', code: 'export const evaluate = 42;' },
      { name: 'top-throw', code: '\n\n  throw new Error("boom");\nexport function evaluate() {}' },
      { name: 'bad-on', code: "export const on = ['tool.cal'];\nexport function evaluate() { return { violation: false }; }" },
      { name: 'top-loop', code: 'for (;;) {}\nexport function evaluate() {}' },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPolicy = Object.fromEntries(r.diagnostics.map((d) => [d.policy, d]));
    expect(byPolicy['syntax']).toMatchObject({ code: 'syntax_error', line: 2, column: 11 });
    expect(byPolicy['imports']).toMatchObject({ code: 'import_not_allowed', line: 2, column: 1 });
    expect(byPolicy['imports']?.message).toContain('`node:fs`');
    expect(byPolicy['no-evaluate']).toMatchObject({ code: 'missing_evaluate' });
    expect(byPolicy['no-evaluate']?.message).toContain('found number');
    expect(byPolicy['top-throw']).toMatchObject({ code: 'top_level_threw', line: 3, column: 9 });
    expect(byPolicy['bad-on']).toMatchObject({ code: 'invalid_on' });
    expect(byPolicy['bad-on']?.message).toContain('`tool.cal`');
    expect(byPolicy['top-loop']).toMatchObject({ code: 'top_level_timeout' });
    for (const d of r.diagnostics) expect(d.message).not.toMatch(/\.$/);
  });

  it('rejects bad names, duplicates and oversized sources before compiling', () => {
    const { h } = host({ maxSourceBytes: 100 });
    const r = h.loadTenantPolicies('acme', [
      { name: '../etc', code: ALWAYS_PASS },
      { name: 'dup', code: ALWAYS_PASS },
      { name: 'dup', code: ALWAYS_PASS },
      { name: 'big', code: `// ${'x'.repeat(200)}\n${ALWAYS_PASS}` },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual(['duplicate_name', 'invalid_name', 'source_too_large']);
  });

  it('is all-or-nothing: a failed reload keeps the previous policies', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'p', code: REFUND_LIMIT }]);
    const before = h.evaluate('acme', 'p', refundCall(900), context);
    expect(h.loadTenantPolicies('acme', [{ name: 'p', code: 'export function evaluate( {' }]).ok).toBe(false);
    const after = h.evaluate('acme', 'p', refundCall(900), context);
    expect(after).toEqual(before);
  });
});

describe('evaluating', () => {
  it('returns a violation with the fields the policy set', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'refund-limit', code: REFUND_LIMIT }]);
    const v = h.evaluate('acme', 'refund-limit', refundCall(700), context);
    expect(v).toEqual({
      status: 'ok',
      violation: true,
      policy: 'refund-limit',
      policyVersion: expect.any(String),
      message: 'refund of 700 exceeds the 500 limit',
      severity: 'high',
      classification: 'financial',
      action: 'require_approval',
      evidence: [{ field: 'args.amount' }],
    });
    expect(h.evaluate('acme', 'refund-limit', refundCall(100), context)).toMatchObject({ status: 'ok', violation: false });
  });

  it('skips event kinds outside `on` without entering the isolate', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'refund-limit', code: REFUND_LIMIT }]);
    expect(h.evaluate('acme', 'refund-limit', reasoning('hm'), context)).toMatchObject({ status: 'ok', violation: false, skipped: true });
  });

  it('answers unknown tenants and policies with errors, failing closed', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'p', code: ALWAYS_PASS }]);
    const a = h.evaluate('nobody', 'p', refundCall(1), context);
    const b = h.evaluate('acme', 'nope', refundCall(1), context);
    expect(errorCode(a)).toBe('unknown_tenant');
    expect(errorCode(b)).toBe('unknown_policy');
    expect(a.status === 'error' && a.onError).toBe('block');
  });

  it('reports a throw with the location inside the policy and honours onError: allow', () => {
    const { h, incidents } = host();
    h.loadTenantPolicies('acme', [{ name: 'thrower', code: policy("  null.x;"), onError: 'allow' }]);
    const v = h.evaluate('acme', 'thrower', refundCall(1), context);
    expect(v.status).toBe('error');
    if (v.status !== 'error') return;
    expect(v.onError).toBe('allow');
    expect(SandboxError.isInstance(v.error)).toBe(true);
    expect(v.error).toMatchObject({ code: 'threw', tenantId: 'acme', policy: 'thrower', line: 2, column: 8 });
    expect(v.error.message).toContain('TypeError');
    expect(incidents.some((i) => i.type === 'fault' && i.error.code === 'threw')).toBe(true);
  });

  it('rejects wrong return shapes with a reason', () => {
    const { h } = host({ quarantineAfter: 100 });
    const cases: Record<string, string> = {
      undef: 'return undefined;',
      str: "return 'no';",
      noMessage: 'return { violation: true };',
      badSeverity: "return { violation: true, message: 'm', severity: 'huge' };",
      typo: "return { violation: true, message: 'm', serverity: 'high' };",
      stringViolation: "return { violation: 'yes', message: 'm' };",
      promise: 'return Promise.resolve({ violation: false });',
      boxed: "return { violation: true, message: new String('m') };",
      badEvidence: "return { violation: true, message: 'm', evidence: [{ field: 1 }] };",
    };
    h.loadTenantPolicies('acme', Object.entries(cases).map(([name, body]) => ({ name, code: policy(body) })));
    for (const name of Object.keys(cases)) {
      const v = h.evaluate('acme', name, refundCall(1), context);
      expect(errorCode(v), name).toBe('bad_return');
    }
    const typo = h.evaluate('acme', 'typo', refundCall(1), context);
    expect(typo.status === 'error' && typo.error.message).toContain('`serverity`');
  });

  it('passes event and context in as plain data and a fresh copy every call', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [
      { name: 'echo', code: ECHO },
      { name: 'mutate', code: policy("event.args.amount = 1; event.polluted = true; context.mode = 'observe'; return { violation: false };") },
    ]);
    const ev = refundCall(700);
    const ctx = { ...context, history: [reasoning('a'), reasoning('b')] };
    h.evaluate('acme', 'mutate', ev, ctx);
    const v = h.evaluate('acme', 'echo', ev, ctx);
    expect(v.status === 'ok' && v.violation && JSON.parse(v.message)).toEqual({ event: ev, context: ctx });
    expect(ev.args['amount']).toBe(700);
    expect(ctx.mode).toBe('enforce');
  });

  it('fails closed on an event that cannot be marshalled', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'p', code: ALWAYS_PASS }]);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const v = h.evaluate('acme', 'p', { ...refundCall(1), args: cyclic as never }, context);
    expect(errorCode(v)).toBe('marshal_failed');
  });
});

describe('deterministic environment', () => {
  const probe = policy(`
    const d = new Date();
    return { violation: true, message: JSON.stringify({
      now: Date.now(), date: d.getTime(), explicit: new Date(0).getTime(), called: typeof Date(),
      r: [Math.random(), Math.random()],
      globals: ['require', 'process', 'setTimeout', 'setInterval', 'queueMicrotask', 'fetch', 'WebAssembly',
        'SharedArrayBuffer', 'Atomics', 'WeakRef', 'FinalizationRegistry', 'Buffer', 'global', 'ivm', '_ivm']
        .filter((n) => typeof globalThis[n] !== 'undefined'),
      frozen: [Object.prototype, Array.prototype, Function.prototype, JSON, Math, globalThis].every(Object.isFrozen),
      isDate: d instanceof Date,
    }) };`);

  it('freezes the clock at the context time and seeds Math.random per evaluation', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'probe', code: probe }]);
    const run = (now?: number): Record<string, unknown> => {
      const v = h.evaluate('acme', 'probe', refundCall(1), now === undefined ? context : { ...context, now });
      if (v.status !== 'ok' || !v.violation) throw new Error(JSON.stringify(v));
      return JSON.parse(v.message) as Record<string, unknown>;
    };
    const a = run(1234);
    expect(a).toMatchObject({ now: 1234, date: 1234, explicit: 0, called: 'string', globals: [], frozen: true, isDate: true });
    // without context.now the event time is the clock
    expect(run().now).toBe(refundCall(1).time);
    const b = run(1234);
    expect(b['r']).toEqual(a['r']);
    const [r1, r2] = a['r'] as number[];
    expect(r1).not.toBe(r2);
    expect(r1).toBeGreaterThanOrEqual(0);
    expect(r1).toBeLessThan(1);
  });

  it('does not let one evaluation leave state for the next through built-ins', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [
      { name: 'poison', code: policy("Array.prototype.push = () => 0; return { violation: false };") },
      { name: 'check', code: policy("const a = []; a.push(1); return { violation: a.length !== 1, message: 'poisoned' };") },
    ]);
    const p = h.evaluate('acme', 'poison', refundCall(1), context);
    expect(errorCode(p)).toBe('threw');
    expect(h.evaluate('acme', 'check', refundCall(1), context)).toMatchObject({ status: 'ok', violation: false });
  });
});

describe('faults and isolates', () => {
  it('times out a busy loop, replaces the isolate and keeps serving', () => {
    const { h, incidents } = host({ timeoutMs: 20 });
    h.loadTenantPolicies('acme', [
      { name: 'busy', code: policy('for (;;) {}') },
      { name: 'ok', code: REFUND_LIMIT },
    ]);
    const v = h.evaluate('acme', 'busy', refundCall(1), context);
    expect(errorCode(v)).toBe('timeout');
    expect(h.evaluate('acme', 'ok', refundCall(900), context)).toMatchObject({ status: 'ok', violation: true });
    expect(incidents.map((i) => i.type)).toEqual(['isolate_replaced', 'fault']);
  });

  it('reports out-of-memory as memory_limit and rebuilds the isolate', () => {
    const { h } = host({ timeoutMs: 2000, memoryLimitMb: 16 });
    h.loadTenantPolicies('acme', [
      { name: 'hog', code: policy('const a = []; for (;;) a.push({ a: a.length, b: "x" + a.length });') },
      { name: 'ok', code: REFUND_LIMIT },
    ]);
    expect(errorCode(h.evaluate('acme', 'hog', refundCall(1), context))).toBe('memory_limit');
    expect(h.evaluate('acme', 'ok', refundCall(900), context)).toMatchObject({ status: 'ok', violation: true });
  });

  it('quarantines a tenant that keeps faulting, probes after the cool-down, and leaves others alone', () => {
    let now = 1_000_000;
    const { h, incidents } = host({ quarantineAfter: 3, quarantineMs: 1000, clock: () => now });
    h.loadTenantPolicies('bad', [{ name: 'p', code: policy('throw new Error("always")') }]);
    h.loadTenantPolicies('good', [{ name: 'p', code: REFUND_LIMIT }]);
    for (let i = 0; i < 3; i++) expect(errorCode(h.evaluate('bad', 'p', refundCall(1), context))).toBe('threw');
    expect(errorCode(h.evaluate('bad', 'p', refundCall(1), context))).toBe('quarantined');
    expect(incidents.filter((i) => i.type === 'quarantined')).toHaveLength(1);
    expect(h.tenantStatus('bad')?.quarantinedUntil).toBe(now + 1000);
    expect(h.evaluate('good', 'p', refundCall(900), context)).toMatchObject({ status: 'ok', violation: true });
    // probe fails: quarantined again, for twice as long
    now += 1001;
    expect(errorCode(h.evaluate('bad', 'p', refundCall(1), context))).toBe('threw');
    expect(h.tenantStatus('bad')?.quarantinedUntil).toBe(now + 2000);
    // fixed code resets the breaker
    h.loadTenantPolicies('bad', [{ name: 'p', code: ALWAYS_PASS }]);
    expect(h.evaluate('bad', 'p', refundCall(1), context)).toMatchObject({ status: 'ok', violation: false });
  });

  it('lifts a quarantine after a successful probe', () => {
    let now = 0;
    const { h, incidents } = host({ quarantineAfter: 1, quarantineMs: 100, clock: () => now });
    h.loadTenantPolicies('t', [{ name: 'p', code: policy('if (event.args.amount > 0) throw 1; return { violation: false };') }]);
    expect(errorCode(h.evaluate('t', 'p', refundCall(1), context))).toBe('threw');
    expect(errorCode(h.evaluate('t', 'p', refundCall(0), context))).toBe('quarantined');
    now = 200;
    expect(h.evaluate('t', 'p', refundCall(0), context)).toMatchObject({ status: 'ok' });
    expect(incidents.some((i) => i.type === 'quarantine_lifted')).toBe(true);
    expect(h.tenantStatus('t')?.quarantinedUntil).toBeUndefined();
  });

  it('keeps at most maxWarmTenants isolates and rebuilds evicted ones on use', () => {
    const { h } = host({ maxWarmTenants: 2 });
    for (const t of ['a', 'b', 'c']) h.loadTenantPolicies(t, [{ name: 'p', code: REFUND_LIMIT }]);
    expect(h.tenantStatus('a')?.warm).toBe(false);
    expect(h.tenantStatus('c')?.warm).toBe(true);
    expect(h.evaluate('a', 'p', refundCall(900), context)).toMatchObject({ status: 'ok', violation: true });
    expect(h.tenantStatus('a')?.warm).toBe(true);
    expect(h.tenantStatus('b')?.warm).toBe(false);
  });

  it('answers `disposed` after dispose', () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'p', code: ALWAYS_PASS }]);
    h.dispose();
    expect(errorCode(h.evaluate('acme', 'p', refundCall(1), context))).toBe('disposed');
  });
});

describe('hot reload', () => {
  it('lets in-flight async evaluations finish on the old version while new ones use the new version', async () => {
    const { h } = host({ timeoutMs: 2000 });
    const slow = (tag: string): string =>
      policy(`const end = Date.now(); let x = 0; for (let i = 0; i < 3e7; i++) x += i; return { violation: true, message: '${tag}' };`);
    h.loadTenantPolicies('acme', [{ name: 'p', code: slow('v1') }]);
    const inflight = h.evaluateAsync('acme', 'p', refundCall(1), context);
    expect(h.loadTenantPolicies('acme', [{ name: 'p', code: slow('v2') }])).toEqual({ ok: true });
    const next = h.evaluate('acme', 'p', refundCall(1), context);
    const old = await inflight;
    expect(old).toMatchObject({ status: 'ok', violation: true, message: 'v1' });
    expect(next).toMatchObject({ status: 'ok', violation: true, message: 'v2' });
    expect(old.policyVersion).not.toBe(next.policyVersion);
  });

  it('reloads asynchronously too', async () => {
    const { h } = host();
    expect(await h.loadTenantPoliciesAsync('acme', [{ name: 'p', code: REFUND_LIMIT }])).toEqual({ ok: true });
    expect(await h.evaluateAsync('acme', 'p', refundCall(900), context)).toMatchObject({ violation: true });
    const bad = await h.loadTenantPoliciesAsync('acme', [{ name: 'p', code: 'for(;;){}' }]);
    expect(bad.ok === false && bad.diagnostics[0]?.code).toBe('top_level_timeout');
  });
});

describe('batch', () => {
  it('evaluates many requests in one call, in order, isolating per-item faults', () => {
    const { h } = host({ timeoutMs: 20 });
    h.loadTenantPolicies('acme', [
      { name: 'refund', code: REFUND_LIMIT },
      { name: 'thrower', code: policy('throw new RangeError("x")') },
      { name: 'busy', code: policy('for (;;) {}') },
    ]);
    const vs = h.evaluateBatch('acme', [
      { policy: 'refund', event: refundCall(900), context },
      { policy: 'thrower', event: refundCall(1), context },
      { policy: 'refund', event: reasoning('x'), context },
      { policy: 'missing', event: refundCall(1), context },
      { policy: 'busy', event: refundCall(1), context },
      { policy: 'refund', event: refundCall(100), context },
    ]);
    expect(vs.map((v) => (v.status === 'error' ? v.error.code : v.violation))).toEqual([
      true,
      'threw',
      false,
      'unknown_policy',
      'timeout',
      false,
    ]);
    expect(vs[2]).toMatchObject({ skipped: true });
  });

  it('gives the same answers as single evaluations (async too)', async () => {
    const { h } = host();
    h.loadTenantPolicies('acme', [{ name: 'refund', code: REFUND_LIMIT }]);
    const reqs = [100, 600, 501, 500].map((a) => ({ policy: 'refund', event: refundCall(a), context }));
    const singles = reqs.map((r) => h.evaluate('acme', r.policy, r.event, r.context));
    expect(h.evaluateBatch('acme', reqs)).toEqual(singles);
    expect(await h.evaluateBatchAsync('acme', reqs)).toEqual(singles);
  });
});

describe('marshal formats', () => {
  it.each(['json', 'msgpack', 'structured-clone'] as const)('%s delivers the same data', (marshal) => {
    const { h } = host({ marshal, batchMarshal: marshal });
    h.loadTenantPolicies('acme', [{ name: 'echo', code: ECHO }]);
    const ev = { ...refundCall(12.5), args: { amount: 12.5, nested: { list: [1, -2, 3.25, 'é😀', null, true], toString: 'x', __proto__x: 1 } } };
    const ctx = { ...context, toolCalls: { issue_refund: 2 } };
    const v = h.evaluate('acme', 'echo', ev as never, ctx);
    expect(v.status === 'ok' && v.violation && JSON.parse(v.message)).toEqual({ event: ev, context: ctx });
    const [b] = h.evaluateBatch('acme', [{ policy: 'echo', event: ev as never, context: ctx }]);
    expect(b).toEqual(v);
  });
});
