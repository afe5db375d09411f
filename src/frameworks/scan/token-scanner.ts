// Linear-time scanner over a declarative table of token patterns: a literal prefix (or a short
// literal infix with a fixed number of characters before it) followed by a body from one
// character class with a length range. One pass over the text; at each position only the
// patterns whose prefix starts with that character are tried, and a body is read at most `max`
// characters. No backtracking, so attacker-controlled text cannot blow up the cost. The table is
// plain data so it can later be compiled into the Wasm kernel's matchers.

export const CHAR_CLASSES = ['alnum', 'alnum_', 'word', 'hex', 'hexlower', 'upper', 'digits', 'b64', 'b64url', 'token', 'jwt'] as const;
export type CharClass = (typeof CHAR_CLASSES)[number];

export interface TokenPattern {
  id: string;
  /** literal prefixes; the match starts at the prefix (or `back` characters earlier) */
  prefixes: readonly string[];
  /** compare prefixes case-insensitively */
  ci?: boolean;
  body: CharClass;
  /** body length range (characters after the prefix) */
  min: number;
  max: number;
  /** characters that must precede the prefix and belong to the match (of `backClass`, default `body`) */
  back?: number;
  /** read up to this many preceding characters (at least `back`) */
  backMax?: number;
  backClass?: CharClass;
  /** reject when the body continues past `max` (a longer run is something else) */
  exact?: boolean;
  /** allow the prefix right after a letter or digit (default: a word boundary is required) */
  noBoundary?: boolean;
  /** name of a validator run on the whole match (see scanner options) */
  validate?: string;
  /** minimum Shannon entropy of the body, bits per character */
  minEntropy?: number;
}

export interface TokenMatch {
  pattern: TokenPattern;
  start: number;
  end: number;
}

type ClassTable = Uint8Array;

function classTable(cls: CharClass): ClassTable {
  const t = new Uint8Array(128);
  const set = (from: number, to: number): void => {
    for (let c = from; c <= to; c++) t[c] = 1;
  };
  const chars = (s: string): void => {
    for (let i = 0; i < s.length; i++) t[s.charCodeAt(i)] = 1;
  };
  switch (cls) {
    case 'alnum':
      set(48, 57), set(65, 90), set(97, 122);
      break;
    case 'alnum_':
      set(48, 57), set(65, 90), set(97, 122), chars('_');
      break;
    case 'word':
      set(48, 57), set(65, 90), set(97, 122), chars('_-');
      break;
    case 'hex':
      set(48, 57), set(65, 70), set(97, 102);
      break;
    case 'hexlower':
      set(48, 57), set(97, 102);
      break;
    case 'upper':
      set(48, 57), set(65, 90);
      break;
    case 'digits':
      set(48, 57);
      break;
    case 'b64':
      set(48, 57), set(65, 90), set(97, 122), chars('+/=');
      break;
    case 'b64url':
      set(48, 57), set(65, 90), set(97, 122), chars('-_=');
      break;
    case 'token':
      set(48, 57), set(65, 90), set(97, 122), chars('-_.+/=~');
      break;
    case 'jwt':
      set(48, 57), set(65, 90), set(97, 122), chars('-_.=');
      break;
  }
  return t;
}

const CLASS_TABLES: Readonly<Record<CharClass, ClassTable>> = Object.fromEntries(
  CHAR_CLASSES.map((c) => [c, classTable(c)]),
) as Record<CharClass, ClassTable>;

