// The long-text agreement property shared by the SIMD kernel's differential test and the scalar
// build's test: `contains` and pattern scanning take 16 bytes at a time on long values, so text of
// mostly one filler letter with a few rarer ones makes skipped runs, candidates, near misses and
// block edges frequent. Each case compiles one policy and compares the kernel with the reference.
import fc from 'fast-check';
import { expect } from 'vitest';
import { compilePolicies } from '../../src/policy/index.js';
import { createEngine, callDigest } from '../../src/engine/index.js';
import { ReferenceEvaluator } from '../../src/policy/reference.js';
import type { StreamEvent } from '../../src/events/types.js';
import type { ConditionDefinition } from '../../src/policy/builder.js';

const text = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom('x', 'x', 'x', 'x', 'x', 'x', 'y', 'a', 'b', 'é', '\n'), { minLength: min, maxLength: max, size: 'max' }).map((cs) => cs.join(''));

// patterns that often match such text, and some that rarely do
const LONG_PATTERNS = ['ab', 'xa', 'a\\nb', 'éx', 'b{2}', 'ax{2}b', 'bx*b$', '^x+a', 'b.*a', '(?i)AXB', 'é{2}', '[^x]{3}', 'a|b|é|y'];

// needles: mostly cut from the text itself (so matches, near misses and repeats are common)
const needleFrom = (notes: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.nat(notes.length - 1), fc.nat(90), fc.integer({ min: 1, max: 16 })).map(([n, at, len]) => {
      const src = notes[n]!;
      const from = src.length === 0 ? 0 : at % src.length;
      return src.slice(from, from + len) || 'a';
    }),
    text(1, 16),
  );

/** Runs the property; fails on the first disagreement, and unless both verdicts were common. */
export function assertLongTextAgreement(numRuns: number): void {
  let hits = 0;
  let checks = 0;
  fc.assert(
    fc.property(
      fc.array(text(0, 90), { minLength: 1, maxLength: 6 }).chain((notes) =>
        fc.tuple(fc.oneof(needleFrom(notes).map((needle) => ({ contains: needle })), fc.constantFrom(...LONG_PATTERNS).map((p) => ({ pattern: p }))), fc.constant(notes)),
      ),
      ([test, notes]) => {
        const r = compilePolicies([{ policy: { name: 'p0', type: 'rule', on: ['tool.call'], when: { 'args.note': test } as ConditionDefinition, action: 'block' } }]);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const engine = createEngine(r.bundle);
        const ref = new ReferenceEvaluator(r.bundle.policies);
        notes.forEach((note, i) => {
          const event: StreamEvent = { kind: 'tool.call', runId: 'r', tool: 'a', args: { note }, callId: `c${i}`, time: 1 };
          const got = engine.evaluate(event).violations.length > 0;
          const want = ref.check(event, 1, callDigest(event)).violated.length > 0;
          expect(got).toBe(want);
          if (want) hits++;
          checks++;
        });
      },
    ),
    { numRuns },
  );
  // both answers must be common, or the test proves little
  expect(hits).toBeGreaterThan(checks * 0.2);
  expect(hits).toBeLessThan(checks * 0.8);
}
