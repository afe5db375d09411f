// Case-insensitive matching for `(?i)`. A JS RegExp with the `u` and `i` flags treats two code
// points as equal when their simple case foldings are equal; we group code points into such
// orbits once (candidates from single-code-point toLowerCase/toUpperCase, every grouping
// confirmed by the engine) so `(?i)` means exactly what the `i` flag means in JS.

import { CodePointSet } from './code-point-set.js';
import { codePointsMatching } from './unicode-properties.js';

// Every code point with a case mapping lies in planes 0 and 1 (a test guards this), which keeps
// the one-time scan to a few milliseconds.
const LAST_CASED_CODE_POINT = 0x1ffff;

interface CaseOrbits {
  /** sorted code points that share their folding with at least one other code point */
  readonly codePoints: readonly number[];
  /** each such code point's orbit, itself included */
  readonly orbitOf: ReadonlyMap<number, readonly number[]>;
}

let cachedOrbits: CaseOrbits | undefined;

function singleCodePoint(text: string): number | undefined {
  const cp = text.codePointAt(0);
  if (cp === undefined) return undefined;
  return text.length === (cp > 0xffff ? 2 : 1) ? cp : undefined;
}

function codePointsOfSet(set: CodePointSet): number[] {
  const out: number[] = [];
  const r = set.ranges;
  for (let i = 0; i < r.length; i += 2) for (let cp = r[i]!; cp <= r[i + 1]!; cp++) out.push(cp);
  return out;
}

function findRoot(parent: Map<number, number>, cp: number): number {
  let root = cp;
  for (let up = parent.get(root); up !== undefined && up !== root; up = parent.get(root)) root = up;
  // Path compression keeps later lookups flat.
  for (let node = cp; node !== root; ) {
    const up = parent.get(node)!;
    parent.set(node, root);
    node = up;
  }
  return root;
}

function buildOrbits(): CaseOrbits {
  // Anything that folds also changes under some case mapping (a test checks this), and the
  // single property scans several times faster than a union of two.
  const candidates = codePointsMatching('\\p{Changes_When_Casemapped}', 'u', LAST_CASED_CODE_POINT);
  const parent = new Map<number, number>();
  const join = (a: number, b: number): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = findRoot(parent, a);
    const rb = findRoot(parent, b);
    if (ra !== rb) parent.set(rb, ra);
  };
  const r = candidates.ranges;
  const unlinked: number[] = [];
  for (let i = 0; i < r.length; i += 2) {
    for (let cp = r[i]!; cp <= r[i + 1]!; cp++) {
      const text = String.fromCodePoint(cp);
      const lower = singleCodePoint(text.toLowerCase());
      const upper = singleCodePoint(text.toUpperCase());
      if (lower !== undefined && lower !== cp) join(cp, lower);
      if (upper !== undefined && upper !== cp) join(cp, upper);
      if (lower === undefined || upper === undefined) unlinked.push(cp);
    }
  }
  // A code point whose lower or upper case is several code points (ΐ, ﬅ, ᾳ) can still fold
  // like another one (U+0390 and U+1FD3 do); for those few the engine finds the partners.
  const haystack = String.fromCodePoint(...codePointsOfSet(candidates));
  for (const cp of unlinked) {
    for (const m of haystack.matchAll(new RegExp(`\\u{${cp.toString(16)}}`, 'giu'))) join(cp, m[0].codePointAt(0)!);
  }
  const components = new Map<number, number[]>();
  for (const cp of parent.keys()) {
    const root = findRoot(parent, cp);
    const members = components.get(root);
    if (members === undefined) components.set(root, [cp]);
    else members.push(cp);
  }
  // toLowerCase/toUpperCase over-connect (e.g. `ı` uppercases to `I` but does not fold to `i`),
  // so each component is split by what the engine treats as equal: under `ui` a backreference
  // compares canonicalised code points, so this one regexp asks "do a and b fold alike?".
  const foldAlike = /^(.)\1$/isu;
  const orbitOf = new Map<number, readonly number[]>();
  for (const members of components.values()) {
    const groups: Array<{ first: string; members: number[] }> = [];
    for (const cp of members) {
      const text = String.fromCodePoint(cp);
      const group = groups.find((g) => foldAlike.test(g.first + text));
      if (group !== undefined) group.members.push(cp);
      else groups.push({ first: text, members: [cp] });
    }
    for (const group of groups) {
      if (group.members.length < 2) continue;
      const orbit = group.members.sort((a, b) => a - b);
      for (const cp of orbit) orbitOf.set(cp, orbit);
    }
  }
  const codePoints = [...orbitOf.keys()].sort((a, b) => a - b);
  return { codePoints, orbitOf };
}

function caseOrbits(): CaseOrbits {
  cachedOrbits ??= buildOrbits();
  return cachedOrbits;
}

/** The code points equal to `cp` under `(?i)`, itself included. */
export function caseVariants(cp: number): readonly number[] {
  return caseOrbits().orbitOf.get(cp) ?? [cp];
}

/** ASCII letters fold only with their other case, plus `ſ` with s and `K` (Kelvin) with k. */
function asciiCaseClose(set: CodePointSet): CodePointSet {
  const extra: number[] = [];
  for (let cp = 0x41; cp <= 0x7a; cp++) {
    if (cp > 0x5a && cp < 0x61) continue;
    if (!set.has(cp)) continue;
    const other = cp ^ 0x20;
    extra.push(other, other);
    const lower = cp | 0x20;
    if (lower === 0x73) extra.push(0x17f, 0x17f);
    if (lower === 0x6b) extra.push(0x212a, 0x212a);
  }
  return extra.length === 0 ? set : set.union(CodePointSet.fromRanges(extra));
}

/** `set` plus every code point that folds like one of its members. */
export function caseClose(set: CodePointSet): CodePointSet {
  // Most secret-detection patterns only name ASCII; they need not pay for the orbit table.
  const r = set.ranges;
  if (r.length === 0 || r[r.length - 1]! < 0x80) return asciiCaseClose(set);
  const { codePoints, orbitOf } = caseOrbits();
  const extra: number[] = [];
  for (const cp of codePoints) {
    if (!set.has(cp)) continue;
    for (const variant of orbitOf.get(cp)!) {
      if (!set.has(variant)) extra.push(variant, variant);
    }
  }
  return extra.length === 0 ? set : set.union(CodePointSet.fromRanges(extra));
}
