// Thompson NFA built from one or more pattern ASTs. Assertions (`^`, `$`, `\b`, `\B`) stay as
// conditional epsilon edges; the determinizer resolves them from the previous code point (kept
// in each DFA state) and the next one (the transition's class), so the DFA runner needs no
// lookaround of its own. The same builder emits the reversed automaton used to find where
// matches start.

import type { WordSet } from './alphabet.js';
import type { AssertionKind, PatternAst, PatternNode } from './ast.js';
import { caseClose } from './case-folding.js';
import { CodePointSet } from './code-point-set.js';
import { wordCharacters } from './character-classes.js';

export const NFA_SPLIT = 0;
export const NFA_CHAR = 1;
export const NFA_ASSERT = 2;
export const NFA_MATCH = 3;

/** Assertion codes, in scan direction: a reversed automaton swaps `^` and `$`. */
export const ASSERT_SCAN_START = 0;
export const ASSERT_SCAN_END = 1;
export const ASSERT_WORD_BOUNDARY = 2;
export const ASSERT_NOT_WORD_BOUNDARY = 3;

/**
 * Context bits: what the determinizer remembers about the previous code point. `\b` in a
 * case-insensitive pattern counts U+017F and U+212A as word characters and in a
 * case-sensitive one it does not, so a pattern set mixing both needs both bits.
 */
export const CTX_SCAN_START = 1;
export const WORD_BASIC = 2;
export const WORD_CASELESS = 4;
/** Lookahead value for the end of the input (carries no word bits). */
export const LOOKAHEAD_END = 8;

export interface Nfa {
  readonly kind: Uint8Array;
  /** successor of CHAR and ASSERT states */
  readonly out: Int32Array;
  /** successors of SPLIT states */
  readonly alternatives: ReadonlyArray<readonly number[] | undefined>;
  /** CHAR: set id; ASSERT: code | word bit << 4; MATCH: pattern id */
  readonly arg: Int32Array;
  readonly sets: readonly CodePointSet[];
  readonly start: number;
  /** context bits any assertion reads; the determinizer forgets the others */
  readonly contextMask: number;
}

/** Upper bound on NFA size; beyond it repetitions are expanded too far to determinize. */
export const MAX_NFA_STATES = 100_000;

export interface NfaBuildOptions {
  /** read the input right to left (for finding where matches start) */
  reverse: boolean;
  /** allow matches to start anywhere, not only where the scan starts */
  unanchored: boolean;
}

class NfaBuilder {
  readonly kind: number[] = [];
  readonly out: number[] = [];
  readonly alternatives: Array<number[] | undefined> = [];
  readonly arg: number[] = [];
  readonly sets: CodePointSet[] = [];
  private readonly setIds = new Map<string, number>();
  contextMask = 0;

  add(kind: number, out: number, arg: number, alternatives?: number[]): number {
    this.kind.push(kind);
    this.out.push(out);
    this.arg.push(arg);
    this.alternatives.push(alternatives);
    return this.kind.length - 1;
  }

  internSet(set: CodePointSet): number {
    const key = set.key();
    let id = this.setIds.get(key);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(set);
      this.setIds.set(key, id);
    }
    return id;
  }

  build(start: number): Nfa {
    return {
      kind: Uint8Array.from(this.kind),
      out: Int32Array.from(this.out),
      alternatives: this.alternatives,
      arg: Int32Array.from(this.arg),
      sets: this.sets,
      start,
      contextMask: this.contextMask,
    };
  }
}

/** Lowers one pattern into `builder`, ending in `next`; returns its entry state. */
class PatternLowering {
  private readonly setOf = new Map<PatternNode, number>();
  private readonly wordBit: number;

  constructor(
    private readonly builder: NfaBuilder,
    private readonly ast: PatternAst,
    private readonly reverse: boolean,
  ) {
    this.wordBit = ast.flags.caseInsensitive ? WORD_CASELESS : WORD_BASIC;
  }

  lower(node: PatternNode, next: number): number {
    const b = this.builder;
    switch (node.kind) {
      case 'empty':
        return next;
      case 'chars':
        return b.add(NFA_CHAR, next, this.charSet(node));
      case 'group':
        return this.lower(node.body, next);
      case 'sequence': {
        const items = node.items;
        let entry = next;
        // Built back to front: each item's continuation is the item after it (before it when
        // the automaton reads right to left).
        if (this.reverse) for (let i = 0; i < items.length; i++) entry = this.lower(items[i]!, entry);
        else for (let i = items.length - 1; i >= 0; i--) entry = this.lower(items[i]!, entry);
        return entry;
      }
      case 'alternation':
        // `a|b|\d` is one set, not three threads: fewer NFA states to track per DFA state.
        if (node.alternatives.every((alt) => alt.kind === 'chars')) return b.add(NFA_CHAR, next, this.charSet(node));
        return b.add(NFA_SPLIT, -1, 0, node.alternatives.map((alt) => this.lower(alt, next)));
      case 'repeat':
        return this.lowerRepeat(node.body, node.min, node.max, next);
      case 'assertion':
        return b.add(NFA_ASSERT, next, this.assertionArg(node.assertion));
    }
  }

