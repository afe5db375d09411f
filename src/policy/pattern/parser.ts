// Parser: pattern source text to AST. The syntax is a strict subset of JS RegExp syntax with the
// `u` flag (plus `(?i)`/`(?s)` at the start), so a pattern accepted here means the same thing to
// a JS engine; everything outside the subset, or that a DFA cannot express, is rejected with a
// diagnostic that says what to write instead. Stops at the first error.

import type { AssertionKind, PatternAst, PatternFlags, PatternNode } from './ast.js';
import { CodePointSet, MAX_CODE_POINT } from './code-point-set.js';
import { classEscapeSet, LINE_TERMINATORS, type ClassEscape } from './character-classes.js';
import { patternDiagnostic, quote, type PatternDiagnostic, type PatternDiagnosticCode } from './diagnostics.js';
import { unicodePropertySet } from './unicode-properties.js';

export const MAX_PATTERN_LENGTH = 4096;
export const MAX_REPETITION = 1000;
/** groups nested deeper than this are refused so no later recursive pass can exhaust the stack */
export const MAX_NESTING = 200;

export type ParseResult = { ok: true; ast: PatternAst } | { ok: false; diagnostics: PatternDiagnostic[] };

class PatternSyntaxError {
  constructor(readonly diagnostic: PatternDiagnostic) {}
}

const FLAG_GROUP = /\(\?([A-Za-z]+)([):])/y;
const BRACE_QUANTIFIER = /\{(\d+)(?:(,)(\d*))?\}/y;
const GROUP_NAME = /^[$_\p{ID_Start}][$\p{ID_Continue}\u200C\u200D]*$/u;
const HEX = /^[0-9A-Fa-f]+$/;
const SYNTAX_CHARACTERS = '^$\\.*+?()[]{}|/';
const CLASS_ESCAPES = 'dDwWsS';
const CONTROL_ESCAPES: Record<string, number> = { t: 0x09, n: 0x0a, v: 0x0b, f: 0x0c, r: 0x0d };
const ESCAPE_HELP =
  'remove the backslash to match the character itself, or use one of `\\d \\w \\s \\b \\t \\n \\r \\f \\v \\0 \\xHH \\uHHHH \\u{H…} \\p{…}`';

type ClassAtom = { kind: 'char'; cp: number; offset: number } | { kind: 'set'; set: CodePointSet; offset: number };

export function parsePattern(source: string): ParseResult {
  if (source.length === 0) {
    return fail(patternDiagnostic('empty-pattern', 'the pattern is empty', 0, 0, 'write the text to look for'));
  }
  if (source.length > MAX_PATTERN_LENGTH) {
    return fail(
      patternDiagnostic(
        'pattern-too-long',
        `the pattern is ${source.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`,
        MAX_PATTERN_LENGTH,
        source.length - MAX_PATTERN_LENGTH,
        'split it into several patterns',
      ),
    );
  }
  try {
    return { ok: true, ast: new Parser(source).parse() };
  } catch (error) {
    if (error instanceof PatternSyntaxError) return fail(error.diagnostic);
    throw error;
  }
}

