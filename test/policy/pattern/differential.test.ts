// Differential test: for generated patterns and texts, the reference runner over the compiled
// table must answer exactly what the JS RegExp engine answers. 5,000 patterns (each with four
// texts) in the normal run, 100,000 with CASCADE_DEEP=1.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, dfaTest } from '../../../src/policy/pattern/index.js';
import { brokenInvariant } from './dfa-invariants.js';
import { caseCount, patternArbitrary, PROPERTY_TIMEOUT_MS, textsArbitrary } from './generators.js';
import { oracleTest } from './oracle.js';

const cases = fc.tuple(patternArbitrary, fc.context()).chain(([pattern]) => fc.tuple(fc.constant(pattern), textsArbitrary(pattern)));

describe('dfaTest agrees with RegExp.prototype.test', () => {
  it('on generated patterns and texts', () => {
    let compiled = 0;
    let refused = 0;
    let matched = 0;
    fc.assert(
      fc.property(cases, ([pattern, texts]) => {
        const result = compilePattern(pattern);
        if (!result.ok) {
          // Only the automaton budget may refuse a pattern of the supported subset.
          expect(result.diagnostics.map((d) => d.code)).toEqual(['pattern-too-complex']);
          refused++;
          return;
        }
        compiled++;
        expect(brokenInvariant(result.dfa)).toBeUndefined();
        for (const text of texts) {
          const expected = oracleTest(pattern, text);
          if (dfaTest(result.dfa, text) !== expected) {
            throw new Error(`\`${pattern}\` on ${JSON.stringify(text)}: RegExp says ${expected}`);
          }
          if (expected) matched++;
        }
      }),
      { numRuns: caseCount(5_000, 100_000) },
    );
    expect(refused).toBeLessThan(compiled / 100);
    // The sampled texts make the positive side well represented.
    expect(matched).toBeGreaterThan(compiled);
  }, PROPERTY_TIMEOUT_MS);
});
