// Fuzzing compilePattern: metacharacter soup, arbitrary Unicode (lone surrogates included),
// mutated valid patterns and oversized inputs. It must never throw, must come back in bounded
// time (a generous ceiling as a hang detector, not a benchmark), must point its diagnostics
// inside the source, and whatever it accepts the JS engine must accept too, with the same
// answers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, dfaTest, PATTERN_DIAGNOSTIC_CODES, type CompilePatternResult } from '../../../src/policy/pattern/index.js';
import { brokenInvariant } from './dfa-invariants.js';
import { ALPHABET, caseCount, patternArbitrary, PROPERTY_TIMEOUT_MS } from './generators.js';
import { oracleTest, splitFlags } from './oracle.js';

const HANG_CEILING_MS = 2_000;
// Inputs built to exhaust the work budget take ~0.5 s on an idle machine; the ceiling leaves
// room for a loaded CI runner while still catching a hang.
const BUDGET_CEILING_MS = 10_000;
const KNOWN_CODES = new Set<string>(PATTERN_DIAGNOSTIC_CODES.filter((code) => code !== 'internal-error'));

const SOUP = [
  '(', ')', '[', ']', '{', '}', '*', '+', '?', '|', '^', '$', '\\', '.', '-', ',', '<', '>', '=', '!', ':', 'a', 'b', 'A',
  '0', '1', '2', '9', 'p', 'P', 'u', 'x', 'k', 'c', 'i', 's', 'm', 'b', 'B', 'd', 'w', 'L', 'n', '😀', '\uD800', '\uDC00',
  ' ', '(?', '(?:', '(?<', '(?i)', '\\p{', '\\u{', '{1,', '1000', '99999', 'ſ',
];

function compileChecked(source: string, ceilingMs = HANG_CEILING_MS): CompilePatternResult {
  const started = performance.now();
  const result = compilePattern(source);
  const elapsed = performance.now() - started;
  if (elapsed > ceilingMs) throw new Error(`compiling ${JSON.stringify(source)} took ${elapsed.toFixed(0)} ms`);
  if (result.ok) {
    const broken = brokenInvariant(result.dfa);
    if (broken !== undefined) throw new Error(`${JSON.stringify(source)}: ${broken}`);
    // Everything we accept is JS `u`-mode syntax, meaning the same thing.
    const { body, flags } = splitFlags(source);
    expect(() => new RegExp(body, `u${flags}`), JSON.stringify(source)).not.toThrow();
    for (const text of ['', 'ab', 'A😀a\n_1 ', 'ſKk\u2028σς-']) {
      expect(dfaTest(result.dfa, text), `${JSON.stringify(source)} on ${JSON.stringify(text)}`).toBe(oracleTest(source, text));
    }
  } else {
    expect(result.diagnostics.length).toBeGreaterThan(0);
    for (const d of result.diagnostics) {
      expect(KNOWN_CODES.has(d.code), `${d.code}: ${d.message}`).toBe(true);
      expect(d.offset).toBeGreaterThanOrEqual(0);
      expect(d.length).toBeGreaterThanOrEqual(0);
      expect(d.offset + d.length).toBeLessThanOrEqual(source.length);
      expect(typeof d.message).toBe('string');
    }
  }
  return result;
}

const soup = fc.array(fc.constantFrom(...SOUP), { maxLength: 30 }).map((parts) => parts.join(''));

type Mutation = { at: number; remove: number; insert: string };
const mutation = fc.record({ at: fc.nat(), remove: fc.nat(3), insert: fc.array(fc.constantFrom(...SOUP, ...ALPHABET), { maxLength: 2 }).map((p) => p.join('')) });

function mutate(pattern: string, mutations: Mutation[]): string {
  let out = pattern;
  for (const { at, remove, insert } of mutations) {
    const position = out.length === 0 ? 0 : at % (out.length + 1);
    out = out.slice(0, position) + insert + out.slice(position + remove);
  }
  return out;
}

describe('compilePattern under fuzzing', () => {
  it('survives metacharacter soup', () => {
    fc.assert(
      fc.property(soup, (source) => {
        compileChecked(source);
      }),
      { numRuns: caseCount(3_000, 50_000) },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('survives arbitrary unicode strings, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (source) => {
        compileChecked(source);
      }),
      { numRuns: caseCount(1_000, 20_000) },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('survives mutations of valid patterns', () => {
    let accepted = 0;
    fc.assert(
      fc.property(patternArbitrary, fc.array(mutation, { minLength: 1, maxLength: 3 }), (pattern, mutations) => {
        if (compileChecked(mutate(pattern, mutations)).ok) accepted++;
      }),
      { numRuns: caseCount(2_000, 30_000) },
    );
    // Mutations must exercise both sides.
    expect(accepted).toBeGreaterThan(100);
  }, PROPERTY_TIMEOUT_MS);

  it('survives oversized and pathological inputs', () => {
    const longSoup = Array.from({ length: 4096 }, (_, i) => SOUP[(i * 7919) % SOUP.length]![0]).join('');
    const inputs = [
      'a'.repeat(4096),
      'a'.repeat(4097),
      '('.repeat(4096),
      ')'.repeat(4096),
      '['.repeat(4096),
      '\\'.repeat(4095),
      longSoup,
      '(?:a|'.repeat(199) + 'b' + ')'.repeat(199),
      Array.from({ length: 1300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('|'),
      '[a-z]{1000}'.repeat(4),
      '(.{1000}){1000}',
      '(a|b)*a(a|b){1000}',
      '.{1000}x.{1000}',
      '(?:a?){1000}a{1000}',
      '\\b(?:\\w+\\b\\W*){1000}',
      '(?:a{0,1000}b){4}',
      '(?i)(?:[a-z]{1,1000}\\b){4}',
      '(?:\\p{L}|\\p{N}|\\p{P}|\\p{S}){1000}',
      '((((a*)*)*)*)*b',
      '(?:.*a.*b.*c.*d){100}',
    ];
    for (const source of inputs) compileChecked(source, BUDGET_CEILING_MS);
  }, PROPERTY_TIMEOUT_MS);
});
