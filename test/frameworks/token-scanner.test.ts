// TokenScanner: `scan` (which visits only runs long enough to hold a match) must give exactly
// what a plain scan of every position gives (`scanRange` over the whole text), on generated text
// built from the tables' own prefixes and characters, and on the secrets test corpus.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenScanner } from '../../src/frameworks/scan/token-scanner.js';
import type { TokenMatch, TokenPattern } from '../../src/frameworks/scan/token-scanner.js';
import { PROVIDER_PATTERNS } from '../../src/frameworks/secrets/provider-patterns.js';

const MARKERS: TokenPattern[] = [
  { id: 'role-tag', prefixes: ['<|im_start|>', '### system', '[inst]', '</s><s>'], ci: true, noBoundary: true, body: 'digits', min: 0, max: 0 },
];
const SHORT: TokenPattern[] = [
  { id: 'one', prefixes: ['|'], back: 3, backMax: 5, backClass: 'digits', body: 'word', min: 2, max: 4, noBoundary: true },
  { id: 'two', prefixes: ['ab', 'Q~'], body: 'hex', min: 1, max: 3 },
  { id: 'three', prefixes: ['x.'], ci: true, body: 'token', min: 2, max: 6, exact: true },
];

const plain = (s: TokenScanner, text: string): TokenMatch[] => s.scanRange(text, 0, text.length);
const shape = (ms: TokenMatch[]): [string, number, number][] => ms.map((m) => [m.pattern.id, m.start, m.end]);

/** A candidate token: optional look-behind, a prefix, a body near the pattern's length bounds. */
function tokenLike(patterns: readonly TokenPattern[]): fc.Arbitrary<string> {
  const chars = fc.constantFrom(...'abcdefxyzABCDEFXYZ0123456789'.split(''));
  return fc.tuple(fc.constantFrom(...patterns), fc.nat(), fc.integer({ min: -2, max: 2 }), fc.array(chars, { minLength: 260, maxLength: 260 })).map(([p, k, delta, cs]) => {
    const prefix = p.prefixes[k % p.prefixes.length] as string;
    const back = p.back === undefined ? '' : '1234567890123456789012345678901234'.slice(0, p.back + (delta > 0 ? delta : 0));
    return back + prefix + cs.slice(0, Math.max(0, Math.min(p.min + delta, p.max + 1))).join('');
  });
}

function textFrom(patterns: readonly TokenPattern[]): fc.Arbitrary<string> {
  const pieces = [...new Set(patterns.flatMap((p) => p.prefixes))];
  const filler = fc.constantFrom(...'aZ09_-.+/=~:| "\n\u00e9xX'.split(''));
  const body = fc.array(fc.constantFrom(...'abcdefABCDEF0123456789_-.='.split('')), { maxLength: 120 }).map((a) => a.join(''));
  const part = fc.oneof(fc.constantFrom(...pieces), tokenLike(patterns), filler, body, fc.string({ maxLength: 8 }));
  return fc.array(part, { maxLength: 40 }).map((a) => a.join(''));
}

describe('TokenScanner.scan', () => {
  for (const [name, table] of [['provider table', PROVIDER_PATTERNS], ['markers', MARKERS], ['short patterns', SHORT]] as const) {
    it(`matches a plain scan of every position (${name})`, () => {
      const scanner = new TokenScanner(table);
      let found = 0;
      fc.assert(fc.property(textFrom(table), (text) => {
        const expected = shape(plain(scanner, text));
        found += expected.length;
        expect(shape(scanner.scan(text))).toEqual(expected);
      }), { numRuns: 2000 });
      expect(found).toBeGreaterThan(100); // the generator does produce matches
    });
  }
  it('finds a token after short words and at the very end of the text', () => {
    const scanner = new TokenScanner(PROVIDER_PATTERNS);
    const key = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    for (const text of [key, `see ${key}`, `a b c ${key}.`, `x=${key}`, `"${key}"`]) {
      expect(shape(scanner.scan(text))).toEqual(shape(plain(scanner, text)));
      expect(scanner.scan(text).length).toBe(1);
    }
  });
});
