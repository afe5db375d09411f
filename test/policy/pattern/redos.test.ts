// ReDoS regressions: patterns that send a backtracking engine exponential or polynomial run
// over 100k-character inputs. The DFA answers in one pass; the RegExp engine is consulted only
// on inputs where it finishes. The time ceilings detect hangs, they are not benchmarks.

import { describe, expect, it } from 'vitest';
import { dfaTest, findMatches } from '../../../src/policy/pattern/index.js';
import { mustCompile, oracleTest } from './oracle.js';

const HANG_CEILING_MS = 5_000;

function timed<T>(run: () => T): T {
  const started = performance.now();
  const value = run();
  expect(performance.now() - started).toBeLessThan(HANG_CEILING_MS);
  return value;
}

type Case = {
  pattern: string;
  /** long inputs, with the expected answer */
  long: Array<[text: string, matches: boolean]>;
  /** inputs short enough for the backtracking engine */
  short: string[];
};

const N = 100_000;

const cases: Case[] = [
  {
    pattern: '(a+)+$',
    long: [
      ['a'.repeat(N) + 'b', false],
      ['a'.repeat(N), true],
    ],
    short: ['a'.repeat(16) + 'b', 'aaa', 'b'],
  },
  {
    pattern: '^(a+)+$',
    long: [
      ['a'.repeat(N) + '!', false],
      ['a'.repeat(N), true],
    ],
    short: ['a'.repeat(16) + '!'],
  },
  { pattern: '(a|a)*b', long: [['a'.repeat(N), false]], short: ['a'.repeat(16), 'aab'] },
  { pattern: '(a|aa)+c', long: [['a'.repeat(N), false]], short: ['a'.repeat(20), 'aaac'] },
  {
    pattern: '(.*a){20}',
    long: [
      ['a'.repeat(N), true],
      ['a'.repeat(19) + 'b'.repeat(N), false],
      ['ba'.repeat(N / 2), true],
    ],
    short: ['a'.repeat(19) + 'b'.repeat(8), 'a'.repeat(20)],
  },
  { pattern: '(x+x+)+y', long: [['x'.repeat(N), false]], short: ['x'.repeat(14), 'xxy'] },
  { pattern: '(\\w+\\s?)+$', long: [['a '.repeat(N / 2) + '!', false]], short: ['a a a a a a a a a a a a!', 'ab c'] },
  { pattern: '^(([a-z])+.)+[A-Z]([a-z])+$', long: [['a'.repeat(N), false]], short: ['aaaaaaaaaaaaaaaaaa', 'aa.Bc'] },
  { pattern: '(?:a*)*b', long: [['a'.repeat(N), false]], short: ['a'.repeat(20), 'ab'] },
  { pattern: '^\\s*#?\\s*$', long: [[' '.repeat(N) + 'x', false]], short: [' '.repeat(30) + 'x', ' # '] },
  { pattern: '(?i)(?:\\w+\\b\\W*){2,}!$', long: [['word '.repeat(N / 5) + '?', false]], short: ['a b c d e f g h i j ?', 'a b!'] },
  { pattern: '(?s)(.*?,){11}P', long: [['1,'.repeat(N / 2), false]], short: ['1,'.repeat(12), '1,'.repeat(11) + 'P'] },
];

describe('ReDoS regressions', () => {
  it.each(cases)('`$pattern` answers in one pass over long inputs', ({ pattern, long }) => {
    const dfa = mustCompile(pattern);
    for (const [text, matches] of long) {
      expect(timed(() => dfaTest(dfa, text))).toBe(matches);
      // Every long input that matches has a non-empty match to report.
      expect(timed(() => findMatches(dfa, text)).length > 0).toBe(matches);
    }
  });

  it.each(cases)('`$pattern` agrees with RegExp where RegExp finishes', ({ pattern, short }) => {
    const dfa = mustCompile(pattern);
    for (const text of short) expect(dfaTest(dfa, text)).toBe(oracleTest(pattern, text));
  });

  it('scales linearly: twice the input, about twice the DFA steps', () => {
    // Counted through the table rather than timed: the reference runner takes exactly one table
    // step per code point, so the work is the input length whatever the pattern.
    const dfa = mustCompile('(a+)+$');
    let steps = 0;
    const counting = { ...dfa, table: new Proxy(dfa.table, { get: (t, key) => (typeof key === 'string' && /^\d+$/.test(key) && steps++, Reflect.get(t, key)) }) };
    dfaTest(counting, 'a'.repeat(1_000) + 'b');
    const small = steps;
    steps = 0;
    dfaTest(counting, 'a'.repeat(2_000) + 'b');
    expect(small).toBe(1_001);
    expect(steps).toBe(2_001);
  });
});