function fail(diagnostic: PatternDiagnostic): ParseResult {
  return { ok: false, diagnostics: [diagnostic] };
}

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly groupNames = new Set<string>();
  private readonly flags: PatternFlags = { caseInsensitive: false, dotAll: false };

  constructor(private readonly src: string) {}

  parse(): PatternAst {
    this.parseLeadingFlags();
    if (this.pos === this.src.length) {
      throw this.error('empty-pattern', 'the pattern has flags but nothing to match', 0, this.pos, 'write the text to look for after the flags');
    }
    const root = this.parseDisjunction();
    if (this.pos < this.src.length) {
      // parseDisjunction only stops early at a `)` that closes nothing.
      throw this.error('unbalanced-paren', 'unmatched `)`', this.pos, 1, 'remove it, or escape it as `\\)` to match a parenthesis');
    }
    return { source: this.src, flags: { ...this.flags }, root };
  }

  private error(code: PatternDiagnosticCode, message: string, offset: number, length: number, help?: string): PatternSyntaxError {
    return new PatternSyntaxError(patternDiagnostic(code, message, offset, length, help));
  }

  private peek(ahead = 0): string | undefined {
    return this.src[this.pos + ahead];
  }

  private parseLeadingFlags(): void {
    for (;;) {
      FLAG_GROUP.lastIndex = this.pos;
      const m = FLAG_GROUP.exec(this.src);
      if (m === null) return;
      const letters = m[1]!;
      if (m[2] === ':') {
        throw this.error(
          'unsupported-group',
          `scoped flags ${quote(m[0])} are not supported`,
          this.pos,
          m[0].length,
          `put ${quote(`(?${letters})`)} at the very start of the pattern; it then applies to all of it`,
        );
      }
      for (let i = 0; i < letters.length; i++) {
        const letter = letters[i]!;
        if (letter === 'i') this.flags.caseInsensitive = true;
        else if (letter === 's') this.flags.dotAll = true;
        else {
          throw this.error(
            'unsupported-flag',
            `unsupported flag ${quote(letter)} in ${quote(m[0])}`,
            this.pos + 2 + i,
            1,
            'only `(?i)` and `(?s)` are supported; `^` and `$` always refer to the whole text',
          );
        }
      }
      this.pos += m[0].length;
    }
  }

  private parseDisjunction(): PatternNode {
    const start = this.pos;
    const first = this.parseAlternative();
    if (this.peek() !== '|') return first;
    const alternatives = [first];
    while (this.peek() === '|') {
      this.pos++;
      alternatives.push(this.parseAlternative());
    }
    return { kind: 'alternation', alternatives, offset: start, length: this.pos - start };
  }

  private parseAlternative(): PatternNode {
    const start = this.pos;
    const items: PatternNode[] = [];
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '|' || c === ')') break;
      items.push(this.parseTerm());
    }
    if (items.length === 0) return { kind: 'empty', offset: start, length: 0 };
    if (items.length === 1) return items[0]!;
    return { kind: 'sequence', items, offset: start, length: this.pos - start };
  }

  private parseTerm(): PatternNode {
    const start = this.pos;
    const c = this.src[this.pos]!;
    switch (c) {
      case '^':
        this.pos++;
        return this.assertion('start', start);
      case '$':
        this.pos++;
        return this.assertion('end', start);
      case '\\':
        if (this.peek(1) === 'b' || this.peek(1) === 'B') {
          this.pos += 2;
          return this.assertion(this.peek(-1) === 'b' ? 'word-boundary' : 'not-word-boundary', start);
        }
        return this.parseQuantifier(this.parseAtomEscape());
      case '(':
        return this.parseQuantifier(this.parseGroup());
      case '[':
        return this.parseQuantifier(this.parseClass());
      case '.': {
        this.pos++;
        const set = this.flags.dotAll ? CodePointSet.all : LINE_TERMINATORS.complement();
        return this.parseQuantifier({ kind: 'chars', set, negated: false, offset: start, length: 1 });
      }
      case '*':
      case '+':
      case '?':
        throw this.nothingToRepeat(start, 1);
      case '{': {
        BRACE_QUANTIFIER.lastIndex = start;
        const m = BRACE_QUANTIFIER.exec(this.src);
        if (m !== null) throw this.nothingToRepeat(start, m[0].length);
        throw this.loneBracket(start);
      }
      case '}':
      case ']':
        throw this.loneBracket(start);
      default: {
        const cp = this.src.codePointAt(start)!;
        this.pos += cp > 0xffff ? 2 : 1;
        return this.parseQuantifier({ kind: 'chars', set: CodePointSet.of(cp), negated: false, offset: start, length: this.pos - start });
      }
    }
  }

  private nothingToRepeat(offset: number, length: number): PatternSyntaxError {
    const text = this.src.slice(offset, offset + length);
    return this.error(
      'nothing-to-repeat',
      `nothing to repeat before ${quote(text)}`,
      offset,
      length,
      `escape it as ${quote('\\' + text[0])} to match it literally, or put the thing to repeat before it`,
    );
  }

  private loneBracket(offset: number): PatternSyntaxError {
    const c = this.src[offset]!;
    return this.error('lone-bracket', `lone ${quote(c)}`, offset, 1, `escape it as ${quote('\\' + c)} to match it literally`);
  }

  private assertion(assertion: AssertionKind, start: number): PatternNode {
    const node: PatternNode = { kind: 'assertion', assertion, offset: start, length: this.pos - start };
    const quantifier = this.quantifierAt(this.pos);
    if (quantifier !== undefined) {
      throw this.error(
        'nothing-to-repeat',
        `the assertion ${quote(this.src.slice(start, this.pos))} cannot be repeated`,
        this.pos,
        quantifier.length,
        'remove the quantifier; an assertion matches no characters',
      );
    }
    return node;
  }

  /** The quantifier starting at `at`, if any; a `{` that does not form one is an error in `u` mode. */
  private quantifierAt(at: number): { min: number; max: number; length: number } | undefined {
    const c = this.src[at];
    if (c === '*') return { min: 0, max: Infinity, length: 1 };
    if (c === '+') return { min: 1, max: Infinity, length: 1 };
    if (c === '?') return { min: 0, max: 1, length: 1 };
    if (c !== '{') return undefined;
    BRACE_QUANTIFIER.lastIndex = at;
    const m = BRACE_QUANTIFIER.exec(this.src);
    if (m === null) {
      throw this.error(
        'incomplete-quantifier',
        `incomplete quantifier ${quote(this.src.slice(at, at + 8).split('}')[0]!)}`,
        at,
        1,
        'write `{n}`, `{n,}` or `{n,m}`, or escape the brace as `\\{` to match it literally',
      );
    }
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    return { min, max, length: m[0].length };
  }

  private parseQuantifier(atom: PatternNode): PatternNode {
    const start = this.pos;
    const quantifier = this.quantifierAt(start);
    if (quantifier === undefined) return atom;
    this.pos += quantifier.length;
    const { min, max } = quantifier;
    const text = this.src.slice(start, this.pos);
    let lazy = false;
    if (this.peek() === '?') {
      lazy = true;
      this.pos++;
    }
    if (!lazy && this.peek() === '+') {
      throw this.error(
        'possessive-quantifier',
        `possessive quantifier ${quote(text + '+')} is not supported`,
        start,
        this.pos + 1 - start,
        `write ${quote(text)}; matching never backtracks, so it is already safe`,
      );
    }
    const following = this.pos < this.src.length ? this.quantifierAtOrUndefined(this.pos) : undefined;
    if (following !== undefined) throw this.nothingToRepeat(this.pos, following);
    if (max < min) {
      throw this.error(
        'quantifier-out-of-order',
        `numbers out of order in ${quote(text)}`,
        start,
        quantifier.length,
        `write the smaller bound first: ${quote(`{${max},${min}}`)}`,
      );
    }
    if (min > MAX_REPETITION || (max !== Infinity && max > MAX_REPETITION)) {
      throw this.error(
        'repetition-too-large',
        `repetition bound in ${quote(text)} is above ${MAX_REPETITION}`,
        start,
        quantifier.length,
        `use bounds of at most ${MAX_REPETITION}, or an open bound like ${quote(`{${Math.min(min, MAX_REPETITION)},}`)}`,
      );
    }
    return { kind: 'repeat', body: atom, min, max, offset: atom.offset, length: this.pos - atom.offset };
  }

  /** Length of a quantifier at `at`, without treating a stray `{` as an error. */
  private quantifierAtOrUndefined(at: number): number | undefined {
    const c = this.src[at];
    if (c === '*' || c === '+' || c === '?') return 1;
    if (c !== '{') return undefined;
    BRACE_QUANTIFIER.lastIndex = at;
    return BRACE_QUANTIFIER.exec(this.src)?.[0].length;
  }

  private parseGroup(): PatternNode {
    const start = this.pos;
    if (++this.depth > MAX_NESTING) {
      throw this.error('nesting-too-deep', `groups are nested more than ${MAX_NESTING} deep`, start, 1, 'flatten the pattern');
    }
    this.pos++;
    let name: string | undefined;
    if (this.peek() === '?') {
      name = this.parseGroupPrefix(start);
    }
    const body = this.parseDisjunction();
    if (this.peek() !== ')') {
      throw this.error('unbalanced-paren', 'unclosed group `(`', start, 1, 'add a matching `)`, or escape it as `\\(` to match a parenthesis');
    }
    this.pos++;
    this.depth--;
    const node: PatternNode = { kind: 'group', body, offset: start, length: this.pos - start };
    if (name !== undefined) node.name = name;
    return node;
  }

  /** Consumes what follows `(?`; returns the group name for `(?<name>`. */
  private parseGroupPrefix(start: number): string | undefined {
    const rest = this.src.slice(this.pos, this.pos + 3);
    if (rest.startsWith('?:')) {
      this.pos += 2;
      return undefined;
    }
    const noLookaround = 'match the surrounding text explicitly, or express the condition as a separate rule in the policy';
    if (rest.startsWith('?=') || rest.startsWith('?!')) {
      throw this.error('lookaround', `lookahead ${quote('(' + rest.slice(0, 2))} is not supported`, start, 3, noLookaround);
    }
    if (rest === '?<=' || rest === '?<!') {
      throw this.error('lookaround', `lookbehind ${quote('(' + rest)} is not supported`, start, 4, noLookaround);
    }
    if (rest.startsWith('?>')) {
      throw this.error(
        'atomic-group',
        'atomic group `(?>` is not supported',
        start,
        3,
        'write a plain group `(?:…)`; matching never backtracks, so it is already safe',
      );
    }
    if (rest.startsWith('?<')) {
      const close = this.src.indexOf('>', this.pos + 2);
      const name = close < 0 ? '' : this.src.slice(this.pos + 2, close);
      if (close < 0 || !GROUP_NAME.test(name)) {
        const length = close < 0 ? 3 : close + 1 - start;
        throw this.error(
          'invalid-group-name',
          `invalid group name in ${quote(this.src.slice(start, start + length))}`,
          start,
          length,
          'write `(?<name>…)` with a name made of letters, digits, `_` or `$`, not starting with a digit',
        );
      }
      if (this.groupNames.has(name)) {
        throw this.error(
          'duplicate-group-name',
          `duplicate group name ${quote(name)}`,
          start,
          close + 1 - start,
          'give each named group its own name, or use `(?:…)`',
        );
      }
      this.groupNames.add(name);
      this.pos = close + 1;
      return name;
    }
    FLAG_GROUP.lastIndex = start;
    const flags = FLAG_GROUP.exec(this.src);
    if (flags !== null) {
      const text = flags[0];
      if (flags[2] === ')') {
        throw this.error(
          'misplaced-flags',
          `inline flags ${quote(text)} must come at the very start of the pattern`,
          start,
          text.length,
          `move ${quote(text)} to the start; it then applies to the whole pattern`,
        );
      }
      throw this.error(
        'unsupported-group',
        `scoped flags ${quote(text)} are not supported`,
        start,
        text.length,
        `put ${quote(`(?${flags[1]!})`)} at the very start of the pattern; it then applies to all of it`,
      );
    }
    const help = rest.startsWith('?P<') ? 'write a named group as `(?<name>…)`' : 'write `(…)` or `(?:…)` for a group';
    throw this.error('unsupported-group', `unknown group syntax ${quote('(' + rest.slice(0, 2))}`, start, 2, help);
  }

  private parseAtomEscape(): PatternNode {
    const start = this.pos;
    const c = this.src[start + 1];
    if (c !== undefined && CLASS_ESCAPES.includes(c)) {
      this.pos += 2;
      const set = classEscapeSet(c as ClassEscape, this.flags.caseInsensitive);
      return { kind: 'chars', set, negated: false, offset: start, length: 2 };
    }
    if (c === 'p' || c === 'P') {
      const set = this.parseProperty();
      return { kind: 'chars', set, negated: false, offset: start, length: this.pos - start };
    }
    if (c !== undefined && c >= '1' && c <= '9') {
      let end = start + 1;
      while (end < this.src.length && this.src[end]! >= '0' && this.src[end]! <= '9') end++;
      throw this.backreference(start, end - start);
    }
    if (c === 'k') {
      const close = this.src[start + 2] === '<' ? this.src.indexOf('>', start + 3) : -1;
      throw this.backreference(start, close < 0 ? 2 : close + 1 - start);
    }
    const cp = this.parseCharacterEscape(false);
    return { kind: 'chars', set: CodePointSet.of(cp), negated: false, offset: start, length: this.pos - start };
  }

  private backreference(offset: number, length: number): PatternSyntaxError {
    return this.error(
      'backreference',
      `backreference ${quote(this.src.slice(offset, offset + length))} is not supported`,
      offset,
      length,
      'a pattern cannot refer back to text it matched; spell the repeated text out, or use a separate rule',
    );
  }

  /** Parses `\p{…}` or `\P{…}` at the current position. */
  private parseProperty(): CodePointSet {
    const start = this.pos;
    const negated = this.src[start + 1] === 'P';
    const close = this.src[start + 2] === '{' ? this.src.indexOf('}', start + 3) : -1;
    if (close < 0) {
      throw this.error(
        'invalid-escape',
        `${quote(this.src.slice(start, start + 2))} must be followed by a property in braces`,
        start,
        2,
        'write it like `\\p{L}` or `\\p{Script=Greek}`',
      );
    }
    const body = this.src.slice(start + 3, close);
    const set = unicodePropertySet(body);
    if (set === undefined) {
      throw this.error(
        'unknown-property',
        `unknown unicode property ${quote(body)}`,
        start,
        close + 1 - start,
        'use a general category like `L` or `Lu`, a binary property like `Alphabetic`, or `Script=Greek`',
      );
    }
    this.pos = close + 1;
    return negated ? set.complement() : set;
  }

  /** A single-code-point escape (`\t`, `\x41`, `\u{1F600}`, `\.`, …) at the current position. */
  private parseCharacterEscape(inClass: boolean): number {
    const start = this.pos;
    const c = this.src[start + 1];
    if (c === undefined) {
      throw this.error('invalid-escape', 'the pattern ends with a lone backslash', start, 1, 'write `\\\\` to match a backslash');
    }
    const control = CONTROL_ESCAPES[c];
    if (control !== undefined) {
      this.pos += 2;
      return control;
    }
    switch (c) {
      case '0': {
        const next = this.src[start + 2];
        if (next !== undefined && next >= '0' && next <= '9') {
          throw this.error(
            'invalid-escape',
            `octal escape ${quote(this.src.slice(start, start + 3))} is not supported`,
            start,
            3,
            'write the code point as `\\xHH` or `\\uHHHH`',
          );
        }
        this.pos += 2;
        return 0;
      }
      case 'x': {
        const hex = this.src.slice(start + 2, start + 4);
        if (hex.length !== 2 || !HEX.test(hex)) throw this.malformed(start, 2, 'write exactly two hex digits, like `\\x41`');
        this.pos += 4;
        return parseInt(hex, 16);
      }
      case 'u':
        return this.parseUnicodeEscape();
      case 'c': {
        const letter = this.src[start + 2];
        if (letter === undefined || !/[A-Za-z]/.test(letter)) {
          throw this.malformed(start, 2, 'write a control escape as `\\c` followed by a letter, like `\\cJ`');
        }
        this.pos += 3;
        return letter.charCodeAt(0) % 32;
      }
      default:
        break;
    }
    if (SYNTAX_CHARACTERS.includes(c) || (inClass && c === '-')) {
      this.pos += 2;
      return c.charCodeAt(0);
    }
    const cp = this.src.codePointAt(start + 1)!;
    const text = this.src.slice(start, start + (cp > 0xffff ? 3 : 2));
    let help = ESCAPE_HELP;
    if (c === 'A') help = 'use `^` at the start of the pattern';
    else if (c === 'z' || c === 'Z') help = 'use `$` at the end of the pattern';
    else if (inClass && c >= '1' && c <= '9') help = 'write the code point as `\\xHH` or `\\uHHHH`';
    throw this.error('unknown-escape', `unknown escape ${quote(text)}`, start, text.length, help);
  }

  private malformed(start: number, length: number, help: string): PatternSyntaxError {
    return this.error('invalid-escape', `malformed escape ${quote(this.src.slice(start, start + length))}`, start, length, help);
  }

  private parseUnicodeEscape(): number {
    const start = this.pos;
    if (this.src[start + 2] === '{') {
      const close = this.src.indexOf('}', start + 3);
      const hex = close < 0 ? '' : this.src.slice(start + 3, close);
      const value = HEX.test(hex) ? parseInt(hex, 16) : NaN;
      if (!(value <= MAX_CODE_POINT)) {
        throw this.malformed(start, close < 0 ? 3 : close + 1 - start, 'write a code point up to `\\u{10FFFF}` in hex, like `\\u{1F600}`');
      }
      this.pos = close + 1;
      return value;
    }
    const hex = this.src.slice(start + 2, start + 6);
    if (hex.length !== 4 || !HEX.test(hex)) throw this.malformed(start, 2, 'write exactly four hex digits, like `\\u00e9`, or `\\u{…}`');
    let cp = parseInt(hex, 16);
    this.pos += 6;
    // As in JS `u` mode, an escaped surrogate pair denotes the one astral code point.
    if (cp >= 0xd800 && cp <= 0xdbff && this.src.startsWith('\\u', this.pos)) {
      const trail = this.src.slice(this.pos + 2, this.pos + 6);
      const low = trail.length === 4 && HEX.test(trail) ? parseInt(trail, 16) : -1;
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        this.pos += 6;
      }
    }
    return cp;
  }

  private parseClass(): PatternNode {
    const start = this.pos;
    this.pos++;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const pairs: number[] = [];
    let set = CodePointSet.empty;
    for (;;) {
      if (this.pos >= this.src.length) {
        throw this.error('unclosed-class', 'unclosed character class `[`', start, 1, 'add a matching `]`, or escape it as `\\[` to match a bracket');
      }
      if (this.peek() === ']') {
        this.pos++;
        break;
      }
      const from = this.parseClassAtom();
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        const dashAt = this.pos;
        this.pos++;
        const to = this.parseClassAtom();
        if (from.kind === 'set' || to.kind === 'set') {
          throw this.error(
            'invalid-class-range',
            `${quote(this.src.slice(from.offset, this.pos))} is not a range: a class escape cannot be a range bound`,
            from.offset,
            this.pos - from.offset,
            'escape the dash as `\\-` to match it literally',
          );
        }
        if (from.cp > to.cp) {
          const low = this.src.slice(dashAt + 1, this.pos);
          const high = this.src.slice(from.offset, dashAt);
          throw this.error(
            'class-range-out-of-order',
            `range ${quote(high + '-' + low)} is out of order`,
            from.offset,
            this.pos - from.offset,
            `write the smaller code point first: ${quote(low + '-' + high)}`,
          );
        }
        pairs.push(from.cp, to.cp);
      } else if (from.kind === 'char') {
        pairs.push(from.cp, from.cp);
      } else {
        set = set.union(from.set);
      }
    }
    return { kind: 'chars', set: set.union(CodePointSet.fromRanges(pairs)), negated, offset: start, length: this.pos - start };
  }

  private parseClassAtom(): ClassAtom {
    const start = this.pos;
    if (this.peek() !== '\\') {
      const cp = this.src.codePointAt(start)!;
      this.pos += cp > 0xffff ? 2 : 1;
      return { kind: 'char', cp, offset: start };
    }
    const c = this.src[start + 1];
    if (c !== undefined && CLASS_ESCAPES.includes(c)) {
      this.pos += 2;
      return { kind: 'set', set: classEscapeSet(c as ClassEscape, this.flags.caseInsensitive), offset: start };
    }
    if (c === 'p' || c === 'P') return { kind: 'set', set: this.parseProperty(), offset: start };
    if (c === 'b') {
      // Inside a class `\b` is backspace, as in JS.
      this.pos += 2;
      return { kind: 'char', cp: 0x08, offset: start };
    }
    return { kind: 'char', cp: this.parseCharacterEscape(true), offset: start };
  }
}
