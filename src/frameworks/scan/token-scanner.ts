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

export const CLASS_TABLES: Readonly<Record<CharClass, ClassTable>> = Object.fromEntries(
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

const BREAKERS = new Uint8Array(128);
for (let c = 0; c < 128; c++) BREAKERS[c] = isBoundaryBreaker(c) ? 1 : 0;

/** One (pattern, prefix) pair with every field normalised, so the hot loop sees one object shape. */
export class Entry {
  readonly ci: boolean;
  readonly back: number;
  readonly backMax: number;
  readonly hasBackMax: boolean;
  readonly backTable: ClassTable;
  readonly min: number;
  readonly max: number;
  readonly exact: boolean;
  readonly minEntropy: number;
  readonly validate: string;
  readonly plen: number;
  constructor(
    readonly pattern: TokenPattern,
    readonly prefix: string,
    readonly lowerPrefix: string,
    readonly table: ClassTable,
    /** second prefix character (lower-cased when case-insensitive), -1 for one-character prefixes */
    readonly second: number,
    /** must follow a word boundary (checked once per position, before the entry loop) */
    readonly needsBoundary: boolean,
  ) {
    this.ci = pattern.ci === true;
    this.back = pattern.back ?? 0;
    this.hasBackMax = pattern.backMax !== undefined;
    this.backMax = Math.max(this.back, pattern.backMax ?? 0);
    this.backTable = pattern.backClass !== undefined ? CLASS_TABLES[pattern.backClass] : table;
    this.min = pattern.min;
    this.max = pattern.max;
    this.exact = pattern.exact === true;
    this.minEntropy = pattern.minEntropy ?? -1;
    this.validate = pattern.validate ?? '';
    this.plen = prefix.length;
  }
}

export type TokenValidator = (text: string, start: number, end: number, bodyStart: number) => boolean;

/** A compiled table: buckets by the first character of each prefix. */
export class TokenScanner {
  /** entries that need a word boundary before the prefix, by first two characters (c1 * 128 + c2) */
  private readonly buckets: (Entry[] | undefined)[] = new Array(128 * 128);
  /** entries that may start mid-word (no boundary, or a look-behind region), by first two characters */
  private readonly looseBuckets: (Entry[] | undefined)[] = new Array(128 * 128);
  /** one-character prefixes, by that character */
  private readonly single: (Entry[] | undefined)[] = new Array(128);
  private readonly anchoredFirst = new Uint8Array(128);
  private readonly looseFirst = new Uint8Array(128);
  private readonly flags = new Uint8Array(128);
  /** characters that can occur anywhere inside a match (look-behind, prefix or body), 1 = yes */
  private readonly spanChars = new Uint8Array(128);
  /** the shortest possible match (required look-behind + prefix + minimum body) */
  private readonly minMatch: number;

  constructor(
    readonly patterns: readonly TokenPattern[],
    private readonly validators: Readonly<Record<string, TokenValidator>> = {},
  ) {
    for (const pattern of patterns) {
      for (const prefix of pattern.prefixes) {
        const lowerPrefix = prefix.toLowerCase();
        const needsBoundary = !pattern.noBoundary && !(pattern.back !== undefined && pattern.back > 0);
        const second = prefix.length < 2 ? -1 : pattern.ci ? lowerPrefix.charCodeAt(1) : prefix.charCodeAt(1);
        const entry = new Entry(pattern, prefix, lowerPrefix, CLASS_TABLES[pattern.body], second, needsBoundary);
        const upperPrefix = prefix.toUpperCase();
        const firsts = pattern.ci ? [lowerPrefix.charCodeAt(0), upperPrefix.charCodeAt(0)] : [prefix.charCodeAt(0)];
        const seconds = prefix.length < 2 ? [] : pattern.ci ? [lowerPrefix.charCodeAt(1), upperPrefix.charCodeAt(1)] : [prefix.charCodeAt(1)];
        for (const f of new Set(firsts)) {
          if (f >= 128 || seconds.some((x) => x >= 128)) throw new Error(`token pattern \`${pattern.id}\` has a non-ASCII prefix`);
          (needsBoundary ? this.anchoredFirst : this.looseFirst)[f] = 1;
          if (seconds.length === 0) {
            (this.single[f] ??= []).push(entry);
            continue;
          }
          const target = needsBoundary ? this.buckets : this.looseBuckets;
          for (const c2 of new Set(seconds)) (target[f * 128 + c2] ??= []).push(entry);
        }
      }
    }
    // A match is one contiguous run of span characters at least `minMatch` long, so `scan` only
    // has to visit such runs: in prose and JSON most words are shorter than any token.
    let minMatch = Number.POSITIVE_INFINITY;
    const span = this.spanChars;
    const addTable = (t: ClassTable): void => {
      for (let c = 0; c < 128; c++) if (t[c] === 1) span[c] = 1;
    };
    for (const pattern of patterns) {
      addTable(CLASS_TABLES[pattern.body]);
      if ((pattern.back ?? 0) > 0 || (pattern.backMax ?? 0) > 0) addTable(CLASS_TABLES[pattern.backClass ?? pattern.body]);
      for (const prefix of pattern.prefixes) {
        const forms = pattern.ci ? [prefix, prefix.toLowerCase(), prefix.toUpperCase()] : [prefix];
        for (const form of forms) for (let k = 0; k < form.length; k++) span[form.charCodeAt(k)] = 1;
        minMatch = Math.min(minMatch, (pattern.back ?? 0) + prefix.length + pattern.min);
      }
    }
    this.minMatch = Number.isFinite(minMatch) ? minMatch : 0;
    // longer prefixes first, so `sk-ant-` wins over `sk-`
    const byLength = (x: Entry, y: Entry): number => y.prefix.length - x.prefix.length;
    for (const b of this.buckets) b?.sort(byLength);
    for (const b of this.looseBuckets) b?.sort(byLength);
    for (const b of this.single) b?.sort(byLength);
    for (let c = 0; c < 128; c++) this.flags[c] = (BREAKERS[c] as number) | (this.anchoredFirst[c] === 1 ? 2 : 0) | (this.looseFirst[c] === 1 ? 4 : 0);
  }

  /**
   * The compiled table as plain data, for the Wasm scanner (kernel-scanner.ts), which lays it
   * out in its memory: the same entries in the same bucket order, so both scanners agree.
   */
  compiled(): {
    buckets: readonly (readonly Entry[] | undefined)[];
    looseBuckets: readonly (readonly Entry[] | undefined)[];
    single: readonly (readonly Entry[] | undefined)[];
    flags: Uint8Array;
    spanChars: Uint8Array;
    minMatch: number;
    validators: Readonly<Record<string, TokenValidator>>;
  } {
    return {
      buckets: this.buckets,
      looseBuckets: this.looseBuckets,
      single: this.single,
      flags: this.flags,
      spanChars: this.spanChars,
      minMatch: this.minMatch,
      validators: this.validators,
    };
  }

  /**
   * All non-overlapping matches, left to right; the same as `scanRange(text, 0, text.length)`.
   * First finds the runs of span characters at least `minMatch` long, probing the last character
   * of each window so that short words are mostly stepped over rather than read; then scans
   * only those runs. Each run starts after a character no match can contain, so a run is scanned
   * in the same state (word boundary before it) as a scan from the start would reach it in.
   */
  scan(text: string, out: TokenMatch[] = []): TokenMatch[] {
    const need = this.minMatch;
    const n = text.length;
    if (need < 2) return this.scanRange(text, 0, n, out);
    const span = this.spanChars;
    let i = 0;
    while (i + need <= n) {
      // is [i, i + need) all span characters? read it from the end: the first miss moves i past it
      let k = i + need - 1;
      while (k >= i) {
        const c = text.charCodeAt(k);
        if (c >= 128 || span[c] === 0) break;
        k--;
      }
      if (k >= i) {
        i = k + 1;
        continue;
      }
      let e = i + need;
      while (e < n) {
        const c = text.charCodeAt(e);
        if (c >= 128 || span[c] === 0) break;
        e++;
      }
      this.scanRange(text, i, e, out);
      i = e + 1;
    }
    return out;
  }

  /**
   * Matches starting inside [from, to) (bodies may not run past `to`'s token run in practice:
   * callers pass whole runs of token characters). Boundaries look at the full text.
   */
  scanRange(text: string, from: number, to: number, out: TokenMatch[] = []): TokenMatch[] {
    const n = to;
    const flags = this.flags;
    const loose = this.looseFirst;
    // was the previous character part of a word (so no anchored token starts here)?
    let prevBreaks = from > 0 && text.charCodeAt(from - 1) < 128 && BREAKERS[text.charCodeAt(from - 1)] === 1;
    for (let i = from; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) {
        prevBreaks = false;
        continue;
      }
      // one table load: bit 1 = word character, bit 2 = anchored prefix start, bit 4 = loose prefix start
      const f = flags[c] as number;
      const atBoundary = !prevBreaks;
      prevBreaks = (f & 1) === 1;
      const tryAnchored = atBoundary && (f & 2) === 2;
      if (!tryAnchored && (f & 4) === 0) continue;
      const c2 = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      const key = c2 < 128 ? c * 128 + c2 : -1;
      let end = -1;
      if (tryAnchored && key >= 0) {
        const b = this.buckets[key];
        if (b !== undefined) end = this.tryBucket(b, text, i, out);
      }
      if (end <= 0 && loose[c] === 1 && key >= 0) {
        const b = this.looseBuckets[key];
        if (b !== undefined) end = this.tryBucket(b, text, i, out);
      }
      if (end <= 0) {
        const b = this.single[c];
        if (b !== undefined) end = this.tryBucket(atBoundary ? b : b.filter((e) => !e.needsBoundary), text, i, out);
      }
      if (end > 0) {
        i = end - 1;
        prevBreaks = true;
      }
    }
    return out;
  }

  private tryBucket(bucket: Entry[], text: string, i: number, out: TokenMatch[]): number {
    for (let k = 0; k < bucket.length; k++) {
      const e = bucket[k] as Entry;
      const end = this.tryAt(text, i, e);
      if (end > 0) {
        out.push({ pattern: e.pattern, start: this.lastStart, end });
        return end;
      }
    }
    return -1;
  }

  private lastStart = 0;

  private tryAt(text: string, i: number, e: Entry): number {
    let back = e.back;
    if (back > 0) {
      const bt = e.backTable;
      let k = 0;
      while (k < e.backMax && i - k - 1 >= 0 && inClass(bt, text.charCodeAt(i - k - 1))) k++;
      if (k < back) return -1;
      if (!e.hasBackMax) k = back;
      back = k;
      if (i - back - 1 >= 0 && isWordChar(text.charCodeAt(i - back - 1))) return -1;
    }
    const plen = e.plen;
    if (i + plen > text.length) return -1;
    if (e.ci) {
      const lp = e.lowerPrefix;
      for (let j = 0; j < plen; j++) {
        let c = text.charCodeAt(i + j);
        if (c >= 65 && c <= 90) c += 32;
        if (c !== lp.charCodeAt(j)) return -1;
      }
    } else if (!text.startsWith(e.prefix, i)) {
      return -1;
    }
    const bodyStart = i + plen;
    let j = bodyStart;
    const table = e.table;
    const limit = Math.min(text.length, bodyStart + e.max);
    while (j < limit && inClass(table, text.charCodeAt(j))) j++;
    if (j - bodyStart < e.min) return -1;
    if (e.exact && j < text.length && inClass(table, text.charCodeAt(j))) return -1;
    if (e.minEntropy >= 0 && entropyOf(text, bodyStart, j) < e.minEntropy) return -1;
    if (e.validate !== '') {
      const v = this.validators[e.validate];
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
