// fast-check generators for the differential tests: patterns from a small grammar of the
// supported subset (as strings, so the parser is exercised too), and texts biased toward the
// pattern's alphabet: case variants that fold together (ſ/s/S, K/k/K, ß/ẞ, σ/ς/Σ, ı/I/i, ǅ),
// astral code points, lone surrogates, line terminators and word/non-word neighbours for `\b`.

import fc from 'fast-check';
import type { PatternNode } from '../../../src/policy/pattern/ast.js';
import { parsePattern } from '../../../src/policy/pattern/parser.js';

/** Characters that appear literally in patterns and texts. */
export const ALPHABET = [
  'a', 'b', 'c', 'A', 'B', 'k', 'K', 's', 'S', 'i', 'I', '\u017f', '\u212a', '\u0131', '\u0130', '\u00df', '\u1e9e',
  '\u03c3', '\u03c2', '\u03a3', '\u01c4', '\u01c5', '\u01c6', '\u00e9', '\u00c9', '0', '1', '9', '_', ' ', '-', '\n',
  '\r', '\u2028', '\u00a0', '\u{1F600}', '\u{1F601}', '\u{10400}', '\u{10428}', '\u{20000}', '\uD83D', '\uDE00',
];

const LITERALS = ALPHABET.filter((c) => c !== '\n' && c !== '\r');

const ESCAPES = [
  '\\.', '\\*', '\\(', '\\)', '\\[', '\\]', '\\{', '\\}', '\\|', '\\?', '\\+', '\\^', '\\$', '\\\\', '\\/', '\\n', '\\r', '\\t',
  '\\x41', '\\x61', '\\u00e9', '\\u00C9', '\\u{1F600}', '\\u{10428}', '\\uD83D\\uDE00', '\\cJ', '(?:\\0)', '\\u017F',
];

const CLASS_ESCAPES = ['\\d', '\\D', '\\w', '\\W', '\\s', '\\S'];

const PROPERTIES = ['\\p{Lu}', '\\p{Ll}', '\\P{L}', '\\p{L}', '\\p{Script=Greek}', '\\p{N}', '\\p{ASCII}', '\\P{Ll}', '\\p{Emoji_Presentation}'];

const CLASS_ITEMS = [
  'a', 'b', 'c', 'A', 'k', 's', 'S', 'i', '\u017f', '\u212a', '\u0131', '\u00df', '\u03c3', '\u01c5', '0', '_', ' ', '\u{1F600}',
  '\u{10400}', 'a-c', 'A-Z', 'a-z', '0-9', '\u03b1-\u03c9', '\u{1F600}-\u{1F64F}', '\u00c0-\u00ff', '\\d', '\\w', '\\W',
  '\\s', '\\S', '\\D', '\\n', '\\-', '\\]', '\\\\', '\\b', '\\p{Lu}', '\\P{L}', '.', '*', '\\u{10428}',
];

const QUANTIFIERS = ['', '', '', '*', '+', '?', '{0}', '{1}', '{2}', '{0,2}', '{1,3}', '{2,}', '*?', '+?', '??', '{1,2}?'];

const literal = fc.constantFrom(...LITERALS);
const charClass = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom(...CLASS_ITEMS), { minLength: 0, maxLength: 4 }))
  .map(([negated, items]) => `[${negated ? '^' : ''}${items.join('')}]`);

interface PatternShapes {
  disjunction: string;
  alternative: string;
  term: string;
  atom: string;
}

const shapes = fc.letrec<PatternShapes>((tie) => ({
  disjunction: fc.array(tie('alternative'), { minLength: 1, maxLength: 3 }).map((alts) => alts.join('|')),
  alternative: fc.array(tie('term'), { minLength: 0, maxLength: 4 }).map((terms) => terms.join('')),
  term: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: fc.tuple(tie('atom'), fc.constantFrom(...QUANTIFIERS)).map(([a, q]) => a + q), weight: 8 },
    { arbitrary: fc.constantFrom('\\b', '\\B'), weight: 1 },
  ),
  atom: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: literal, weight: 10 },
    { arbitrary: fc.constantFrom(...ESCAPES), weight: 2 },
    { arbitrary: fc.constant('.'), weight: 2 },
    { arbitrary: fc.constantFrom(...CLASS_ESCAPES), weight: 2 },
    { arbitrary: fc.constantFrom(...PROPERTIES), weight: 1 },
    { arbitrary: charClass, weight: 3 },
    {
      arbitrary: fc
        .tuple(fc.constantFrom('(', '(?:', '(?<n>'), tie('disjunction'))
        .map(([open, inner]) => `${open}${inner})`),
      weight: 3,
    },
  ),
}));

