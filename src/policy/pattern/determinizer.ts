// Subset construction over character classes, lazily: a DFA state is created the first time a
// transition reaches it. The compiler drives it to completion (within a budget) to emit the
// kernel's table; findMatches drives it on demand over the text it scans.
//
// A DFA state is (kernel, context, emitted):
//   kernel  — the NFA states reached by the last code point, not yet epsilon-closed, because
//             the closure depends on assertions about the NEXT code point;
//   context — what assertions need to know about the previous code point (start of scan,
//             word character or not);
//   emitted — pattern ids whose match ended just before the last code point (the closure on
//             the step into this state, with that code point as lookahead, reached MATCH).
// In `test` mode every emission leads to one absorbing `matched` state instead, and a state
// whose closure reaches MATCH whatever comes next is that state too.

import type { Alphabet } from './alphabet.js';
import { AutomatonTooLarge } from './budget.js';
import {
  ASSERT_NOT_WORD_BOUNDARY,
  ASSERT_SCAN_END,
  ASSERT_SCAN_START,
  ASSERT_WORD_BOUNDARY,
  CTX_SCAN_START,
  LOOKAHEAD_END,
  NFA_ASSERT,
  NFA_CHAR,
  NFA_MATCH,
  type Nfa,
} from './nfa.js';

export type DeterminizeMode = 'test' | 'report';

export interface DeterminizerOptions {
  mode: DeterminizeMode;
  stateBudget: number;
  workBudget: number;
}

interface Closure {
  /** NFA CHAR states reached */
  readonly chars: readonly number[];
  /** pattern ids whose MATCH state was reached, ascending */
  readonly matches: readonly number[];
}

const NO_STATE = -1;
const EMPTY: readonly number[] = [];

export class Determinizer {
  readonly classCount: number;
  private readonly lookaheads: number[];
  private kernels: Int32Array[] = [];
  private contexts: number[] = [];
  private emittedIds: Array<readonly number[]> = [];
  private endIds: Array<readonly number[]> = [];
  // Closures of the state whose transitions are being computed: the compiler asks for all
  // classes of one state in a row, and keeping every state's closures would cost memory
  // proportional to states × NFA size.
  private closureState = NO_STATE;
  private closureCache: Array<Closure | undefined> = [];
  private table = new Int32Array(0);
  /** interned states by hash of (context, emitted, kernel) */
  private index = new Map<number, IndexEntry[]>();
  private matchedState = NO_STATE;
  private readonly stamp: Int32Array;
  private stampGeneration = 0;
  private readonly targetStamp: Int32Array;
  private targetGeneration = 0;
  private readonly stack: number[] = [];
  /** NFA steps taken so far, checked against the work budget */
  work = 0;
  /** bumped by clear(): state ids from an older epoch mean nothing */
  epoch = 0;

  constructor(
    private readonly nfa: Nfa,
    private readonly alphabet: Alphabet,
    private readonly options: DeterminizerOptions,
  ) {
    this.classCount = alphabet.classCount;
    this.stamp = new Int32Array(nfa.kind.length);
    this.targetStamp = new Int32Array(nfa.kind.length);
    const seen = new Set<number>();
    for (let c = 0; c < this.classCount; c++) seen.add(alphabet.classWordBits[c]! & nfa.contextMask);
    this.lookaheads = [...seen];
  }

  get stateCount(): number {
    return this.kernels.length;
  }

  /** The absorbing state of `test` mode, or -1 while it does not exist. */
  get matched(): number {
    return this.matchedState;
  }

  emitted(state: number): readonly number[] {
    return this.emittedIds[state]!;
  }

  /** Pattern ids with a match ending here if the input ends here. */
  endAccepts(state: number): readonly number[] {
    return this.endIds[state]!;
  }

  /** No NFA thread is alive: nothing more can be emitted or accepted. */
  isDead(state: number): boolean {
    return state !== this.matchedState && this.kernels[state]!.length === 0;
  }

