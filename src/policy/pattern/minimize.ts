// Hopcroft's partition refinement: merges DFA states that no input can tell apart, in
// O(n·k·log n) for n states and k classes. Minimal automata are unique up to numbering, which
// is what lets equal patterns compile to equal tables.

export interface Partition {
  /** block (minimal state) of each original state */
  readonly blockOf: Int32Array;
  readonly blockCount: number;
}

/**
 * `table[s * classCount + c]` is the successor of state s on class c; `initialBlock` groups
 * states that must never merge (different acceptance), numbered densely from 0.
 */
export function minimize(stateCount: number, classCount: number, table: Int32Array, initialBlock: Int32Array): Partition {
  const n = stateCount;
  // Predecessors by (target, class), as compressed rows.
  const predStart = new Int32Array(n * classCount + 1);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < classCount; c++) predStart[table[s * classCount + c]! * classCount + c + 1]!++;
  }
  for (let i = 1; i < predStart.length; i++) predStart[i]! += predStart[i - 1]!;
  const predFill = predStart.slice(0, n * classCount);
  const preds = new Int32Array(n * classCount);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < classCount; c++) preds[predFill[table[s * classCount + c]! * classCount + c]!++] = s;
  }

  // Refinable partition: each block is a contiguous slice of `elements`; the marked members of
  // a block are gathered at the front of its slice.
  const elements = new Int32Array(n);
  const location = new Int32Array(n);
  const blockOf = new Int32Array(n);
  const blockStart: number[] = [];
  const blockEnd: number[] = [];
  const marked: number[] = [];
  const inWorklist: boolean[] = [];

  let initialCount = 0;
  for (let s = 0; s < n; s++) initialCount = Math.max(initialCount, initialBlock[s]! + 1);
  const sizes = new Int32Array(initialCount);
  for (let s = 0; s < n; s++) sizes[initialBlock[s]!]!++;
  let offset = 0;
  for (let b = 0; b < initialCount; b++) {
    blockStart.push(offset);
    offset += sizes[b]!;
    blockEnd.push(offset);
    marked.push(0);
    inWorklist.push(false);
  }
  const fill = blockStart.slice();
  for (let s = 0; s < n; s++) {
    const b = initialBlock[s]!;
    const at = fill[b]!++;
    elements[at] = s;
    location[s] = at;
    blockOf[s] = b;
  }

  const worklist: number[] = [];
  // Every block but the largest is enough to start with (Hopcroft's "all but one" rule).
  let largest = 0;
  for (let b = 1; b < initialCount; b++) if (sizes[b]! > sizes[largest]!) largest = b;
  for (let b = 0; b < initialCount; b++) {
    if (b !== largest && sizes[b]! > 0) {
      worklist.push(b);
      inWorklist[b] = true;
    }
  }

  const touched: number[] = [];
  const splitter: number[] = [];
  while (worklist.length > 0) {
    const a = worklist.pop()!;
    inWorklist[a] = false;
    // Snapshot: the splitter is the block as it was, even if it splits while being used.
    splitter.length = 0;
    for (let i = blockStart[a]!; i < blockEnd[a]!; i++) splitter.push(elements[i]!);
    for (let c = 0; c < classCount; c++) {
      for (const t of splitter) {
        const row = t * classCount + c;
        for (let p = predStart[row]!; p < predStart[row + 1]!; p++) {
          const s = preds[p]!;
          const b = blockOf[s]!;
          const at = location[s]!;
          const front = blockStart[b]! + marked[b]!;
          if (at < front) continue; // already marked
          if (marked[b] === 0) touched.push(b);
          const other = elements[front]!;
          elements[front] = s;
          location[s] = front;
          elements[at] = other;
          location[other] = at;
          marked[b]!++;
        }
      }
      for (const b of touched) {
        const count = marked[b]!;
        marked[b] = 0;
        const size = blockEnd[b]! - blockStart[b]!;
        if (count === size) continue;
        const fresh = blockStart.length;
        blockStart.push(blockStart[b]!);
        blockEnd.push(blockStart[b]! + count);
        marked.push(0);
        inWorklist.push(false);
        blockStart[b] = blockStart[b]! + count;
        for (let i = blockStart[fresh]!; i < blockEnd[fresh]!; i++) blockOf[elements[i]!] = fresh;
        if (inWorklist[b]) {
          worklist.push(fresh);
          inWorklist[fresh] = true;
        } else {
          const smaller = count <= size - count ? fresh : b;
          worklist.push(smaller);
          inWorklist[smaller] = true;
        }
      }
      touched.length = 0;
    }
  }
  return { blockOf, blockCount: blockStart.length };
}
