// Call keys (loop detection): two calls are the same call exactly when their JSON signatures are
// equal. Differential tests against the signature itself, and of RunState's counting against a
// reference model that counts by signature string (what it did before keys were flattened).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonValue, StreamEvent } from '../../src/events/types.js';
import { callFingerprint, callKey, callSignature } from '../../src/frameworks/call-key.js';
import { ResourceLimitsPack } from '../../src/frameworks/resource-limits/index.js';
import { RunState } from '../../src/frameworks/run-state.js';

// small alphabets so that generated values collide often
const scalar = fc.oneof(
  fc.constantFrom('a', 'b', '', 'x'.repeat(60), 'x'.repeat(59) + 'y', '\u0000', '__proto__'),
  fc.constantFrom(0, -0, 1, 1.5, 1e21, NaN, Infinity),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(new Date(0)),
  fc.constant(10n),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ maxDepth: 3 }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', '__proto__', '1', 'toJSON'), tie('v'), { maxKeys: 3 })),
})).v;
const args = fc.dictionary(fc.constantFrom('a', 'b', 'c'), value, { maxKeys: 3 }) as fc.Arbitrary<Record<string, JsonValue>>;
const tool = fc.constantFrom('t', 'u', 't\u0000{}');

describe('callKey', () => {
  it('same() agrees with equal signatures, and signature() is the signature', () => {
    fc.assert(fc.property(tool, args, tool, args, (t1, a1, t2, a2) => {
      const k1 = callKey(t1, a1);
      const k2 = callKey(t2, a2);
      expect(k1.signature()).toBe(callSignature(t1, a1));
      expect(k1.same(k2)).toBe(callSignature(t1, a1) === callSignature(t2, a2));
      if (k1.flattened && k2.flattened && k1.same(k2)) expect(k1.fingerprint).toBe(k2.fingerprint);
    }), { numRuns: 5000 });
  });
  it('takes a snapshot: later changes to the arguments do not change the key', () => {
    const a: Record<string, JsonValue> = { path: 'x', opts: { n: 1 } };
    const k = callKey('t', a);
    const sig = callSignature('t', a);
    (a['opts'] as Record<string, JsonValue>)['n'] = 2;
    expect(k.signature()).toBe(sig);
    expect(k.same(callKey('t', a))).toBe(false);
  });
  it('falls back to the signature for cycles and values JSON rewrites', () => {
    const cyclic: Record<string, JsonValue> = {};
    (cyclic as Record<string, unknown>)['self'] = cyclic;
    expect(callKey('t', cyclic).flattened).toBe(false);
    expect(callKey('t', cyclic).signature()).toBe(callSignature('t', cyclic));
    expect(callKey('t', { a: undefined } as never).same(callKey('t', {}))).toBe(true);
    expect(callKey('t', { a: NaN }).same(callKey('t', { a: null }))).toBe(true);
  });
});

/** The counting RunState did with signature strings. */
class ReferenceUsage {
  lastSignature = '';
  lastFingerprint = -1;
  repeats = 0;
  counts = new Map<string, number>();
  fingerprints = new Set<number>();
  judge(t: string, a: Record<string, JsonValue>): [number, number] {
    const fp = callFingerprint(t, a);
    if (!this.fingerprints.has(fp)) return [1, 1];
    const sig = callSignature(t, a);
    return [fp === this.lastFingerprint && sig === this.lastSignature ? this.repeats + 1 : 1, (this.counts.get(sig) ?? 0) + 1];
  }
  record(t: string, a: Record<string, JsonValue>): void {
    const fp = callFingerprint(t, a);
    const sig = callSignature(t, a);
    this.repeats = fp === this.lastFingerprint && sig === this.lastSignature ? this.repeats + 1 : 1;
    this.lastSignature = sig;
    this.lastFingerprint = fp;
    this.fingerprints.add(fp);
    if (this.counts.size < 10_000 || this.counts.has(sig)) this.counts.set(sig, (this.counts.get(sig) ?? 0) + 1);
  }
}

describe('RunState call counting', () => {
  it('reports the same repeat counts as counting by signature string', () => {
    // one pack reveals the consecutive count, the other the total
    const inARow = new ResourceLimitsPack({ maxIdenticalConsecutive: 1, maxIdenticalTotal: 1e9, maxToolCalls: 1e9, rate: { calls: 1e9, windowMs: 1 } });
    const inTotal = new ResourceLimitsPack({ maxIdenticalConsecutive: 1e9, maxIdenticalTotal: 1, maxToolCalls: 1e9, rate: { calls: 1e9, windowMs: 1 } });
    const tiny = fc.oneof(
      fc.constantFrom('x', 0, -0, NaN, null, undefined).map((v) => ({ a: v })),
      fc.constantFrom('x', 'y').map((v) => ({ b: v })),
    ) as fc.Arbitrary<Record<string, JsonValue>>;
    const reported = (pack: ResourceLimitsPack, event: StreamEvent, run: RunState): number => {
      const out: Parameters<ResourceLimitsPack['check']>[3] = [];
      pack.check(event, [], run, out);
      const m = /called (\d+) times/.exec(out.find((f) => f.rule === 'tool-loop')?.message ?? '');
      return m === null ? 1 : Number(m[1]);
    };
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom('t', 'u'), fc.oneof(tiny, args)), { maxLength: 40 }), (calls) => {
      const run = new RunState('r');
      const ref = new ReferenceUsage();
      for (const [t, a] of calls) {
        const event = { kind: 'tool.call', runId: 'r', tool: t, args: a, callId: 'c' } as StreamEvent;
        const [consecutive, total] = ref.judge(t, a);
        expect(reported(inARow, event, run)).toBe(consecutive);
        expect(reported(inTotal, event, run)).toBe(total);
        run.record(event, []);
        ref.record(t, a);
        expect(run.usage.repeats).toBe(ref.repeats);
      }
    }), { numRuns: 3000 });
  });
});
