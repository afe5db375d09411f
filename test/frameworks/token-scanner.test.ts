// TokenScanner: `scan` (which visits only runs long enough to hold a match) must give exactly
// what a plain scan of every position gives (`scanRange` over the whole text), on generated text
// built from the tables' own prefixes and characters, and on the secrets test corpus.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as C from '../../scripts/eval/corpora.js';
import { KernelTokenScanner, kernelScanner, MAX_KERNEL_TEXT, scanKernelUnavailable } from '../../src/frameworks/scan/kernel-scanner.js';
import { TokenScanner } from '../../src/frameworks/scan/token-scanner.js';
import type { TokenMatch, TokenPattern } from '../../src/frameworks/scan/token-scanner.js';
import { PROVIDER_PATTERNS } from '../../src/frameworks/secrets/provider-patterns.js';
import { SCANNER_PATTERNS, VALIDATORS } from '../../src/frameworks/secrets/index.js';

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

// The Wasm scan kernel (assembly/scan.ts) runs the same compiled table: it must give exactly the
// TypeScript scanner's matches, validators and entropy checks included, on generated text and on
// every text of the corpora the packs are measured on.
describe('KernelTokenScanner (the Wasm scan kernel)', () => {
  const tables = [
    ['secrets scanner (providers, JWT, validators, entropy)', new TokenScanner(SCANNER_PATTERNS, VALIDATORS)],
    ['provider table', new TokenScanner(PROVIDER_PATTERNS)],
    ['markers', new TokenScanner(MARKERS)],
    ['short patterns', new TokenScanner(SHORT)],
  ] as const;
  for (const [name, scanner] of tables) {
    it(`finds what TokenScanner finds on generated text (${name})`, () => {
      const kernel = new KernelTokenScanner(scanner);
      let found = 0;
      fc.assert(
        fc.property(textFrom(scanner.patterns), fc.boolean(), (text, wide) => {
          // two-byte text too: code units from 128 up are written as 128 and must never match
          const t = wide ? text.replace(/e/g, '\u00e9').replace(/x/g, '\u{1F600}') : text;
          const expected = shape(scanner.scan(t));
          found += expected.length;
          expect(shape(kernel.scan(t))).toEqual(expected);
        }),
        { numRuns: 1500 },
      );
      expect(found).toBeGreaterThan(100);
    });
  }

  it.skipIf(!C.corporaAvailable())('finds what TokenScanner finds on every corpus text, alone and joined into one long text', () => {
    const secrets = new TokenScanner(SCANNER_PATTERNS, VALIDATORS);
    const kernel = new KernelTokenScanner(secrets);
    const texts = corpusTexts();
    expect(texts.length).toBeGreaterThan(20_000);
    let matches = 0;
    for (const t of texts) {
      const expected = shape(secrets.scan(t));
      matches += expected.length;
      const got = shape(kernel.scan(t));
      if (got.length !== expected.length || JSON.stringify(got) !== JSON.stringify(expected)) expect({ t, got }).toEqual({ t, got: expected });
    }
    expect(matches).toBeGreaterThan(3000);
    // one text far larger than the kernel's first text area, with more matches than its first output area
    const joined = texts.slice(0, 8000).join('\n');
    expect(shape(kernel.scan(joined))).toEqual(shape(secrets.scan(joined)));
    expect(kernel.scan(joined).length).toBeGreaterThan(1000);
  });
});

/** Every text the packs' dataset evaluations read: secrets samples, Presidio records, InjecAgent cases, shell commands. */
function corpusTexts(): string[] {
  const out: string[] = C.loadSecretSamples().map((s) => s.text);
  for (const r of C.loadPiiRecords()) out.push(r.full_text);
  for (const c of C.loadInjecAgentCases()) out.push(c['Tool Response'], c['Attacker Instruction'], c['Tool Parameters']);
  out.push(...C.loadShellCommands());
  return out;
}

describe('kernelScanner (what the packs use)', () => {
  const table = new TokenScanner(SCANNER_PATTERNS, VALIDATORS);
  const key = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
  it('scans with the Wasm kernel, and texts over MAX_KERNEL_TEXT with the TypeScript scanner, finding the same', () => {
    const s = kernelScanner(table);
    expect(shape(s.scan(`token ${key} here`))).toEqual([['github-token', 6, 6 + key.length]]);
    expect(scanKernelUnavailable()).toBeUndefined();
    const huge = 'x '.repeat(MAX_KERNEL_TEXT / 2) + key;
    expect(shape(s.scan(huge))).toEqual(shape(table.scan(huge)));
    expect(s.scan(huge)).toHaveLength(1);
  });
});

describe('KernelTokenScanner edge cases', () => {
  it('a failed memory grow throws and leaves the scanner working for texts that fit', () => {
    const table = new TokenScanner(SCANNER_PATTERNS, VALIDATORS);
    const kernel = new KernelTokenScanner(table);
    const key = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
    const small = `token ${key}`;
    expect(shape(kernel.scan(small))).toEqual(shape(table.scan(small)));
    // the memory cannot grow any more
    const k = kernel as unknown as { x: Record<string, unknown> };
    const real = k.x;
    const reserve = real['scan_reserve'] as (n: number) => number;
    k.x = { ...real, scan_reserve: (n: number) => (n > 1 << 16 ? 0 : reserve(n)) };
    expect(() => kernel.scan('x'.repeat(1 << 16) + key)).toThrow(RangeError);
    expect(shape(kernel.scan(small))).toEqual(shape(table.scan(small)));
    k.x = real;
    const big = 'y '.repeat(1 << 16) + key;
    expect(shape(kernel.scan(big))).toEqual(shape(table.scan(big)));
  });

  it('an unbounded body length (max: Infinity) reads to the end of the run, as in TypeScript', () => {
    const table = new TokenScanner([{ id: 'open', prefixes: ['tok_'], body: 'alnum', min: 4, max: Number.POSITIVE_INFINITY }]);
    const kernel = new KernelTokenScanner(table);
    for (const t of ['tok_abcd', `x tok_${'a'.repeat(5000)} y`, 'tok_ab', 'tok_abcdef-tok_1234']) expect(shape(kernel.scan(t))).toEqual(shape(table.scan(t)));
    expect(kernel.scan(`x tok_${'a'.repeat(5000)} y`)[0]).toMatchObject({ start: 2, end: 5006 });
  });
});
