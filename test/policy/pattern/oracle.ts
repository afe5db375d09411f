// Test oracle: the JS RegExp engine, which defines what every accepted pattern means. Our
// leading `(?i)`/`(?s)` become the `i`/`s` flags; everything else is JS `u`-mode syntax.

import { compilePattern, type Dfa } from '../../../src/policy/pattern/index.js';

const LEADING_FLAGS = /^((?:\(\?[is]+\))*)/;

export function splitFlags(pattern: string): { body: string; flags: string } {
  const prefix = LEADING_FLAGS.exec(pattern)![1]!;
  const flags = [...new Set(prefix.replace(/[^is]/g, ''))].join('');
  return { body: pattern.slice(prefix.length), flags };
}

export function toRegExp(pattern: string): RegExp {
  const { body, flags } = splitFlags(pattern);
  return new RegExp(body, `u${flags}`);
}

function insidePair(text: string, index: number): boolean {
  const before = text.charCodeAt(index - 1);
  const at = text.charCodeAt(index);
  return before >= 0xd800 && before <= 0xdbff && at >= 0xdc00 && at <= 0xdfff;
}

/**
 * RegExp.prototype.test as the spec defines it. V8 also tries an empty match between the two
 * halves of a surrogate pair (`/\B/u.exec('a😁a').index === 2`), where the spec only tries code
 * point boundaries; such matches are skipped here. V8 never starts a non-empty match there.
 */
export function oracleTest(pattern: string, text: string): boolean {
  const { body, flags } = splitFlags(pattern);
  const all = new RegExp(body, `gu${flags}`);
  for (const match of text.matchAll(all)) {
    if (!(match[0] === '' && insidePair(text, match.index))) return true;
  }
  return false;
}

/** A compiled DFA, failing the test with the diagnostics if the pattern is refused. */
export function mustCompile(pattern: string): Dfa {
  const result = compilePattern(pattern);
  if (!result.ok) throw new Error(`\`${pattern}\` was refused: ${JSON.stringify(result.diagnostics)}`);
  return result.dfa;
}

function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Whether some match of `pattern` spans exactly text[start, end) in context: assertions see the
 * real neighbours, `^` and `$` the real ends. JS backtracking explores every way to match.
 */
export function spanMatches(pattern: string, text: string, start: number, end: number): boolean {
  const { body, flags } = splitFlags(pattern);
  const before = codePointLength(text.slice(0, start));
  const after = codePointLength(text.slice(end));
  const probe = new RegExp(`^[\\s\\S]{${before}}(?:${body})(?=[\\s\\S]{${after}}$)`, `u${flags}`);
  return probe.test(text);
}

/** UTF-16 offsets that are code point boundaries, 0 and text.length included. */
export function boundaries(text: string): number[] {
  const out = [0];
  let at = 0;
  for (const ch of text) {
    at += ch.length;
    out.push(at);
  }
  return out;
}

/** Leftmost-longest non-empty non-overlapping matches, by brute force over every span. */
export function bruteForceMatches(pattern: string, text: string): Array<[number, number]> {
  const cuts = boundaries(text);
  const spans: Array<[number, number]> = [];
  let i = 0;
  while (i < cuts.length - 1) {
    const start = cuts[i]!;
    let found = -1;
    for (let j = cuts.length - 1; j > i; j--) {
      if (spanMatches(pattern, text, start, cuts[j]!)) {
        found = j;
        break;
      }
    }
    if (found < 0) {
      i++;
    } else {
      spans.push([start, cuts[found]!]);
      i = found;
    }
  }
  return spans;
}
