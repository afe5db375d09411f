// The single-call payload: event and context in chunks under 1 KiB, a context of 512+ chars
// decoded on the policy's first use of it (a Proxy over a plain object), and `evaluatePolicies`,
// which encodes one event once for several policies. What a policy sees must not change with any of it.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandboxHost, MARSHAL_FORMATS, type RunContextForPolicies, type SandboxVerdict } from '../../src/sandbox/index.js';
import { CHUNK_CHARS, encodeCall, LAZY_CONTEXT_MIN_CHARS, MAX_CHUNKED_CHARS } from '../../src/sandbox/marshal.js';
import { ALWAYS_PASS, context, ECHO, policy, reasoning, REFUND_LIMIT, refundCall } from './fixtures.js';

const hosts = MARSHAL_FORMATS.map((marshal) => {
  const h = createSandboxHost({ marshal, timeoutMs: 200, quarantineAfter: 1000 });
  const r = h.loadTenantPolicies('t', [
    { name: 'echo', code: ECHO },
    { name: 'pass', code: ALWAYS_PASS },
    { name: 'refund', code: REFUND_LIMIT },
    { name: 'busy', code: policy('for (;;) {}') },
    { name: 'mutate', code: policy("context.mode = 'observe'; context.extra = 1; delete context.runId; return { violation: false };") },
    {
      name: 'inspect',
      code: policy(`
        const d = Object.getOwnPropertyDescriptor(context, 'mode');
        const report = {
          keys: Object.keys(context),
          json: JSON.stringify(context),
          spread: JSON.stringify({ ...context }),
          has: 'mode' in context && !('nope' in context),
          own: Object.prototype.hasOwnProperty.call(context, 'runId'),
          descriptor: d && 'value' in d && d.writable && d.enumerable && d.configurable,
          proto: Object.getPrototypeOf(context) === Object.prototype,
          extensible: Object.isExtensible(context),
          entries: Object.entries(context).length,
          forIn: (() => { const k = []; for (const x in context) k.push(x); return k.join(','); })(),
          toStringKey: Object.prototype.hasOwnProperty.call(context, 'toString') ? typeof context.toString : 'absent',
          protoKey: Object.prototype.hasOwnProperty.call(context, '__proto__') ? context.__proto__ : 'absent',
        };
        Object.freeze(context);
        report.frozen = Object.isFrozen(context);
        report.assignThrows = (() => { try { context.mode = 'x'; return false; } catch { return true; } })();
        return { violation: true, message: JSON.stringify(report) };`),
    },
  ]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return { marshal, h };
});
afterAll(() => {
  for (const { h } of hosts) h.dispose();
});

function message(v: SandboxVerdict): string {
  if (v.status !== 'ok' || !v.violation) throw new Error(`expected a violation, got ${JSON.stringify(v)}`);
  return v.message;
}

describe.each(hosts)('$marshal', ({ h }) => {
  // a short context is decoded before the call, a long one on first use: both must look the same
  it.each([
    ['short', 1],
    ['long (decoded on first use)', LAZY_CONTEXT_MIN_CHARS],
  ])('the %s context behaves as a plain object: keys, descriptors, prototype, `in`, freezing', (_, pad) => {
    const ctx = JSON.parse(
      `{"runId":"run-1","mode":"enforce","toString":"t","__proto__":{"p":1},"metadata":{"a":"${'x'.repeat(pad)}"}}`,
    ) as RunContextForPolicies;
    const r = JSON.parse(message(h.evaluate('t', 'inspect', refundCall(1), ctx))) as Record<string, unknown>;
    const plain = JSON.parse(JSON.stringify(ctx)) as object;
    expect(r).toEqual({
      keys: Object.keys(plain),
      json: JSON.stringify(plain),
      spread: JSON.stringify(plain),
      has: true,
      own: true,
      descriptor: true,
      proto: true,
      extensible: true,
      entries: Object.keys(plain).length,
      forIn: Object.keys(plain).join(','),
      toStringKey: 'string',
      protoKey: { p: 1 },
      frozen: true,
      assignThrows: true,
    });
  });

  it.each([1, LAZY_CONTEXT_MIN_CHARS])('a policy that changes its context changes only its own copy (%i-char history)', (n) => {
    const ctx = { ...context, history: [reasoning('a'.repeat(n))] };
    expect(h.evaluate('t', 'mutate', refundCall(1), ctx)).toMatchObject({ status: 'ok', violation: false });
    expect(JSON.parse(message(h.evaluate('t', 'echo', refundCall(1), ctx)))).toEqual({ event: refundCall(1), context: ctx });
    expect(ctx).toEqual({ ...context, history: [reasoning('a'.repeat(n))] });
  });

  it('delivers payloads of every size, split anywhere, intact (surrogate pairs and two-byte text too)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 * CHUNK_CHARS }),
        fc.constantFrom('x', 'é', '😀', 'ab😀'),
        (n, unit) => {
          // whole units: a lone surrogate does not survive UTF-8 (msgpack) on any path
          const text = unit.repeat(Math.ceil(n / unit.length));
          // the echo reply is capped at 2000 chars: check a digest of what the policy saw instead
          const probe = createDigest(h);
          const ctx = { ...context, metadata: { note: text } };
          const ev = { ...refundCall(1), args: { amount: 1, note: text } };
          expect(probe(ev, ctx)).toBe(digest(JSON.stringify({ event: ev, context: ctx })));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('delivers a context larger than the chunked range as one string', () => {
    const big = 'y'.repeat(MAX_CHUNKED_CHARS + 100);
    const ctx = { ...context, metadata: { big } };
    expect(createDigest(h)(refundCall(1), ctx)).toBe(digest(JSON.stringify({ event: refundCall(1), context: ctx })));
  });

  it('evaluatePolicies gives the same verdicts as one evaluate per policy, in order', () => {
    const names = ['refund', 'missing', 'pass', 'echo', 'refund'];
    for (const ev of [refundCall(900), refundCall(5), reasoning('r')]) {
      const together = h.evaluatePolicies('t', names, ev, context);
      const one = names.map((n) => h.evaluate('t', n, ev, context));
      expect(together).toEqual(one);
    }
  });

  it('evaluatePolicies keeps a time limit per policy: a busy loop times out alone', () => {
    const vs = h.evaluatePolicies('t', ['refund', 'busy', 'refund', 'echo'], refundCall(900), context);
    expect(vs.map((v) => (v.status === 'error' ? v.error.code : v.violation))).toEqual([true, 'timeout', true, true]);
  });
});

describe('encodeCall', () => {
  it('defers the decode of contexts from LAZY_CONTEXT_MIN_CHARS chars on, and only of maps', () => {
    const lazyFlag = (format: 'json' | 'msgpack', ctx: unknown): unknown => encodeCall(format, refundCall(1), ctx).args(0, 0)[3];
    const long = { ...context, metadata: { note: 'n'.repeat(LAZY_CONTEXT_MIN_CHARS) } };
    for (const format of ['json', 'msgpack'] as const) {
      expect(lazyFlag(format, context)).toBe(0);
      expect(lazyFlag(format, long)).toBe(1);
      expect(lazyFlag(format, ['n'.repeat(LAZY_CONTEXT_MIN_CHARS)])).toBe(0);
    }
  });

  it('splits text into chunks under 1 KiB, up to MAX_CHUNKED_CHARS', () => {
    const parts = (n: number): number => encodeCall('json', { kind: 'reasoning', runId: 'r', text: 'a'.repeat(n) }, context).args(0, 0)[2] as number;
    expect(parts(100)).toBe(1);
    expect(parts(3 * CHUNK_CHARS)).toBe(4);
    expect(parts(MAX_CHUNKED_CHARS + 1)).toBe(1);
  });
});

describe('evaluatePolicies', () => {
  it('fails every policy closed with marshal_failed when the event cannot be encoded, without entering the isolate', () => {
    const { h } = hosts[0]!;
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const vs = h.evaluatePolicies('t', ['pass', 'refund', 'missing'], { ...refundCall(1), args: cyclic as never }, context);
    expect(vs.map((v) => (v.status === 'error' ? [v.error.code, v.error.policy, v.onError] : v))).toEqual([
      ['marshal_failed', 'pass', 'block'],
      ['marshal_failed', 'refund', 'block'],
      ['unknown_policy', 'missing', 'block'],
    ]);
  });

  it('answers unknown tenants per policy', () => {
    const { h } = hosts[0]!;
    const vs = h.evaluatePolicies('nobody', ['a', 'b'], refundCall(1), context);
    expect(vs.map((v) => v.status === 'error' && v.error.code)).toEqual(['unknown_tenant', 'unknown_tenant']);
  });
});

// A policy that returns a short digest of everything it was given, so payloads longer than the
// 2000-char message limit can be compared.
const DIGEST = policy(`
  const s = JSON.stringify({ event, context });
  let a = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  return { violation: true, message: s.length + ':' + (a >>> 0) };`);

const withDigest = new WeakSet<object>();
function createDigest(h: (typeof hosts)[number]['h']) {
  if (!withDigest.has(h)) {
    withDigest.add(h);
    const r = h.loadTenantPolicies('digest', [{ name: 'digest', code: DIGEST }]);
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  }
  return (event: Parameters<typeof h.evaluate>[2], ctx: RunContextForPolicies): string => message(h.evaluate('digest', 'digest', event, ctx));
}

function digest(s: string): string {
  let a = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  return `${s.length}:${a >>> 0}`;
}
