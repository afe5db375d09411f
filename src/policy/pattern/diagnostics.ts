// Diagnostics for rejected patterns. Like the rest of the policy compiler, a bad pattern is a
// value, never an exception: each diagnostic names the construct, points at it (UTF-16 offset
// and length into the pattern source) and says what to write instead.

export interface PatternDiagnostic {
  code: string;
  message: string;
  offset: number;
  length: number;
  help?: string;
}

export const PATTERN_DIAGNOSTIC_CODES = [
  'empty-pattern',
  'pattern-too-long',
  'nesting-too-deep',
  'unbalanced-paren',
  'unclosed-class',
  'lone-bracket',
  'nothing-to-repeat',
  'incomplete-quantifier',
  'quantifier-out-of-order',
  'repetition-too-large',
  'possessive-quantifier',
  'atomic-group',
  'lookaround',
  'backreference',
  'misplaced-anchor',
  'misplaced-flags',
  'unsupported-flag',
  'unsupported-group',
  'invalid-group-name',
  'duplicate-group-name',
  'unknown-escape',
  'invalid-escape',
  'unknown-property',
  'class-range-out-of-order',
  'invalid-class-range',
  'pattern-too-complex',
  /** a compiler bug surfaced as a value so a policy load never throws */
  'internal-error',
] as const;

export type PatternDiagnosticCode = (typeof PATTERN_DIAGNOSTIC_CODES)[number];

export function patternDiagnostic(
  code: PatternDiagnosticCode,
  message: string,
  offset: number,
  length: number,
  help?: string,
): PatternDiagnostic {
  return help === undefined ? { code, message, offset, length } : { code, message, offset, length, help };
}

/** Wraps user text for a message; backticks inside it would break the quoting, so they are escaped. */
export function quote(text: string): string {
  return '`' + text.replace(/`/g, '\\`') + '`';
}
