// The DFA as the Wasm kernel runs it, and the last compilation step that produces it: minimise,
// merge classes that no state tells apart, number states breadth-first from the start and
// classes by lowest code point, so equivalent patterns yield identical tables.

import type { Alphabet } from './alphabet.js';
import { MAX_CODE_POINT } from './code-point-set.js';
import { minimize } from './minimize.js';

export interface Dfa {
  /** the pattern text */
  source: string;
  stateCount: number;
  /** number of character equivalence classes */
  classCount: number;
  /** length 128: code point -> class id (for cp < 128) */
  asciiClass: Uint8Array;
  /** flattened sorted non-overlapping triples [lo, hi, class] for code points >= 128 */
  ranges: Uint32Array;
  /** class for code points >= 128 not covered by `ranges` */
  otherClass: number;
  /** stateCount * classCount, next state */
  table: Uint16Array;
  start: number;
  /**
   * per state: bit0 = a match has ended (search may stop: matched); bit1 = a match ends here
   * if the input ends here (for `$` and a trailing `\b`)
   */
  accept: Uint8Array;
  /** a state from which no match is possible (search may stop: no match); -1 if none */
  dead: number;
  /** every match starts at offset 0 (the pattern begins with `^`) */
  anchoredStart: boolean;
}

export const ACCEPT_MATCHED = 1;
export const ACCEPT_AT_END = 2;

/** The class of a code point, exactly as the kernel computes it. */
export function dfaClassOf(dfa: Dfa, cp: number): number {
  if (cp < 128) return dfa.asciiClass[cp]!;
  const ranges = dfa.ranges;
  let lo = 0;
  let hi = ranges.length / 3 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[3 * mid]!) hi = mid - 1;
    else if (cp > ranges[3 * mid + 1]!) lo = mid + 1;
    else return ranges[3 * mid + 2]!;
  }
  return dfa.otherClass;
}

/** Bytes held by a DFA's tables and source, for memory accounting (object headers excluded). */
export function dfaByteSize(dfa: Dfa): number {
  let bytes = dfa.asciiClass.byteLength + dfa.ranges.byteLength + dfa.table.byteLength + dfa.accept.byteLength;
  bytes += dfa.source.length * 2;
  // A pattern set's extra acceptance lists count too.
  for (const value of Object.values(dfa)) {
    if (ArrayBuffer.isView(value) && value !== dfa.asciiClass && value !== dfa.ranges && value !== dfa.table && value !== dfa.accept) {
      bytes += value.byteLength;
    }
  }
  return bytes;
}

export interface RawAutomaton {
  stateCount: number;
  table: Int32Array;
  start: number;
  /** per raw state, the kernel's accept bits */
  accept: Uint8Array;
  /** per raw state, what must agree for two states to merge (defaults to the accept bits) */
  signature?: (state: number) => string;
}

export interface EmittedDfa {
  dfa: Omit<Dfa, 'source' | 'anchoredStart'>;
  /** for each final state, one raw state it stands for */
  representative: Int32Array;
}

