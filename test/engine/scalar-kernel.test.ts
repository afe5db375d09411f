// The scalar kernel build (no WebAssembly SIMD), used where a runtime rejects the SIMD build: the
// same differential check against the reference evaluator, on text long enough for the SIMD build
// to take its 16-byte paths, so both builds are held to the same answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

process.env.CASCADE_KERNEL = 'scalar';
const { createEngine, callDigest } = await import('../../src/engine/index.js');
const { kernelBuild } = await import('../../src/engine/kernel-instance.js');
const { compilePolicies } = await import('../../src/policy/index.js');
const { ReferenceEvaluator } = await import('../../src/policy/reference.js');

describe('scalar kernel build', () => {
  it('is the build in use when CASCADE_KERNEL=scalar', () => {
    expect(kernelBuild()).toBe('scalar');
  });

  it('agrees with the reference on contains and patterns over long text', () => {
    const text = fc.array(fc.constantFrom('x', 'x', 'x', 'x', 'y', 'a', 'b', 'é', '\n'), { maxLength: 80, size: 'max' }).map((cs) => cs.join(''));
    const test = fc.oneof(
      fc.constantFrom('ab', 'xa', 'b{2}', 'bx*b$', '^x+a', 'b.*a', '(?i)AXB', 'é{2}').map((p) => ({ pattern: p })),
      fc.constantFrom('ab', 'xxa', 'éx', 'bxxxxxxxb', 'a\n').map((c) => ({ contains: c })),
    );
    fc.assert(
      fc.property(test, fc.array(text, { minLength: 1, maxLength: 5 }), (t, notes) => {
        const r = compilePolicies([{ policy: { name: 'p0', type: 'rule', on: ['tool.call'], when: { 'args.note': t }, action: 'block' } }]);
        if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
        const engine = createEngine(r.bundle);
        const ref = new ReferenceEvaluator(r.bundle.policies);
        notes.forEach((note, i) => {
          const event = { kind: 'tool.call' as const, runId: 'r', tool: 'a', args: { note }, callId: `c${i}`, time: 1 };
          expect(engine.evaluate(event).violations.length > 0).toBe(ref.check(event, 1, callDigest(event)).violated.length > 0);
        });
      }),
      { numRuns: 1000 },
    );
  });
});