  private lowerRepeat(body: PatternNode, min: number, max: number, next: number): number {
    const b = this.builder;
    let entry: number;
    if (max === Infinity) {
      const loop = b.add(NFA_SPLIT, -1, 0, []);
      b.alternatives[loop] = [this.lower(body, loop), next];
      entry = loop;
    } else {
      // Optional copies nest, `(?:x(?:x(?:x)?)?)?`, rather than chain, `x?x?x?`: after k copies
      // exactly one NFA state is live instead of up to k, which keeps `{24,99}` cheap to
      // determinize.
      entry = next;
      for (let k = min; k < max; k++) entry = b.add(NFA_SPLIT, -1, 0, [this.lower(body, entry), next]);
    }
    for (let k = 0; k < min; k++) entry = this.lower(body, entry);
    return entry;
  }

  private assertionArg(assertion: AssertionKind): number {
    switch (assertion) {
      case 'start':
        return this.scanAssertion(!this.reverse);
      case 'end':
        return this.scanAssertion(this.reverse);
      case 'word-boundary':
        this.builder.contextMask |= this.wordBit;
        return ASSERT_WORD_BOUNDARY | (this.wordBit << 4);
      case 'not-word-boundary':
        this.builder.contextMask |= this.wordBit;
        return ASSERT_NOT_WORD_BOUNDARY | (this.wordBit << 4);
    }
  }

  private scanAssertion(atScanStart: boolean): number {
    if (atScanStart) {
      this.builder.contextMask |= CTX_SCAN_START;
      return ASSERT_SCAN_START;
    }
    return ASSERT_SCAN_END;
  }

  /**
   * The set a `chars` node (or an alternation of them) matches. JS semantics under `i`: a set
   * matches what folds like a member, and `[^…]` negates after folding.
   */
  private charSet(node: PatternNode): number {
    let id = this.setOf.get(node);
    if (id === undefined) {
      id = this.builder.internSet(this.foldedSet(node));
      this.setOf.set(node, id);
    }
    return id;
  }

  private foldedSet(node: PatternNode): CodePointSet {
    if (node.kind === 'alternation') {
      return node.alternatives.reduce((set, alt) => set.union(this.foldedSet(alt)), CodePointSet.empty);
    }
    if (node.kind !== 'chars') return CodePointSet.empty;
    const set = this.ast.flags.caseInsensitive ? caseClose(node.set) : node.set;
    return node.negated ? set.complement() : set;
  }
}

/** The NFA for `patterns` (match states carry each pattern's index). */
export function buildNfa(patterns: readonly PatternAst[], options: NfaBuildOptions): Nfa {
  const builder = new NfaBuilder();
  const entries = patterns.map((ast, id) => {
    const match = builder.add(NFA_MATCH, -1, id);
    return new PatternLowering(builder, ast, options.reverse).lower(ast.root, match);
  });
  let start = entries.length === 1 ? entries[0]! : builder.add(NFA_SPLIT, -1, 0, entries);
  if (options.unanchored) {
    // The `.*?` prefix of a search: a loop over any code point that re-enters the pattern at
    // every position.
    const loop = builder.add(NFA_SPLIT, -1, 0, []);
    const any = builder.add(NFA_CHAR, loop, builder.internSet(CodePointSet.all));
    builder.alternatives[loop] = [start, any];
    start = loop;
  }
  return builder.build(start);
}

/** The word sets an NFA's `\b`/`\B` read, which the alphabet must not split a class across. */
export function wordSetsFor(nfa: Nfa): WordSet[] {
  const sets: WordSet[] = [];
  if (nfa.contextMask & WORD_BASIC) sets.push({ bit: WORD_BASIC, set: wordCharacters(false) });
  if (nfa.contextMask & WORD_CASELESS) sets.push({ bit: WORD_CASELESS, set: wordCharacters(true) });
  return sets;
}

/** NFA states a pattern would expand to, or the repeat that makes it too large. */
export function estimateNfaSize(node: PatternNode): { size: number; culprit?: PatternNode } {
  switch (node.kind) {
    case 'empty':
      return { size: 0 };
    case 'chars':
    case 'assertion':
      return { size: 1 };
    case 'group':
      return estimateNfaSize(node.body);
    case 'sequence':
    case 'alternation': {
      let size = node.kind === 'alternation' ? 1 : 0;
      for (const child of node.kind === 'sequence' ? node.items : node.alternatives) {
        const inner = estimateNfaSize(child);
        if (inner.culprit !== undefined) return inner;
        size += inner.size;
        if (size > MAX_NFA_STATES) return { size, culprit: node };
      }
      return { size };
    }
    case 'repeat': {
      const inner = estimateNfaSize(node.body);
      if (inner.culprit !== undefined) return inner;
      const copies = node.max === Infinity ? node.min + 1 : node.max;
      const size = (inner.size + 1) * Math.max(copies, 1);
      return size > MAX_NFA_STATES ? { size, culprit: node } : { size };
    }
  }
}
