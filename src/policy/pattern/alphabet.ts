// Character equivalence classes: the code point space is cut at every boundary the pattern's
// sets use, and code points that every set treats alike share a class. The DFA then has one
// table column per class instead of one per code point. Classes are numbered by their lowest
// code point, so the same sets always give the same numbering.

import { MAX_CODE_POINT, type CodePointSet } from './code-point-set.js';

export interface Alphabet {
  readonly classCount: number;
  /** first code point of each elementary interval, ascending, starting at 0 */
  readonly intervalStarts: Int32Array;
  readonly intervalClass: Int32Array;
  /** per class: the word bits (see nfa.ts) its code points carry */
  readonly classWordBits: Uint8Array;
  /** per NFA set id, per class: 1 when the class lies in the set */
  readonly setMembers: readonly Uint8Array[];
}

export interface WordSet {
  bit: number;
  set: CodePointSet;
}

function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calls `visit` for the index of every elementary interval inside `set`. */
function forEachInterval(starts: Int32Array, set: CodePointSet, visit: (interval: number) => void): void {
  const r = set.ranges;
  for (let i = 0; i < r.length; i += 2) {
    const first = lowerBound(starts, r[i]!);
    const end = r[i + 1]! >= MAX_CODE_POINT ? starts.length : lowerBound(starts, r[i + 1]! + 1);
    for (let k = first; k < end; k++) visit(k);
  }
}

export function buildAlphabet(sets: readonly CodePointSet[], wordSets: readonly WordSet[]): Alphabet {
  const every = [...sets, ...wordSets.map((w) => w.set)];
  const cuts = new Set<number>([0]);
  for (const set of every) {
    const r = set.ranges;
    for (let i = 0; i < r.length; i += 2) {
      cuts.add(r[i]!);
      if (r[i + 1]! < MAX_CODE_POINT) cuts.add(r[i + 1]! + 1);
    }
  }
  const intervalStarts = Int32Array.from(cuts).sort();
  const signatures: number[][] = Array.from({ length: intervalStarts.length }, () => []);
  every.forEach((set, index) => forEachInterval(intervalStarts, set, (k) => signatures[k]!.push(index)));

  const classOfSignature = new Map<string, number>();
  const intervalClass = new Int32Array(intervalStarts.length);
  signatures.forEach((signature, k) => {
    const key = signature.join(',');
    let id = classOfSignature.get(key);
    if (id === undefined) {
      id = classOfSignature.size;
      classOfSignature.set(key, id);
    }
    intervalClass[k] = id;
  });
  const classCount = classOfSignature.size;

  const setMembers = sets.map((set) => {
    const members = new Uint8Array(classCount);
    forEachInterval(intervalStarts, set, (k) => (members[intervalClass[k]!] = 1));
    return members;
  });
  const classWordBits = new Uint8Array(classCount);
  for (const { bit, set } of wordSets) {
    forEachInterval(intervalStarts, set, (k) => (classWordBits[intervalClass[k]!]! |= bit));
  }
  return { classCount, intervalStarts, intervalClass, classWordBits, setMembers };
}

export function alphabetClassOf(alphabet: Alphabet, cp: number): number {
  const starts = alphabet.intervalStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  return alphabet.intervalClass[lo]!;
}
