// findMatches: leftmost-longest, non-overlapping, non-empty spans in UTF-16 offsets. Checked on
// examples, then on generated patterns against the RegExp engine: every span must be a match
// in context, and for short texts the spans must equal a brute-force leftmost-longest scan.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, compilePatternSet, findMatches } from '../../../src/policy/pattern/index.js';
import { caseCount, patternArbitrary, PROPERTY_TIMEOUT_MS, textsArbitrary } from './generators.js';
import { boundaries, bruteForceMatches, mustCompile, spanMatches, splitFlags } from './oracle.js';

function spans(pattern: string, text: string): Array<[number, number]> {
  return findMatches(mustCompile(pattern), text);
}

describe('findMatches', () => {
  it('finds leftmost-longest non-overlapping spans', () => {
    expect(spans('a+', 'baaab aa')).toEqual([
      [1, 4],
      [6, 8],
    ]);
    expect(spans('a|ab', 'xab')).toEqual([[1, 3]]);
    expect(spans('abcd|bc', 'abcd')).toEqual([[0, 4]]);
    expect(spans('bc|abcd', 'xabcx')).toEqual([[2, 4]]);
    expect(spans('aa', 'aaaaa')).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(spans('[0-9]{3}-[0-9]{4}', 'call 555-1234 or 555-98765')).toEqual([
      [5, 13],
      [17, 25],
    ]);
  });

  it('skips empty matches', () => {
    expect(spans('a*', 'baab')).toEqual([[1, 3]]);
    expect(spans('x?', 'yyy')).toEqual([]);
  });

  it('honours anchors and word boundaries in context', () => {
    expect(spans('^a', 'aaa')).toEqual([[0, 1]]);
    expect(spans('a$', 'aaa')).toEqual([[2, 3]]);
    expect(spans('\\bcat\\b', 'cat concat cat_ cat')).toEqual([
      [0, 3],
      [16, 19],
    ]);
    expect(spans('\\Bb+', 'abb bb')).toEqual([
      [1, 3],
      [5, 6],
    ]);
  });

  it('reports UTF-16 offsets around astral code points', () => {
    expect(spans('😀+', 'a😀😀b😀')).toEqual([
      [1, 5],
      [6, 8],
    ]);
    expect(spans('.', '😀')).toEqual([[0, 2]]);
    expect(spans('\\uDE00', '😀\uDE00')).toEqual([[2, 3]]);
  });

  it('is case-insensitive under (?i)', () => {
    expect(spans('(?i)secret', 'SeCrEt and secret')).toEqual([
      [0, 6],
      [11, 17],
    ]);
  });

  it('finds secrets for redaction', () => {
    const text = 'key=sk_live_0123456789abcdefghijklmn, other=pk_test_ABCDEFGHIJKLMNOPQRSTUVWX!';
    const found = spans('(?i)\\b(?:sk|pk)_(?:live|test)_[0-9a-z]{24,99}\\b', text);
    expect(found.map(([s, e]) => text.slice(s, e))).toEqual(['sk_live_0123456789abcdefghijklmn', 'pk_test_ABCDEFGHIJKLMNOPQRSTUVWX']);
  });

  it('works on a DFA that was copied (recompiling its source)', () => {
    const copy = structuredClone(mustCompile('b+'));
    expect(findMatches(copy, 'abbbcb')).toEqual([
      [1, 4],
      [5, 6],
    ]);
  });

  it('throws a TypeError for a DFA whose source is not a pattern', () => {
    const copy = { ...structuredClone(mustCompile('b')), source: '(' };
    expect(() => findMatches(copy, 'b')).toThrow(TypeError);
  });

  it('finds the matches of any pattern of a set', () => {
    const set = compilePatternSet(['cat', 'dog', 'catalog']);
    if (!set.ok) throw new Error('set refused');
    expect(findMatches(set.dfa, 'hotdog catalogue cat')).toEqual([
      [3, 6],
      [7, 14],
      [17, 20],
    ]);
  });

  it('stays linear when the automaton runs far past each match', () => {
    // Each start can match `x` or keep going for a `z` that never comes: without memoising the
    // overrun this is quadratic.
    const text = 'x'.repeat(100_000);
    const started = performance.now();
    const found = spans('x|x[^z]*z', text);
    expect(found).toHaveLength(100_000);
    // A hang detector, not a benchmark: quadratic behaviour would take minutes.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('keeps working when its lazily built automata outgrow their budget and restart', () => {
    let seed = 7;
    const randomAB = (n: number): string =>
      Array.from({ length: n }, () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed & 0x10000 ? 'a' : 'b';
      }).join('');
    // Reading right to left, `[ab]{13}a` must remember where the last fourteen `a`s were: far
    // more states than one cache holds, so the start-finding pass flushes and rebuilds.
    const text = randomAB(60_000);
    const fixed = mustCompile('[ab]{13}a');
    const expected = [...text.matchAll(/[ab]{13}a/gu)].map((m) => [m.index, m.index + 14]);
    expect(findMatches(fixed, text)).toEqual(expected);
    // Reading left to right from a start, `[ab]*a[ab]{13}` is as large; its one long match
    // spans the text up to fourteen past the last usable `a`.
    const wide = compilePattern('[ab]*a[ab]{13}', { stateBudget: 0xffff });
    if (!wide.ok) throw new Error('refused');
    const lastA = text.lastIndexOf('a', text.length - 14);
    expect(findMatches(wide.dfa, text)).toEqual([[0, lastA + 14]]);
  }, PROPERTY_TIMEOUT_MS);

  it('agrees with the RegExp engine on generated patterns', () => {
    let exact = 0;
    fc.assert(
      fc.property(
        patternArbitrary.chain((pattern) => fc.tuple(fc.constant(pattern), textsArbitrary(pattern))),
        ([pattern, texts]) => {
          const compiled = compilePattern(pattern);
          if (!compiled.ok) return;
          const { body } = splitFlags(pattern);
          const contextFree = !/\\[bB]|\^|\$/.test(body.replace(/\\\\/g, ''));
          for (const text of texts) {
            const found = findMatches(compiled.dfa, text);
            const cuts = new Set(boundaries(text));
            let previousEnd = 0;
            for (const [start, end] of found) {
              expect(start).toBeGreaterThanOrEqual(previousEnd);
              expect(end).toBeGreaterThan(start);
              expect(cuts.has(start) && cuts.has(end)).toBe(true);
              expect(spanMatches(pattern, text, start, end), `\`${pattern}\` on ${JSON.stringify(text)} at ${start}-${end}`).toBe(true);
              if (contextFree) {
                const { flags } = splitFlags(pattern);
                expect(new RegExp(`^(?:${body})$`, `u${flags}`).test(text.slice(start, end))).toBe(true);
              }
              previousEnd = end;
            }
            if (boundaries(text).length <= 7) {
              expect(found, `\`${pattern}\` on ${JSON.stringify(text)}`).toEqual(bruteForceMatches(pattern, text));
              exact++;
            }
          }
        },
      ),
      { numRuns: caseCount(400, 10_000) },
    );
    expect(exact).toBeGreaterThan(200);
  }, PROPERTY_TIMEOUT_MS);
});