  /** Transitions of every state so far, `stateCount * classCount`, -1 where not yet computed. */
  transitionTable(): Int32Array {
    return this.table.subarray(0, this.stateCount * this.classCount);
  }

  /** Start state for a scan whose previous code point had `context` bits (CTX_SCAN_START at offset 0). */
  start(context: number): number {
    return this.intern(Int32Array.of(this.nfa.start), context & this.nfa.contextMask, EMPTY);
  }

  next(state: number, cls: number): number {
    const slot = state * this.classCount + cls;
    const known = this.table[slot]!;
    if (known !== NO_STATE) return known;
    let target: number;
    if (state === this.matchedState) {
      target = state;
    } else {
      const lookahead = this.alphabet.classWordBits[cls]! & this.nfa.contextMask;
      const closure = this.closureOf(state, lookahead);
      const kernel: number[] = [];
      const { out, arg } = this.nfa;
      const members = this.alphabet.setMembers;
      const seen = this.targetStamp;
      const generation = ++this.targetGeneration;
      for (const s of closure.chars) {
        if (members[arg[s]!]![cls] !== 1) continue;
        const t = out[s]!;
        if (seen[t] !== generation) {
          seen[t] = generation;
          kernel.push(t);
        }
      }
      this.work += closure.chars.length;
      const sorted = Int32Array.from(kernel).sort();
      target = this.intern(sorted, lookahead & ~CTX_SCAN_START, closure.matches);
    }
    // intern may have grown the table, so index it again rather than through a saved view.
    this.table[slot] = target;
    return target;
  }

  /** Everything needed to recreate `state` after clear(). */
  snapshot(state: number): { kernel: Int32Array; context: number; emitted: readonly number[]; matched: boolean } {
    return {
      kernel: this.kernels[state]!,
      context: this.contexts[state]!,
      emitted: this.emittedIds[state]!,
      matched: state === this.matchedState,
    };
  }

  restore(snapshot: ReturnType<Determinizer['snapshot']>): number {
    if (snapshot.matched) return this.matchedOrCreate();
    return this.intern(snapshot.kernel, snapshot.context, snapshot.emitted);
  }

  /** Forgets every state (for scans that would otherwise outgrow the budget). */
  clear(): void {
    this.epoch++;
    this.kernels = [];
    this.contexts = [];
    this.emittedIds = [];
    this.endIds = [];
    this.closureState = NO_STATE;
    this.closureCache = [];
    this.table = new Int32Array(0);
    this.index = new Map();
    this.matchedState = NO_STATE;
  }

  private matchedOrCreate(): number {
    if (this.matchedState === NO_STATE) {
      this.matchedState = this.addState(new Int32Array(0), 0, EMPTY, EMPTY);
    }
    return this.matchedState;
  }

  private intern(kernel: Int32Array, context: number, emitted: readonly number[]): number {
    const testMode = this.options.mode === 'test';
    if (testMode && emitted.length > 0) return this.matchedOrCreate();
    const key = testMode ? EMPTY : emitted;
    // Hashing, comparing and storing a kernel costs its length, so that counts as work too.
    this.work += kernel.length;
    const hash = hashState(kernel, context, key);
    let bucket = this.index.get(hash);
    if (bucket === undefined) {
      bucket = [];
      this.index.set(hash, bucket);
    }
    for (const entry of bucket) {
      if (entry.context === context && sameNumbers(entry.kernel, kernel) && sameNumbers(entry.emitted, key)) return entry.id;
    }
    const endAccepts = this.closure(kernel, context, LOOKAHEAD_END).matches;
    let id = NO_STATE;
    if (testMode && endAccepts.length > 0) {
      // A match that ends here whatever follows is already a match.
      const certain = this.lookaheads.every((lookahead) => this.closure(kernel, context, lookahead).matches.length > 0);
      if (certain) id = this.matchedOrCreate();
    }
    if (id === NO_STATE) id = this.addState(kernel, context, key, endAccepts);
    bucket.push({ kernel, context, emitted: key, id });
    return id;
  }

