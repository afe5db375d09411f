// Unicode property escapes (`\p{...}`) resolved to code point ranges at compile time by asking
// the JS engine itself, so a pattern means exactly what the same `\p{...}` means in a JS RegExp
// and no Unicode tables have to be shipped. Results are cached per property.

import { CodePointSet, MAX_CODE_POINT } from './code-point-set.js';

const BMP_UNITS = 0x10000 - 0x800; // the BMP without the surrogate block
const SURROGATE_LO = 0xd800;
const SURROGATE_HI = 0xdfff;

// The string of every non-surrogate code point in order is ~4 MB; it is rebuilt (~20 ms) when
// the collector has reclaimed it, rather than pinned for the life of the process.
let everyCodePointRef: WeakRef<{ text: string }> | undefined;

function codePointsUpTo(last: number): string {
  const astral = Math.max(0, last - 0xffff);
  const units = new Uint16Array(BMP_UNITS + 2 * astral);
  let k = 0;
  for (let cp = 0; cp < 0x10000; cp++) {
    if (cp < SURROGATE_LO || cp > SURROGATE_HI) units[k++] = cp;
  }
  for (let v = 0; v < astral; v++) {
    units[k++] = 0xd800 + (v >> 10);
    units[k++] = 0xdc00 + (v & 0x3ff);
  }
  return new TextDecoder('utf-16le').decode(units);
}

function everyCodePoint(): string {
  const cached = everyCodePointRef?.deref();
  if (cached !== undefined) return cached.text;
  // WeakRef needs an object, so the string travels in a box that only this reference holds.
  const text = codePointsUpTo(MAX_CODE_POINT);
  everyCodePointRef = new WeakRef({ text });
  return text;
}

function codePointAtUnit(index: number): number {
  if (index < SURROGATE_LO) return index;
  if (index < BMP_UNITS) return index + 0x800;
  return 0x10000 + ((index - BMP_UNITS) >> 1);
}

/**
 * Every code point up to `last` matched by `atom` (regexp source matching exactly one code
 * point), found by letting the engine scan the code points in one pass.
 */
export function codePointsMatching(atom: string, flags = 'u', last = MAX_CODE_POINT): CodePointSet {
  const text = last === MAX_CODE_POINT ? everyCodePoint() : codePointsUpTo(Math.max(last, 0xffff));
  const runs = new RegExp(`(?:${atom})+`, `g${flags}`);
  const pairs: number[] = [];
  for (let m = runs.exec(text); m !== null; m = runs.exec(text)) {
    const first = codePointAtUnit(m.index);
    const last = codePointAtUnit(m.index + m[0].length - 1);
    pairs.push(first, last);
  }
  // Surrogate code points cannot sit in the scan string as pairs would form; a run of only high
  // (or only low) surrogates never pairs, so each half gets a scan of its own.
  for (const [first, last] of [
    [SURROGATE_LO, 0xdbff],
    [0xdc00, SURROGATE_HI],
  ] as const) {
    const halves = String.fromCharCode(...Array.from({ length: last - first + 1 }, (_, i) => first + i));
    runs.lastIndex = 0;
    for (let m = runs.exec(halves); m !== null; m = runs.exec(halves)) {
      pairs.push(first + m.index, first + m.index + m[0].length - 1);
    }
  }
  return CodePointSet.fromRanges(pairs);
}

const PROPERTY_BODY = /^[A-Za-z0-9_]+(?:=[A-Za-z0-9_]+)?$/;
const propertyCache = new Map<string, CodePointSet>();

/**
 * The code points of `\p{body}`, or undefined when the engine does not know the property (or it
 * is a property of strings, which `u` mode rejects too).
 */
export function unicodePropertySet(body: string): CodePointSet | undefined {
  if (!PROPERTY_BODY.test(body)) return undefined;
  const cached = propertyCache.get(body);
  if (cached !== undefined) return cached;
  try {
    new RegExp(`\\p{${body}}`, 'u');
  } catch {
    return undefined;
  }
  const set = codePointsMatching(`\\p{${body}}`);
  propertyCache.set(body, set);
  return set;
}
