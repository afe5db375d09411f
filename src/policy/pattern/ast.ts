// The pattern AST: what the parser understood, before any automaton exists. Character-matching
// constructs are already resolved to code point sets (without case folding, which lowering
// applies), so later stages only see sets, sequences, choices, repeats and assertions.

import type { CodePointSet } from './code-point-set.js';

interface Located {
  /** UTF-16 offset of the construct in the pattern source */
  offset: number;
  length: number;
}

export type AssertionKind = 'start' | 'end' | 'word-boundary' | 'not-word-boundary';

export type PatternNode =
  | (Located & { kind: 'empty' })
  /**
   * Matches one code point. With `negated` the node matches what is NOT in the (case-closed)
   * set, which is how JS defines `[^...]` under the `i` flag.
   */
  | (Located & { kind: 'chars'; set: CodePointSet; negated: boolean })
  | (Located & { kind: 'sequence'; items: PatternNode[] })
  | (Located & { kind: 'alternation'; alternatives: PatternNode[] })
  /** every group is non-capturing for matching purposes; `name` is kept for diagnostics */
  | (Located & { kind: 'group'; body: PatternNode; name?: string })
  /** `max` is Infinity when unbounded; lazy and greedy forms accept the same language */
  | (Located & { kind: 'repeat'; body: PatternNode; min: number; max: number })
  | (Located & { kind: 'assertion'; assertion: AssertionKind });

export interface PatternFlags {
  /** `(?i)` */
  caseInsensitive: boolean;
  /** `(?s)` */
  dotAll: boolean;
}

export interface PatternAst {
  source: string;
  flags: PatternFlags;
  root: PatternNode;
}
