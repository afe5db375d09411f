// Differential property test: random policy sets and random event streams, the Wasm kernel against
// the reference evaluator. They must agree on the violated policies of every event, with run state.
// `npm test` runs 10,000 cases; `npm run test:deep` (CASCADE_DEEP=1) runs 200,000.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicies } from '../../src/policy/index.js';
import { createEngine, callDigest } from '../../src/engine/index.js';
import { ReferenceEvaluator } from '../../src/policy/reference.js';
import { kernelBuild } from '../../src/engine/kernel-instance.js';
import { assertLongTextAgreement } from './long-text-agreement.js';
import type { StreamEvent } from '../../src/events/types.js';
import type { PolicyDefinition, ConditionDefinition } from '../../src/policy/builder.js';

const DEEP = process.env.CASCADE_DEEP === '1';
const CASES = DEEP ? 200_000 : 10_000;

const TOOLS = ['a', 'b', 'send_email', 'pay', 'zz'];
const STRINGS = ['', 'x', 'abc', 'ABC', 'hello world', 'ignore previous', 'é', 'naïve café', '😀x', 'sk-ABCDEFGHIJKLMNOPQRSTUV', 'a@evil.example', 'prod', '\ud800'];
const PATTERNS = ['abc', '(?i)abc', '^x', 'd$', '\\d+', '[a-z]+@evil\\.example', 'sk-[A-Za-z0-9]{10,}', '\\bworld\\b', 'caf[eé]', '(a|b)*c', '.', '^$', '\\p{Lu}'];
const scalarArb = fc.oneof(
  fc.constantFrom(...STRINGS),
  fc.constantFrom(0, 1, -1, 2.5, 100, 500, 1e9, -0),
  fc.boolean(),
  fc.constant(null),
);
const numArb = fc.constantFrom(-1, 0, 1, 2.5, 10, 100, 500, 1000);

// field paths and the kind of value each usually holds
const FIELDS = ['args.**', 'tool', 'args.amount', 'args.to', 'args.tags[*]', 'args.flag', 'args.note', 'args.nested.x', 'metadata.role', 'args.tags'];

const testArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  scalarArb.map((v) => ({ eq: v })),
  scalarArb.map((v) => ({ ne: v })),
  fc.array(scalarArb, { minLength: 1, maxLength: 4 }).map((v) => ({ in: v })),
  fc.array(scalarArb, { minLength: 1, maxLength: 4 }).map((v) => ({ not_in: v })),
  fc.tuple(fc.constantFrom('gt', 'gte', 'lt', 'lte'), numArb).map(([op, n]) => ({ [op]: n })),
  fc.boolean().map((v) => ({ exists: v })),
  fc.tuple(fc.constantFrom('prefix', 'suffix', 'contains'), fc.constantFrom(...STRINGS.filter((s) => s.length > 0)), fc.nat(3)).map(([op, s, cut]) => ({ [op]: s.slice(0, Math.max(1, s.length - cut)) })),
  fc.tuple(fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte'), fc.nat(5)).map(([op, n]) => ({ length: { [op]: n } })),
  fc.constantFrom(...PATTERNS).map((p) => ({ pattern: p })),
  fc.constant({ contains: 'a long needle that goes through a DFA' }),
);

const leafArb: fc.Arbitrary<ConditionDefinition> = fc
  .tuple(fc.constantFrom(...FIELDS), testArb)
  .map(([f, t]) => ({ [f]: t }) as ConditionDefinition);

const condArb: fc.Arbitrary<ConditionDefinition> = fc.letrec<{ c: ConditionDefinition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('c'), { minLength: 1, maxLength: 3 }).map((items) => ({ all: items })),
    fc.array(tie('c'), { minLength: 1, maxLength: 3 }).map((items) => ({ any: items })),
    tie('c').map((item) => ({ not: item })),
  ),
})).c;

const actionArb = fc.constantFrom('block', 'halt', 'require_approval', 'allow', 'block');

