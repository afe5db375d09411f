// Every rejected construct: the diagnostic code, where it points, and that its wording follows
// the house rules (lowercase, no trailing period, a help line).

import { describe, expect, it } from 'vitest';
import { compilePattern, PATTERN_DIAGNOSTIC_CODES, type PatternDiagnostic } from '../../../src/policy/pattern/index.js';

function diagnosticOf(pattern: string): PatternDiagnostic {
  const result = compilePattern(pattern);
  if (result.ok) throw new Error(`\`${pattern}\` was accepted`);
  expect(result.diagnostics).toHaveLength(1);
  return result.diagnostics[0]!;
}

const cases: Array<[pattern: string, code: string, offset: number, length?: number]> = [
  ['', 'empty-pattern', 0, 0],
  ['(?i)', 'empty-pattern', 0, 4],
  ['a'.repeat(4097), 'pattern-too-long', 4096, 1],
  ['('.repeat(201) + 'a' + ')'.repeat(201), 'nesting-too-deep', 200, 1],
  ['ab(c', 'unbalanced-paren', 2, 1],
  ['ab)c', 'unbalanced-paren', 2, 1],
  ['((a)', 'unbalanced-paren', 0, 1],
  ['x[ab', 'unclosed-class', 1, 1],
  ['[', 'unclosed-class', 0, 1],
  ['a]', 'lone-bracket', 1, 1],
  ['a}', 'lone-bracket', 1, 1],
  ['{', 'lone-bracket', 0, 1],
  ['*a', 'nothing-to-repeat', 0, 1],
  ['a|+b', 'nothing-to-repeat', 2, 1],
  ['(?i)?', 'nothing-to-repeat', 4, 1],
  ['{2}', 'nothing-to-repeat', 0, 3],
  ['a**', 'nothing-to-repeat', 2, 1],
  ['a{2}{3}', 'nothing-to-repeat', 4, 3],
  ['a*??', 'nothing-to-repeat', 3, 1],
  ['a*?+', 'nothing-to-repeat', 3, 1],
  ['^*a', 'nothing-to-repeat', 1, 1],
  ['a\\b+', 'nothing-to-repeat', 3, 1],
  ['a$?', 'nothing-to-repeat', 2, 1],
  ['a{', 'incomplete-quantifier', 1, 1],
  ['a{,2}', 'incomplete-quantifier', 1, 1],
  ['a{2,x}', 'incomplete-quantifier', 1, 1],
  ['a{3,2}', 'quantifier-out-of-order', 1, 5],
  ['a{1001}', 'repetition-too-large', 1, 6],
  ['a{2,1001}', 'repetition-too-large', 1, 8],
  ['a{1001,}', 'repetition-too-large', 1, 7],
  ['a{99999999999999999999}', 'repetition-too-large', 1, 22],
  ['a*+', 'possessive-quantifier', 1, 2],
  ['xa++', 'possessive-quantifier', 2, 2],
  ['a{2}+', 'possessive-quantifier', 1, 4],
  ['x(?>a)', 'atomic-group', 1, 3],
  ['(?=a)', 'lookaround', 0, 3],
  ['b(?!a)', 'lookaround', 1, 3],
  ['(?<=a)b', 'lookaround', 0, 4],
  ['(?<!a)b', 'lookaround', 0, 4],
  ['a(b)\\1', 'backreference', 4, 2],
  ['(a)\\12', 'backreference', 3, 3],
  ['\\k<x>', 'backreference', 0, 5],
  ['(?<x>a)\\k<x>', 'backreference', 7, 5],
  ['a^b', 'misplaced-anchor', 1, 1],
  ['a$b', 'misplaced-anchor', 1, 1],
  ['(?:^a)*', 'misplaced-anchor', 3, 1],
  ['(?:a$){2}', 'misplaced-anchor', 4, 1],
  ['b(?:a|^c)', 'misplaced-anchor', 6, 1],
  ['(?:a|c$)b', 'misplaced-anchor', 6, 1],
  ['a(?i)b', 'misplaced-flags', 1, 4],
  ['(?m)a', 'unsupported-flag', 2, 1],
  ['(?im)a', 'unsupported-flag', 3, 1],
  ['(?i:a)', 'unsupported-group', 0, 4],
  ['x(?s:a)', 'unsupported-group', 1, 4],
  ['(?P<n>a)', 'unsupported-group', 0, 2],
  ['(?#note)a', 'unsupported-group', 0, 2],
  ['(?<1a>x)', 'invalid-group-name', 0, 6],
  ['(?<a', 'invalid-group-name', 0, 3],
  ['(?<a>x)(?<a>y)', 'duplicate-group-name', 7, 5],
  ['\\q', 'unknown-escape', 0, 2],
  ['ab\\A', 'unknown-escape', 2, 2],
  ['\\-', 'unknown-escape', 0, 2],
  ['[\\B]', 'unknown-escape', 1, 2],
  ['[\\1]', 'unknown-escape', 1, 2],
  ['\\\u{1F600}', 'unknown-escape', 0, 3],
  ['\\x4', 'invalid-escape', 0, 2],
  ['\\x4g', 'invalid-escape', 0, 2],
  ['\\u12', 'invalid-escape', 0, 2],
  ['\\u{110000}', 'invalid-escape', 0, 10],
  ['\\u{}', 'invalid-escape', 0, 4],
  ['\\u{12', 'invalid-escape', 0, 3],
  ['\\c1', 'invalid-escape', 0, 2],
  ['\\01', 'invalid-escape', 0, 3],
  ['a\\', 'invalid-escape', 1, 1],
  ['\\p', 'invalid-escape', 0, 2],
  ['\\pL', 'invalid-escape', 0, 2],
  ['\\p{Foo}', 'unknown-property', 0, 7],
  ['\\p{RGI_Emoji}', 'unknown-property', 0, 13],
  ['x\\P{ascii}', 'unknown-property', 1, 9],
  ['\\p{L|x}', 'unknown-property', 0, 7],
  ['[z-a]', 'class-range-out-of-order', 1, 3],
  ['[\\x7a-\\x61]', 'class-range-out-of-order', 1, 9],
  ['[\\d-z]', 'invalid-class-range', 1, 4],
  ['[a-\\w]', 'invalid-class-range', 1, 4],
  ['(a|b)*a(a|b){20}', 'pattern-too-complex', 0, 16],
  ['(?:a{1000}){1000}', 'pattern-too-complex', 0, 17],
];

