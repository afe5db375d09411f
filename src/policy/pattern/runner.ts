// The reference runner: exactly the loop the Wasm kernel runs over a compiled table, written
// plainly so the kernel can be checked against it. One pass over the code points, one table
// lookup per code point, no backtracking.

import { ACCEPT_AT_END, ACCEPT_MATCHED, dfaClassOf, type Dfa } from './dfa.js';

/** Does `text` contain a match (RegExp.prototype.test semantics)? */
export function dfaTest(dfa: Dfa, text: string): boolean {
  const { table, accept, classCount, dead } = dfa;
  let state = dfa.start;
  const length = text.length;
  for (let i = 0; i < length; ) {
    // Decode one code point; a lone surrogate stands for itself, as in a `u` RegExp.
    let cp = text.charCodeAt(i++);
    if (cp >= 0xd800 && cp <= 0xdbff && i < length) {
      const low = text.charCodeAt(i);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    state = table[state * classCount + dfaClassOf(dfa, cp)]!;
    if ((accept[state]! & ACCEPT_MATCHED) !== 0) return true;
    if (state === dead) return false;
  }
  return (accept[state]! & (ACCEPT_MATCHED | ACCEPT_AT_END)) !== 0;
}
