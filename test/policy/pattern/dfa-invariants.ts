// Structural checks every compiled DFA must pass: the layout the Wasm kernel relies on.

import type { Dfa } from '../../../src/policy/pattern/index.js';

/** Returns a description of the first broken invariant, or undefined. */
export function brokenInvariant(dfa: Dfa): string | undefined {
  const { stateCount, classCount, table, accept, asciiClass, ranges } = dfa;
  if (stateCount < 1 || stateCount > 0xffff) return `stateCount ${stateCount}`;
  if (table.length !== stateCount * classCount) return 'table size';
  if (accept.length !== stateCount) return 'accept size';
  if (asciiClass.length !== 128) return 'asciiClass size';
  if (dfa.start < 0 || dfa.start >= stateCount) return 'start';
  if (dfa.dead < -1 || dfa.dead >= stateCount) return 'dead';
  if (dfa.otherClass < 0 || dfa.otherClass >= classCount) return 'otherClass';
  for (const next of table) if (next >= stateCount) return `transition to ${next}`;
  for (const cls of asciiClass) if (cls >= classCount) return `ascii class ${cls}`;
  for (const bits of accept) if (bits > 3) return `accept bits ${bits}`;
  if (ranges.length % 3 !== 0) return 'ranges not triples';
  let previousHi = 127;
  for (let i = 0; i < ranges.length; i += 3) {
    const [lo, hi, cls] = [ranges[i]!, ranges[i + 1]!, ranges[i + 2]!];
    if (lo <= previousHi || hi < lo || hi > 0x10ffff) return `range ${lo}-${hi} out of order`;
    if (cls >= classCount) return `range class ${cls}`;
    previousHi = hi;
  }
  if (dfa.dead >= 0) {
    if (accept[dfa.dead] !== 0) return 'dead state accepts';
    for (let c = 0; c < classCount; c++) if (table[dfa.dead * classCount + c] !== dfa.dead) return 'dead state escapes';
  }
  // For one pattern bit0 means "matched": such a state must stay matched whatever follows. (A
  // pattern set's bit0 says a match ended on the step into the state, which is not sticky.)
  if ('acceptSet' in dfa) return undefined;
  for (let s = 0; s < stateCount; s++) {
    if ((accept[s]! & 1) === 0) continue;
    for (let c = 0; c < classCount; c++) if ((accept[table[s * classCount + c]!]! & 1) === 0) return 'matched state is left';
  }
  return undefined;
}