  private addState(kernel: Int32Array, context: number, emitted: readonly number[], endAccepts: readonly number[]): number {
    const id = this.kernels.length;
    if (id >= this.options.stateBudget) throw new AutomatonTooLarge('states');
    this.kernels.push(kernel);
    this.contexts.push(context);
    this.emittedIds.push(emitted);
    this.endIds.push(endAccepts);
    const needed = (id + 1) * this.classCount;
    if (needed > this.table.length) {
      const grown = new Int32Array(Math.max(needed, this.table.length * 2, 64 * this.classCount)).fill(NO_STATE);
      grown.set(this.table);
      this.table = grown;
    }
    return id;
  }

  private closureOf(state: number, lookahead: number): Closure {
    if (state !== this.closureState) {
      this.closureState = state;
      this.closureCache = [];
    }
    let closure = this.closureCache[lookahead];
    if (closure === undefined) {
      closure = this.closure(this.kernels[state]!, this.contexts[state]!, lookahead);
      this.closureCache[lookahead] = closure;
    }
    return closure;
  }

  /** Epsilon closure of `kernel` with assertions decided by `context` and `lookahead`. */
  private closure(kernel: Int32Array, context: number, lookahead: number): Closure {
    const { kind, out, arg, alternatives } = this.nfa;
    const stamp = this.stamp;
    const generation = ++this.stampGeneration;
    const stack = this.stack;
    const chars: number[] = [];
    let matches: number[] | undefined;
    for (let i = kernel.length - 1; i >= 0; i--) stack.push(kernel[i]!);
    let visited = 0;
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (stamp[s] === generation) continue;
      stamp[s] = generation;
      visited++;
      switch (kind[s]) {
        case NFA_CHAR:
          chars.push(s);
          break;
        case NFA_MATCH:
          (matches ??= []).push(arg[s]!);
          break;
        case NFA_ASSERT:
          if (assertionHolds(arg[s]!, context, lookahead)) stack.push(out[s]!);
          break;
        default: {
          const alts = alternatives[s]!;
          for (let i = alts.length - 1; i >= 0; i--) stack.push(alts[i]!);
        }
      }
    }
    this.work += visited;
    if (this.work > this.options.workBudget) throw new AutomatonTooLarge('work');
    if (matches !== undefined && matches.length > 1) matches = [...new Set(matches)].sort((a, b) => a - b);
    return { chars, matches: matches ?? EMPTY };
  }
}

interface IndexEntry {
  readonly kernel: Int32Array;
  readonly context: number;
  readonly emitted: readonly number[];
  readonly id: number;
}

function hashState(kernel: Int32Array, context: number, emitted: readonly number[]): number {
  let h = 0x811c9dc5 ^ context;
  for (let i = 0; i < kernel.length; i++) h = Math.imul(h ^ kernel[i]!, 0x01000193);
  h = Math.imul(h ^ 0xffff, 0x01000193);
  for (const id of emitted) h = Math.imul(h ^ id, 0x01000193);
  return h;
}

function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function assertionHolds(code: number, context: number, lookahead: number): boolean {
  switch (code & 15) {
    case ASSERT_SCAN_START:
      return (context & CTX_SCAN_START) !== 0;
    case ASSERT_SCAN_END:
      return lookahead === LOOKAHEAD_END;
    case ASSERT_WORD_BOUNDARY: {
      const bit = code >> 4;
      return ((context & bit) !== 0) !== ((lookahead & bit) !== 0);
    }
    case ASSERT_NOT_WORD_BOUNDARY: {
      const bit = code >> 4;
      return ((context & bit) !== 0) === ((lookahead & bit) !== 0);
    }
    default:
      return false;
  }
}