function inClass(t: ClassTable, c: number): boolean {
  return c < 128 && t[c] === 1;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** A prefix right after these is the middle of a word, file name or host (`video_box.ico-…`). */
function isBoundaryBreaker(c: number): boolean {
  return isWordChar(c) || c === 46 || c === 45 || c === 95;
}

interface Entry {
  pattern: TokenPattern;
  prefix: string;
  lowerPrefix: string;
  table: ClassTable;
}

export type TokenValidator = (text: string, start: number, end: number, bodyStart: number) => boolean;

/** A compiled table: buckets by the first character of each prefix. */
export class TokenScanner {
  private readonly buckets: (Entry[] | undefined)[] = new Array(128);
  private readonly firstChars = new Uint8Array(128);

  constructor(
    readonly patterns: readonly TokenPattern[],
    private readonly validators: Readonly<Record<string, TokenValidator>> = {},
  ) {
    for (const pattern of patterns) {
      for (const prefix of pattern.prefixes) {
        const entry: Entry = { pattern, prefix, lowerPrefix: prefix.toLowerCase(), table: CLASS_TABLES[pattern.body] };
        const firsts = pattern.ci ? [prefix.toLowerCase().charCodeAt(0), prefix.toUpperCase().charCodeAt(0)] : [prefix.charCodeAt(0)];
        for (const f of new Set(firsts)) {
          if (f >= 128) throw new Error(`token pattern \`${pattern.id}\` has a non-ASCII prefix`);
          (this.buckets[f] ??= []).push(entry);
          this.firstChars[f] = 1;
        }
      }
    }
    // longer prefixes first, so `sk-ant-` wins over `sk-`
    for (const b of this.buckets) b?.sort((x, y) => y.prefix.length - x.prefix.length);
  }

  /** All non-overlapping matches, left to right. */
  scan(text: string, out: TokenMatch[] = []): TokenMatch[] {
    const n = text.length;
    const first = this.firstChars;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || first[c] === 0) continue;
      const bucket = this.buckets[c] as Entry[];
      for (let k = 0; k < bucket.length; k++) {
        const e = bucket[k] as Entry;
        const end = this.tryAt(text, i, e);
        if (end > 0) {
          out.push({ pattern: e.pattern, start: this.lastStart, end });
          i = end - 1;
          break;
        }
      }
    }
    return out;
  }

  private lastStart = 0;

  private tryAt(text: string, i: number, e: Entry): number {
    const p = e.pattern;
    let back = p.back ?? 0;
    if (back > 0) {
      const bt = p.backClass !== undefined ? CLASS_TABLES[p.backClass] : e.table;
      const maxBack = Math.max(back, p.backMax ?? back);
      let k = 0;
      while (k < maxBack && i - k - 1 >= 0 && inClass(bt, text.charCodeAt(i - k - 1))) k++;
      if (k < back) return -1;
      if (p.backMax === undefined) k = back;
      back = k;
      if (i - back - 1 >= 0 && isWordChar(text.charCodeAt(i - back - 1))) return -1;
    } else if (!p.noBoundary && i > 0 && isBoundaryBreaker(text.charCodeAt(i - 1))) {
      return -1;
    }
    const plen = e.prefix.length;
    if (i + plen > text.length) return -1;
    if (p.ci) {
      for (let j = 0; j < plen; j++) {
        let c = text.charCodeAt(i + j);
        if (c >= 65 && c <= 90) c += 32;
        if (c !== e.lowerPrefix.charCodeAt(j)) return -1;
      }
    } else if (!text.startsWith(e.prefix, i)) {
      return -1;
    }
    const bodyStart = i + plen;
    let j = bodyStart;
    const limit = Math.min(text.length, bodyStart + p.max);
    while (j < limit && inClass(e.table, text.charCodeAt(j))) j++;
    const len = j - bodyStart;
    if (len < p.min) return -1;
    if (p.exact && j < text.length && inClass(e.table, text.charCodeAt(j))) return -1;
    if (p.minEntropy !== undefined && entropyOf(text, bodyStart, j) < p.minEntropy) return -1;
    if (p.validate !== undefined) {
      const v = this.validators[p.validate];
      if (v !== undefined && !v(text, i - back, j, bodyStart)) return -1;
    }
    this.lastStart = i - back;
    return j;
  }
}

const counts = new Uint16Array(128);

/** Shannon entropy of text[start,end) over ASCII, without allocating. */
export function entropyOf(text: string, start: number, end: number): number {
  const n = end - start;
  if (n <= 0) return 0;
  counts.fill(0);
  let other = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) counts[c] = (counts[c] as number) + 1;
    else other++;
  }
  let h = 0;
  for (let c = 0; c < 128; c++) {
    const k = counts[c] as number;
    if (k === 0) continue;
    const p = k / n;
    h -= p * Math.log2(p);
  }
  if (other > 0) {
    const p = other / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * The same table as one V8 RegExp alternation (for the benchmark and as a cross-check of the
 * table's meaning; validators and entropy are not part of it).
 */
export function tableAsRegExp(patterns: readonly TokenPattern[]): RegExp {
  const cls: Record<CharClass, string> = {
    alnum: 'A-Za-z0-9',
    alnum_: 'A-Za-z0-9_',
    word: 'A-Za-z0-9_\\-',
    hex: '0-9A-Fa-f',
    hexlower: '0-9a-f',
    upper: 'A-Z0-9',
    digits: '0-9',
    b64: 'A-Za-z0-9+/=',
    b64url: 'A-Za-z0-9\\-_=',
    token: 'A-Za-z0-9\\-_.+/=~',
    jwt: 'A-Za-z0-9\\-_.=',
  };
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const parts: string[] = [];
  for (const p of patterns) {
    for (const prefix of p.prefixes) {
      const pre = p.ci ? prefix.split('').map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : esc(ch))).join('') : esc(prefix);
      const back = p.back ? `[${cls[p.backClass ?? p.body]}]{${p.back},${p.backMax ?? p.back}}` : '';
      parts.push(`${back}${pre}[${cls[p.body]}]{${p.min},${p.max}}`);
    }
  }
  return new RegExp(`(?<![A-Za-z0-9])(?:${parts.join('|')})`, 'g');
}