const labelled = cases.map((c) => ({ label: c[0].length > 24 ? `${c[0].slice(0, 12)}…(${c[0].length} chars)` : c[0], c }));

describe('pattern diagnostics', () => {
  it.each(labelled)('`$label` is rejected at the right place', ({ c: [pattern, code, offset, length] }) => {
    const d = diagnosticOf(pattern);
    expect(d.code).toBe(code);
    expect(d.offset).toBe(offset);
    if (length !== undefined) expect(d.length).toBe(length);
    expect(d.offset + d.length).toBeLessThanOrEqual(pattern.length);
  });

  it.each(labelled)('`$label` has a lowercase message without a trailing period, and help', ({ c: [pattern] }) => {
    const d = diagnosticOf(pattern);
    expect(d.message[0]).toBe(d.message[0]!.toLowerCase());
    expect(d.message.endsWith('.')).toBe(false);
    expect(d.help).toBeTruthy();
    expect(d.help!.endsWith('.')).toBe(false);
  });

  it('covers every diagnostic code except the internal one', () => {
    const seen = new Set(cases.map(([, code]) => code));
    const missing = PATTERN_DIAGNOSTIC_CODES.filter((code) => !seen.has(code) && code !== 'internal-error');
    expect(missing).toEqual([]);
  });

  it('quotes user input in backticks', () => {
    expect(diagnosticOf('\\q').message).toBe('unknown escape `\\q`');
    expect(diagnosticOf('[z-a]').message).toBe('range `z-a` is out of order');
    expect(diagnosticOf('[z-a]').help).toBe('write the smaller code point first: `a-z`');
    expect(diagnosticOf('\\p{Foo}').message).toBe('unknown unicode property `Foo`');
  });

  it('names the construct in the message', () => {
    expect(diagnosticOf('(?=a)').message).toContain('lookahead');
    expect(diagnosticOf('(?<!a)').message).toContain('lookbehind');
    expect(diagnosticOf('(a)\\1').message).toContain('backreference');
    expect(diagnosticOf('a*+').message).toContain('possessive');
    expect(diagnosticOf('(?>a)').message).toContain('atomic');
  });

  it('suggests the supported spelling', () => {
    expect(diagnosticOf('(?i:a)').help).toContain('(?i)');
    expect(diagnosticOf('(?P<n>a)').help).toContain('(?<name>');
    expect(diagnosticOf('\\A').help).toContain('^');
    expect(diagnosticOf('a{1001}').help).toContain('1000');
    expect(diagnosticOf('(a|b)*a(a|b){20}').help).toMatch(/simpl/);
  });

  it('reports a non-string pattern instead of throwing', () => {
    const result = compilePattern(42 as unknown as string);
    expect(result.ok).toBe(false);
  });

  it('applies a custom state budget', () => {
    expect(compilePattern('[a-z]{30}', { stateBudget: 10 }).ok).toBe(false);
    expect(compilePattern('[a-z]{30}', { stateBudget: 100 }).ok).toBe(true);
  });
});
