// The Unicode data the compiler derives from the JS engine at run time: case-folding orbits,
// property escapes, `\s` and the caseless word set. Each is checked exhaustively (or on many
// samples) against the engine's own RegExp answers.

import { describe, expect, it } from 'vitest';
import { caseClose, caseVariants } from '../../../src/policy/pattern/case-folding.js';
import { WHITESPACE, wordCharacters } from '../../../src/policy/pattern/character-classes.js';
import { CodePointSet } from '../../../src/policy/pattern/code-point-set.js';
import { codePointsMatching, unicodePropertySet } from '../../../src/policy/pattern/unicode-properties.js';

function* codePointsOf(set: CodePointSet): Generator<number> {
  const r = set.ranges;
  for (let i = 0; i < r.length; i += 2) for (let cp = r[i]!; cp <= r[i + 1]!; cp++) yield cp;
}

describe('case folding', () => {
  it('has no case mappings beyond plane 1, which the orbit table relies on', () => {
    const cased = codePointsMatching('[\\p{Changes_When_Casemapped}\\p{Changes_When_Casefolded}]');
    expect(cased.ranges[cased.ranges.length - 1]!).toBeLessThanOrEqual(0x1ffff);
  });

  it('finds every folding code point among those that change under case mapping', () => {
    const folding = codePointsMatching('\\p{Changes_When_Casefolded}');
    const mapped = codePointsMatching('\\p{Changes_When_Casemapped}');
    expect(folding.union(mapped).equals(mapped)).toBe(true);
  });

  it('groups exactly the code points a `ui` RegExp treats as equal', () => {
    const cased = [...codePointsOf(codePointsMatching('[\\p{Changes_When_Casemapped}\\p{Changes_When_Casefolded}]'))];
    const haystack = String.fromCodePoint(...cased);
    for (const cp of cased) {
      const engine = [...haystack.matchAll(new RegExp(`\\u{${cp.toString(16)}}`, 'giu'))].map((m) => m[0].codePointAt(0)!);
      expect([...caseVariants(cp)], `U+${cp.toString(16)}`).toEqual(engine.sort((a, b) => a - b));
    }
  });

  it('closes ASCII-only sets without the table exactly as with it', () => {
    for (let lo = 0; lo < 128; lo++) {
      for (const hi of [lo, Math.min(127, lo + 5), 127]) {
        const set = CodePointSet.range(lo, hi);
        const viaTable = [...codePointsOf(set)].flatMap((cp) => [...caseVariants(cp)]);
        expect(caseClose(set).equals(CodePointSet.fromRanges(viaTable.flatMap((cp) => [cp, cp]))), `${lo}-${hi}`).toBe(true);
      }
    }
  });

  it('keeps the notorious cases apart', () => {
    expect(caseVariants(0x131)).toEqual([0x131]); // ı does not fold to i
    expect(caseVariants(0x130)).toEqual([0x130]); // nor does İ
    expect(caseVariants(0x6b)).toEqual([0x4b, 0x6b, 0x212a]);
    expect(caseVariants(0x73)).toEqual([0x53, 0x73, 0x17f]);
    expect(caseVariants(0xdf)).toEqual([0xdf, 0x1e9e]);
    expect(caseVariants(0x3c3)).toEqual([0x3a3, 0x3c2, 0x3c3]);
    expect(caseVariants(0x31)).toEqual([0x31]);
  });
});

describe('character sets', () => {
  it('`\\s` is exactly what the engine calls whitespace', () => {
    expect(codePointsMatching('\\s').equals(WHITESPACE)).toBe(true);
  });

  it('the word sets match `\\w` with and without `i`', () => {
    expect(codePointsMatching('\\w').equals(wordCharacters(false))).toBe(true);
    expect(codePointsMatching('\\w', 'iu').equals(wordCharacters(true))).toBe(true);
  });
});

describe('unicode properties', () => {
  const properties = ['L', 'Lu', 'Nd', 'P', 'Script=Greek', 'sc=Han', 'Emoji', 'White_Space', 'Any', 'ASCII', 'Cs', 'Co', 'Cn'];

  it.each(properties)('\\p{%s} agrees with the engine on boundaries and samples', (property) => {
    const set = unicodePropertySet(property)!;
    expect(set).toBeDefined();
    const probe = new RegExp(`^\\p{${property}}$`, 'u');
    const points = new Set<number>();
    const r = set.ranges;
    for (let i = 0; i < r.length; i += 2) for (const cp of [r[i]! - 1, r[i]!, r[i + 1]!, r[i + 1]! + 1]) points.add(cp);
    for (let i = 0; i < 5_000; i++) points.add(Math.floor(Math.random() * 0x110000));
    for (const cp of points) {
      if (cp < 0 || cp > 0x10ffff) continue;
      expect(set.has(cp), `U+${cp.toString(16)}`).toBe(probe.test(String.fromCodePoint(cp)));
    }
  });

  it('caches each property', () => {
    expect(unicodePropertySet('Lu')).toBe(unicodePropertySet('Lu'));
  });

  it('rejects unknown properties, properties of strings and malformed names', () => {
    for (const body of ['Foo', 'RGI_Emoji', 'L}|x', '', 'Script=', 'ascii']) expect(unicodePropertySet(body), body).toBeUndefined();
  });
});