export function emitDfa(raw: RawAutomaton, alphabet: Alphabet): EmittedDfa {
  const k = alphabet.classCount;
  const signatureOf = raw.signature ?? ((s: number) => String(raw.accept[s]));
  const blockIds = new Map<string, number>();
  const initialBlock = new Int32Array(raw.stateCount);
  for (let s = 0; s < raw.stateCount; s++) {
    const key = signatureOf(s);
    let id = blockIds.get(key);
    if (id === undefined) {
      id = blockIds.size;
      blockIds.set(key, id);
    }
    initialBlock[s] = id;
  }
  const { blockOf, blockCount } = minimize(raw.stateCount, k, raw.table, initialBlock);
  const blockRep = new Int32Array(blockCount).fill(-1);
  for (let s = 0; s < raw.stateCount; s++) if (blockRep[blockOf[s]!] === -1) blockRep[blockOf[s]!] = s;
  const blockTable = new Int32Array(blockCount * k);
  for (let b = 0; b < blockCount; b++) {
    const rep = blockRep[b]!;
    for (let c = 0; c < k; c++) blockTable[b * k + c] = blockOf[raw.table[rep * k + c]!]!;
  }

  // Classes whose columns agree everywhere are one class for this automaton.
  const mergedOf = new Int32Array(k);
  const columnIds = new Map<string, number>();
  const column: number[] = new Array<number>(blockCount);
  for (let c = 0; c < k; c++) {
    for (let b = 0; b < blockCount; b++) column[b] = blockTable[b * k + c]!;
    const key = column.join(',');
    let id = columnIds.get(key);
    if (id === undefined) {
      id = columnIds.size;
      columnIds.set(key, id);
    }
    mergedOf[c] = id;
  }
  const classCount = columnIds.size;
  const firstOldClass = new Int32Array(classCount).fill(-1);
  for (let c = 0; c < k; c++) if (firstOldClass[mergedOf[c]!] === -1) firstOldClass[mergedOf[c]!] = c;

  // Breadth-first numbering from the start state.
  const newId = new Int32Array(blockCount).fill(-1);
  const order: number[] = [blockOf[raw.start]!];
  newId[order[0]!] = 0;
  for (let i = 0; i < order.length; i++) {
    const b = order[i]!;
    for (let m = 0; m < classCount; m++) {
      const t = blockTable[b * k + firstOldClass[m]!]!;
      if (newId[t] === -1) {
        newId[t] = order.length;
        order.push(t);
      }
    }
  }
  const stateCount = order.length;
  const table = new Uint16Array(stateCount * classCount);
  const accept = new Uint8Array(stateCount);
  const representative = new Int32Array(stateCount);
  for (let i = 0; i < stateCount; i++) {
    const b = order[i]!;
    representative[i] = blockRep[b]!;
    accept[i] = raw.accept[blockRep[b]!]!;
    for (let m = 0; m < classCount; m++) table[i * classCount + m] = newId[blockTable[b * k + firstOldClass[m]!]!]!;
  }

  const { asciiClass, ranges, otherClass } = classLookup(alphabet, mergedOf, classCount);
  return {
    dfa: { stateCount, classCount, asciiClass, ranges, otherClass, table, start: 0, accept, dead: findDead(table, accept, stateCount, classCount) },
    representative,
  };
}

/** The state that can reach no accepting state; minimisation leaves at most one. */
function findDead(table: Uint16Array, accept: Uint8Array, stateCount: number, classCount: number): number {
  const predecessors: number[][] = Array.from({ length: stateCount }, () => []);
  for (let s = 0; s < stateCount; s++) {
    for (let c = 0; c < classCount; c++) predecessors[table[s * classCount + c]!]!.push(s);
  }
  const live = new Uint8Array(stateCount);
  const queue: number[] = [];
  for (let s = 0; s < stateCount; s++) {
    if (accept[s] !== 0) {
      live[s] = 1;
      queue.push(s);
    }
  }
  while (queue.length > 0) {
    for (const p of predecessors[queue.pop()!]!) {
      if (live[p] === 0) {
        live[p] = 1;
        queue.push(p);
      }
    }
  }
  return live.indexOf(0);
}

function classLookup(alphabet: Alphabet, mergedOf: Int32Array, classCount: number): Pick<Dfa, 'asciiClass' | 'ranges' | 'otherClass'> {
  const starts = alphabet.intervalStarts;
  const asciiClass = new Uint8Array(128);
  const triples: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    const lo = starts[i]!;
    const hi = i + 1 < starts.length ? starts[i + 1]! - 1 : MAX_CODE_POINT;
    const cls = mergedOf[alphabet.intervalClass[i]!]!;
    for (let cp = lo; cp <= Math.min(hi, 127); cp++) asciiClass[cp] = cls;
    if (hi < 128) continue;
    const from = Math.max(lo, 128);
    const last = triples.length - 3;
    if (last >= 0 && triples[last + 2] === cls && triples[last + 1] === from - 1) triples[last + 1] = hi;
    else triples.push(from, hi, cls);
  }
  // The class with the most ranges becomes the default, which keeps `ranges` shortest.
  const rangeCount = new Int32Array(classCount);
  for (let i = 2; i < triples.length; i += 3) rangeCount[triples[i]!]!++;
  let otherClass = 0;
  for (let c = 1; c < classCount; c++) if (rangeCount[c]! > rangeCount[otherClass]!) otherClass = c;
  const kept: number[] = [];
  for (let i = 0; i < triples.length; i += 3) {
    if (triples[i + 2] !== otherClass) kept.push(triples[i]!, triples[i + 1]!, triples[i + 2]!);
  }
  return { asciiClass, ranges: Uint32Array.from(kept), otherClass };
}