const policyArb: fc.Arbitrary<Omit<PolicyDefinition, 'name'>> = fc.oneof(
  fc.record({ type: fc.constant('rule' as const), on: fc.constant(['tool.call'] as ['tool.call']), when: condArb, action: actionArb }),
  fc.record({
    type: fc.constant('tool' as const),
    allowed_tools: fc.option(fc.subarray(TOOLS, { minLength: 1 }), { nil: undefined }),
    arguments: fc.option(fc.dictionary(fc.constantFrom(...TOOLS), fc.dictionary(fc.constantFrom('amount', 'to', 'flag', 'tags[*]'), testArb, { minKeys: 1, maxKeys: 2 }), { minKeys: 1, maxKeys: 2 }), { nil: undefined }),
  }).map((p) => (p.allowed_tools || p.arguments ? p : { ...p, disallowed_tools: ['zz'] })),
  fc.record({
    type: fc.constant('sequence' as const),
    on: fc.constant(['tool.call'] as ['tool.call']),
    when: fc.option(condArb, { nil: undefined }),
    count: fc.record({ where: fc.option(condArb, { nil: undefined }), max: fc.nat(3), within: fc.option(fc.constantFrom(1000, 5000), { nil: undefined }) }),
    action: actionArb,
  }),
  fc.record({ type: fc.constant('sequence' as const), on: fc.constant(['tool.call'] as ['tool.call']), when: fc.option(condArb, { nil: undefined }), sum: fc.record({ field: fc.constant('args.amount'), where: fc.option(condArb, { nil: undefined }), max: fc.constantFrom(0, 100, 600) }) }),
  fc.record({ type: fc.constant('sequence' as const), on: fc.constant(['tool.call'] as ['tool.call']), when: fc.option(condArb, { nil: undefined }), after: condArb }),
  fc.record({ type: fc.constant('sequence' as const), on: fc.constant(['tool.call'] as ['tool.call']), when: fc.option(condArb, { nil: undefined }), repeat: fc.record({ max: fc.integer({ min: 1, max: 2 }) }) }),
);

const argsArb = fc.record(
  {
    amount: fc.oneof(numArb, fc.constantFrom('500', Number.POSITIVE_INFINITY), fc.double({ noNaN: false })),
    to: fc.oneof(fc.constantFrom(...STRINGS), fc.array(fc.constantFrom(...STRINGS), { maxLength: 3 })),
    tags: fc.array(fc.oneof(fc.constantFrom(...STRINGS), numArb), { maxLength: 4 }),
    flag: fc.oneof(fc.boolean(), fc.constant(null)),
    note: fc.oneof(
      fc.constantFrom(...STRINGS),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      // longer text, so the kernel's 16-byte scanning paths (contains, start-state skip) run too
      fc.array(fc.constantFrom(...STRINGS, ' ', 'a long needle', ' that goes through a DFA'), { maxLength: 10, size: 'max' }).map((parts) => parts.join('')),
    ),
    nested: fc.record({ x: scalarArb }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

const eventArb = fc.record({
  tool: fc.constantFrom(...TOOLS),
  args: argsArb,
  run: fc.constantFrom('r1', 'r2'),
  dt: fc.nat(3000),
  role: fc.option(fc.constantFrom('admin', 'agent'), { nil: undefined }),
});

const caseArb = fc.record({
  policies: fc.array(policyArb, { minLength: 1, maxLength: 5 }),
  events: fc.array(eventArb, { minLength: 1, maxLength: 8 }),
});

describe('wasm kernel vs reference evaluator', () => {
  it('tests the SIMD build (test/engine/scalar-kernel.test.ts covers the other)', () => {
    expect(kernelBuild()).toBe('simd');
  });

  it(`agrees on ${CASES} random policy sets and event streams`, () => {
    let compiled = 0;
    let evaluations = 0;
    let violations = 0;
    fc.assert(
      fc.property(caseArb, ({ policies, events }) => {
        const r = compilePolicies(policies.map((p, i) => ({ policy: { ...p, name: `p${i}` } })));
        if (!r.ok) {
          // only contradiction diagnostics are expected from the generator
          const unexpected = r.diagnostics.filter((d) => d.severity === 'error' && d.code !== 'contradictory-condition');
          expect(unexpected).toEqual([]);
          return;
        }
        compiled++;
        const engine = createEngine(r.bundle, { maxRuns: 4 });
        const ref = new ReferenceEvaluator(r.bundle.policies);
        let time = 1_000_000;
        events.forEach((e, i) => {
          time += e.dt;
          const event: StreamEvent = {
            kind: 'tool.call',
            runId: e.run,
            tool: e.tool,
            args: e.args as never,
            callId: `c${i}`,
            time,
            ...(e.role ? { metadata: { role: e.role } } : {}),
          };
          const d = engine.evaluate(event);
          const want = ref.check(event, time, callDigest(event));
          const got = d.violations.map((v) => Number(v.policy.slice(1))).sort((x, y) => x - y);
          expect(d.errors).toEqual([]);
          expect(got).toEqual(want.violated);
          if (['allow', 'flag', 'modify'].includes(d.outcome)) want.commit();
          evaluations++;
          violations += got.length;
        });
      }),
      { numRuns: CASES },
    );
    // the generator must exercise both sides: most sets compile and some events violate
    expect(compiled).toBeGreaterThan(CASES * 0.6);
    expect(violations).toBeGreaterThan(evaluations * 0.1);
    console.log(`differential: ${CASES} cases, ${compiled} compiled policy sets, ${evaluations} evaluations, ${violations} violations, 0 disagreements`);
  }, DEEP ? 3_600_000 : 300_000);

  // long values through the kernel's 16-byte paths (long-text-agreement.ts)
  it('agrees on contains and patterns over long values from a small alphabet', () => {
    assertLongTextAgreement(DEEP ? 50_000 : 2_000);
  });
});
