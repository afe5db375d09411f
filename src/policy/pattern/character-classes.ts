// The built-in character sets of the pattern language, with their JS (`u` flag) meanings: `\d`,
// `\w`, `\s`, `.`, and the word characters `\b` looks at.

import { CodePointSet } from './code-point-set.js';

export const DIGITS = CodePointSet.range(0x30, 0x39);

const BASIC_WORD = CodePointSet.fromRanges([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
// With `u` and `i` together JS counts the two code points that fold into [a-z] as word
// characters too: U+017F LATIN SMALL LETTER LONG S and U+212A KELVIN SIGN.
const CASELESS_WORD = BASIC_WORD.union(CodePointSet.of(0x017f, 0x212a));

/** ECMAScript WhiteSpace plus LineTerminator, what `\s` matches. */
export const WHITESPACE = CodePointSet.fromRanges([
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f,
  0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
]);

/** What `.` refuses without `(?s)`. */
export const LINE_TERMINATORS = CodePointSet.fromRanges([0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029]);

export function wordCharacters(caseInsensitive: boolean): CodePointSet {
  return caseInsensitive ? CASELESS_WORD : BASIC_WORD;
}

export type ClassEscape = 'd' | 'D' | 'w' | 'W' | 's' | 'S';

export function classEscapeSet(escape: ClassEscape, caseInsensitive: boolean): CodePointSet {
  switch (escape) {
    case 'd':
      return DIGITS;
    case 'D':
      return DIGITS.complement();
    case 'w':
      return wordCharacters(caseInsensitive);
    case 'W':
      return wordCharacters(caseInsensitive).complement();
    case 's':
      return WHITESPACE;
    case 'S':
      return WHITESPACE.complement();
  }
}
