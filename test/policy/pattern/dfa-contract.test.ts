// The DFA layout the Wasm kernel runs: sizes and ranges, accept bits, the dead state,
// `anchoredStart`, canonical form (equivalent patterns give identical tables) and byte size.

import { describe, expect, it } from 'vitest';
import { compilePatternSet, dfaByteSize, dfaClassOf, dfaTest, type Dfa } from '../../../src/policy/pattern/index.js';
import { brokenInvariant } from './dfa-invariants.js';
import { mustCompile } from './oracle.js';

/** The state after feeding `text` to the table, the kernel's way. */
function run(dfa: Dfa, text: string): number {
  let state = dfa.start;
  for (const ch of text) state = dfa.table[state * dfa.classCount + dfaClassOf(dfa, ch.codePointAt(0)!)]!;
  return state;
}

function tables(dfa: Dfa): Omit<Dfa, 'source'> {
  const { source: _source, ...rest } = dfa;
  return rest;
}

const SAMPLE_PATTERNS = [
  'abc',
  '^abc$',
  '(?i)\\b(?:sk|pk)_(?:live|test)_[0-9a-z]{24,99}\\b',
  '\\p{L}+\\d',
  '[^\\u{1F600}-\\u{1F64F}]😀',
  '(?is)\\Bx.y\\b',
  '\\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}\\b',
  '\\u{10FFFF}|\\x00',
];

describe('compiled DFA layout', () => {
  it.each(SAMPLE_PATTERNS)('`%s` satisfies the structural invariants', (pattern) => {
    expect(brokenInvariant(mustCompile(pattern))).toBeUndefined();
  });

  it('keeps the source text', () => {
    expect(mustCompile('(?i)a+').source).toBe('(?i)a+');
  });

  it('classifies code points by equivalence class, not one column per character', () => {
    const dfa = mustCompile('[a-z]{24,99}');
    expect(dfa.classCount).toBe(2);
    expect(dfaClassOf(dfa, 'q'.codePointAt(0)!)).toBe(dfaClassOf(dfa, 'a'.codePointAt(0)!));
    expect(dfaClassOf(dfa, 'Q'.codePointAt(0)!)).not.toBe(dfaClassOf(dfa, 'a'.codePointAt(0)!));
    expect(dfaClassOf(dfa, 0x1f600)).toBe(dfaClassOf(dfa, 'Q'.codePointAt(0)!));
  });

  it('puts code points above 127 in ranges, with the most fragmented class as the default', () => {
    const dfa = mustCompile('[é😀-😂]x');
    const e = dfaClassOf(dfa, 0xe9);
    expect(dfaClassOf(dfa, 0x1f601)).toBe(e);
    expect(dfaClassOf(dfa, 0x1f603)).toBe(dfa.otherClass);
    expect(dfaClassOf(dfa, 0x10ffff)).toBe(dfa.otherClass);
    expect(Array.from(dfa.ranges)).toEqual([0xe9, 0xe9, e, 0x1f600, 0x1f602, e]);
  });

  it('sets bit0 once a match has ended and bit1 where only the end of input completes one', () => {
    const plain = mustCompile('abc');
    expect(plain.accept[run(plain, 'xab')]! & 1).toBe(0);
    expect(plain.accept[run(plain, 'xabc')]! & 1).toBe(1);
    expect(plain.accept[run(plain, 'xabcz')]! & 1).toBe(1);

    const atEnd = mustCompile('abc$');
    expect(atEnd.accept[run(atEnd, 'xabc')]).toBe(2);
    expect(atEnd.accept[run(atEnd, 'xabcz')]).toBe(0);

    const boundary = mustCompile('abc\\b');
    expect(boundary.accept[run(boundary, 'abc')]).toBe(2);
    expect(boundary.accept[run(boundary, 'abc ')]! & 1).toBe(1);
    expect(boundary.accept[run(boundary, 'abcd')]).toBe(0);
  });

  it('answers the empty input from the start state', () => {
    expect(mustCompile('a*').accept[0]! & 3).not.toBe(0);
    expect(mustCompile('a').accept[0]).toBe(0);
    expect(mustCompile('^$').accept[0]).toBe(2);
  });

  it('has a dead state only when a match can become impossible', () => {
    const anchored = mustCompile('^abc');
    expect(anchored.dead).toBeGreaterThanOrEqual(0);
    expect(run(anchored, 'x')).toBe(anchored.dead);
    expect(run(anchored, 'abx')).toBe(anchored.dead);
    expect(mustCompile('abc').dead).toBe(-1);
    expect(mustCompile('[]').dead).toBe(0);
  });

  it('marks patterns whose every match starts at offset 0', () => {
    for (const p of ['^abc', '^a|^b', '(?:^a|^b)c', '\\b^a', '(?:^a){1}b']) expect(mustCompile(p).anchoredStart, p).toBe(true);
    for (const p of ['abc', '^a|b', '(?:^a)?b', 'a$']) expect(mustCompile(p).anchoredStart, p).toBe(false);
  });

  it('gives equivalent patterns identical tables', () => {
    const pairs: Array<[string, string]> = [
      ['a|b', '[ab]'],
      ['(?:a|b)*c', '[ab]*c'],
      ['a+', 'aa*'],
      ['x{2,3}', 'xxx?'],
      ['(?i)a', '[aA]'],
      ['\\d', '[0-9]'],
      ['a*?b', 'a*b'],
      ['(?:ab|ac)', 'a[bc]'],
      ['[^]', '(?s).'],
      ['\\w+', '[_a-zA-Z0-9]+'],
    ];
    for (const [a, b] of pairs) expect(tables(mustCompile(a)), `${a} vs ${b}`).toEqual(tables(mustCompile(b)));
  });

  it('compiles deterministically', () => {
    for (const p of SAMPLE_PATTERNS) expect(mustCompile(p)).toEqual(mustCompile(p));
  });

  it('is minimal: the unanchored search for `abc` needs four states', () => {
    expect(mustCompile('abc').stateCount).toBe(4);
    expect(mustCompile('(a|b)*a(a|b){5}').stateCount).toBe(7);
  });

  it('counts its bytes for memory accounting', () => {
    const dfa = mustCompile('abc');
    const tableBytes = dfa.asciiClass.byteLength + dfa.ranges.byteLength + dfa.table.byteLength + dfa.accept.byteLength;
    expect(dfaByteSize(dfa)).toBe(tableBytes + 2 * dfa.source.length);
    expect(dfaByteSize(mustCompile('[a-z]{99}'))).toBeGreaterThan(dfaByteSize(dfa));
    const set = compilePatternSet(['abc', 'abd']);
    if (!set.ok) throw new Error('refused');
    const { acceptSet, acceptIds, endAcceptSet, endAcceptIds } = set.dfa;
    const listBytes = acceptSet.byteLength + acceptIds.byteLength + endAcceptSet.byteLength + endAcceptIds.byteLength;
    expect(dfaByteSize(set.dfa)).toBe(
      set.dfa.asciiClass.byteLength + set.dfa.ranges.byteLength + set.dfa.table.byteLength + set.dfa.accept.byteLength + listBytes + 2 * set.dfa.source.length,
    );
  });

  it('runs on lone surrogates as code points', () => {
    const dfa = mustCompile('\\uD83D');
    expect(dfaTest(dfa, '\uD83D')).toBe(true);
    expect(dfaTest(dfa, '\uD83D\uDE00')).toBe(false);
    expect(dfaTest(dfa, '\uDE00\uD83D')).toBe(true);
  });
});
