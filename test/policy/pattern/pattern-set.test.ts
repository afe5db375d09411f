// compilePatternSet: one DFA that says which patterns occur in a text. Checked on examples and
// against the RegExp engine pattern by pattern on generated sets, including sets that mix
// case-sensitive and case-insensitive `\b` (which disagree about U+017F and U+212A).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePatternSet, dfaMatchSet, dfaTest, type PatternSetDfa } from '../../../src/policy/pattern/index.js';
import { brokenInvariant } from './dfa-invariants.js';
import { caseCount, noiseArbitrary, patternArbitrary, PROPERTY_TIMEOUT_MS, sampleMatch, textLimit } from './generators.js';
import { oracleTest } from './oracle.js';

function mustCompileSet(sources: string[]): PatternSetDfa {
  const result = compilePatternSet(sources);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  return result.dfa;
}

function expected(sources: string[], text: string): number[] {
  return sources.flatMap((source, id) => (oracleTest(source, text) ? [id] : []));
}

describe('compilePatternSet', () => {
  const secrets = ['(?i)\\bsk_live_[a-z0-9]{8}\\b', 'AKIA[0-9A-Z]{16}', '^BEGIN', 'end$', '\\d{3}-\\d{4}'];

  it('reports which patterns occur', () => {
    const dfa = mustCompileSet(secrets);
    expect(dfaMatchSet(dfa, 'x SK_LIVE_abcd1234 y AKIAABCDEFGHIJKLMNOP')).toEqual([0, 1]);
    expect(dfaMatchSet(dfa, 'BEGIN 555-1234 end')).toEqual([2, 3, 4]);
    expect(dfaMatchSet(dfa, 'the end')).toEqual([3]);
    expect(dfaMatchSet(dfa, 'nothing here')).toEqual([]);
    expect(dfaMatchSet(dfa, '')).toEqual([]);
  });

  it('keeps the single-pattern accept bits for "any pattern matched"', () => {
    const dfa = mustCompileSet(secrets);
    expect(brokenInvariant(dfa)).toBeUndefined();
    expect(dfaTest(dfa, 'call 555-1234')).toBe(true);
    expect(dfaTest(dfa, 'call 555-123')).toBe(false);
  });

  it('lays out per-state pattern lists as offsets into id arrays', () => {
    const dfa = mustCompileSet(secrets);
    for (const [offsets, ids] of [
      [dfa.acceptSet, dfa.acceptIds],
      [dfa.endAcceptSet, dfa.endAcceptIds],
    ] as const) {
      expect(offsets).toHaveLength(dfa.stateCount + 1);
      expect(offsets[0]).toBe(0);
      expect(offsets[dfa.stateCount]).toBe(ids.length);
      for (let s = 0; s < dfa.stateCount; s++) expect(offsets[s + 1]!).toBeGreaterThanOrEqual(offsets[s]!);
      for (const id of ids) expect(id).toBeLessThan(dfa.patternCount);
    }
    for (let s = 0; s < dfa.stateCount; s++) {
      expect((dfa.accept[s]! & 1) === 1).toBe(dfa.acceptSet[s + 1]! > dfa.acceptSet[s]!);
      expect((dfa.accept[s]! & 2) === 2).toBe(dfa.endAcceptSet[s + 1]! > dfa.endAcceptSet[s]!);
    }
    expect(dfa.patternCount).toBe(secrets.length);
    expect(dfa.sources).toEqual(secrets);
  });

  it('reports every broken pattern with its index', () => {
    const result = compilePatternSet(['a', '(', 'b', '\\1']);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.map((d) => [d.patternIndex, d.code])).toEqual([
      [1, 'unbalanced-paren'],
      [3, 'backreference'],
    ]);
  });

  it('refuses a set whose automaton is too large as a whole', () => {
    const result = compilePatternSet(['(a|b)*a(a|b){10}', '(a|c)*c(a|c){10}', '(b|c)*b(b|c){10}']);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: 'pattern-too-complex', patternIndex: -1 });
  });

  it('reports a set that is not an array instead of throwing', () => {
    const result = compilePatternSet('abc' as unknown as string[]);
    expect(result.ok).toBe(false);
  });

  it('compiles the empty set to a DFA that never matches', () => {
    const dfa = mustCompileSet([]);
    expect(dfa.dead).toBe(dfa.start);
    expect(dfaMatchSet(dfa, 'anything')).toEqual([]);
  });

  it('is anchored when every pattern is', () => {
    expect(mustCompileSet(['^a', '^b']).anchoredStart).toBe(true);
    expect(mustCompileSet(['^a', 'b']).anchoredStart).toBe(false);
  });

  it('keeps `\\b` apart for case-sensitive and case-insensitive patterns', () => {
    const sources = ['a\\b', '(?i)a\\b', 'x\\B', '(?i)x\\B'];
    const dfa = mustCompileSet(sources);
    for (const text of ['a\u017f', 'a\u212a', 'a', 'x\u212a', 'x\u017f', 'xa', 'a-']) {
      expect(dfaMatchSet(dfa, text), JSON.stringify(text)).toEqual(expected(sources, text));
    }
  });

  it('agrees with the RegExp engine on generated sets', () => {
    const sets = fc.array(patternArbitrary, { minLength: 1, maxLength: 3 });
    let checked = 0;
    fc.assert(
      fc.property(sets, noiseArbitrary, noiseArbitrary, fc.integer(), (sources, before, after, seed) => {
        const result = compilePatternSet(sources);
        if (!result.ok) {
          expect(result.diagnostics.every((d) => d.code === 'pattern-too-complex')).toBe(true);
          return;
        }
        let state = seed >>> 0 || 1;
        const random = (): number => {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          return state / 0x100000000;
        };
        const limit = Math.min(...sources.map(textLimit));
        const cut = (text: string): string => [...text].slice(0, limit).join('');
        const texts = [cut(before + after), ...sources.map((s) => cut(before.slice(0, 2) + sampleMatch(s, random) + after))];
        for (const text of texts) {
          expect(dfaMatchSet(result.dfa, text), `${JSON.stringify(sources)} on ${JSON.stringify(text)}`).toEqual(expected(sources, text));
          checked++;
        }
      }),
      { numRuns: caseCount(250, 10_000) },
    );
    expect(checked).toBeGreaterThan(250);
  }, PROPERTY_TIMEOUT_MS);
});