/** Gives each `(?<n>` a distinct name, as JS requires. */
function nameGroups(pattern: string): string {
  let next = 0;
  return pattern.replace(/\(\?<n>/g, () => `(?<n${next++}>`);
}

export const patternArbitrary: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', '', '(?i)', '(?s)', '(?is)', '(?i)'),
    fc.boolean(),
    shapes.disjunction,
    fc.boolean(),
    fc.nat(9),
  )
  .map(([flags, caret, body, dollar, shape]) => {
    // Anchors only where they are allowed: at the start/end of the pattern or, when the
    // pattern is an alternation, of its top-level alternatives.
    let text = body;
    if (shape < 3) text = `${caret ? '^' : ''}${text}${dollar ? '$' : ''}`;
    else if (shape < 5) text = `${caret ? '^' : ''}(?:${text})${dollar ? '$' : ''}`;
    return flags + nameGroups(text === '' ? 'a' : text);
  });

/** A string the pattern would match if assertions allow it, from a random walk over its AST. */
export function sampleMatch(pattern: string, random: () => number): string {
  const parsed = parsePattern(pattern);
  if (!parsed.ok) return '';
  const caseless = parsed.ast.flags.caseInsensitive;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const walk = (node: PatternNode): string => {
    switch (node.kind) {
      case 'empty':
      case 'assertion':
        return '';
      case 'chars': {
        const fits = ALPHABET.filter((c) => node.set.has(c.codePointAt(0)!) !== node.negated);
        let ch: string;
        if (fits.length > 0 && random() < 0.9) ch = pick(fits);
        else if (!node.negated && node.set.ranges.length > 0) ch = String.fromCodePoint(node.set.ranges[0]!);
        else ch = pick(ALPHABET);
        if (caseless && random() < 0.5) ch = random() < 0.5 ? ch.toUpperCase() : ch.toLowerCase();
        return ch;
      }
      case 'sequence':
        return node.items.map(walk).join('');
      case 'alternation':
        return walk(pick(node.alternatives));
      case 'group':
        return walk(node.body);
      case 'repeat': {
        const extra = node.max === Infinity ? 3 : node.max - node.min;
        const count = node.min + Math.floor(random() * (Math.min(extra, 3) + 1));
        let out = '';
        for (let i = 0; i < count && out.length < 40; i++) out += walk(node.body);
        return out;
      }
    }
  };
  return walk(parsed.ast.root);
}

/** Code points a text for `pattern` may have so the RegExp oracle stays fast. */
export function textLimit(pattern: string): number {
  return repeatNesting(pattern) >= 2 ? 6 : 14;
}

/** How deeply repeats that can iterate more than once nest (backtracking cost grows with it). */
export function repeatNesting(pattern: string): number {
  const parsed = parsePattern(pattern);
  if (!parsed.ok) return 0;
  const depth = (node: PatternNode): number => {
    switch (node.kind) {
      case 'sequence':
        return Math.max(0, ...node.items.map(depth));
      case 'alternation':
        return Math.max(0, ...node.alternatives.map(depth));
      case 'group':
        return depth(node.body);
      case 'repeat':
        return depth(node.body) + (node.max >= 2 ? 1 : 0);
      default:
        return 0;
    }
  };
  return depth(parsed.ast.root);
}

export const noiseArbitrary: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...ALPHABET), { minLength: 0, maxLength: 6 })
  .map((chars) => chars.join(''));

/** Texts for one pattern: pure noise, and noise around a sampled would-be match. */
export const textsArbitrary = (pattern: string): fc.Arbitrary<string[]> =>
  fc.tuple(noiseArbitrary, noiseArbitrary, noiseArbitrary, fc.integer()).map(([noise, before, after, seed]) => {
    let state = seed >>> 0 || 1;
    const random = (): number => {
      // xorshift: deterministic per case so fast-check can replay and shrink it
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state / 0x100000000;
    };
    // Short texts keep the backtracking oracle fast: generated patterns nest quantifiers, and
    // on a few dozen characters V8 can take minutes (the very ReDoS this compiler avoids).
    const limit = textLimit(pattern);
    const cut = (text: string, length = limit): string => [...text].slice(0, length).join('');
    const sample = cut(sampleMatch(pattern, random));
    return [cut(noise), cut(cut(before, 4) + sample + cut(after, 4)), sample, cut(sample + cut(after, 4))];
  });

const DEEP = process.env['CASCADE_DEEP'] === '1';

/** Number of property cases: the normal run, or a deep run with CASCADE_DEEP=1. */
export function caseCount(normal: number, deep: number): number {
  return DEEP ? deep : normal;
}

/**
 * Timeout for a property test. Well above the normal run's duration (seconds) so a loaded CI
 * machine does not fail it spuriously; a deep run gets hours.
 */
export const PROPERTY_TIMEOUT_MS = DEEP ? 4 * 3_600_000 : 300_000;
