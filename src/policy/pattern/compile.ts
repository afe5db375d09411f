// compilePattern: the whole pipeline for one pattern. parse → validate anchors → Thompson NFA
// (with the unanchored `.*?` prefix built in) → character classes → subset construction →
// minimisation → kernel table. Never throws: every failure, including an automaton over
// budget, comes back as diagnostics.

import { buildAlphabet, type Alphabet } from './alphabet.js';
import { checkAnchorPlacement, isAnchoredAtStart } from './anchor-placement.js';
import type { PatternAst } from './ast.js';
import { AutomatonTooLarge, DEFAULT_STATE_BUDGET, DEFAULT_WORK_BUDGET } from './budget.js';
import { Determinizer, type DeterminizeMode } from './determinizer.js';
import { ACCEPT_AT_END, ACCEPT_MATCHED, emitDfa, type Dfa } from './dfa.js';
import { patternDiagnostic, type PatternDiagnostic } from './diagnostics.js';
import { registerPatterns } from './find-matches.js';
import { buildNfa, CTX_SCAN_START, estimateNfaSize, MAX_NFA_STATES, wordSetsFor, type Nfa } from './nfa.js';
import { parsePattern } from './parser.js';

export interface CompilePatternOptions {
  /** most DFA states construction may create (default 10,000; at most 65,535, the table is 16-bit) */
  stateBudget?: number;
}

export type CompilePatternResult = { ok: true; dfa: Dfa } | { ok: false; diagnostics: PatternDiagnostic[] };

const MAX_STATE_BUDGET = 0xffff;

export function compilePattern(source: string, options: CompilePatternOptions = {}): CompilePatternResult {
  try {
    if (typeof source !== 'string') {
      return fail(patternDiagnostic('empty-pattern', 'the pattern is not a string', 0, 0, 'write the pattern as a string'));
    }
    const front = parseAndValidate(source);
    if (!front.ok) return front;
    const ast = front.ast;
    const anchoredStart = isAnchoredAtStart(ast.root);
    const nfa = buildNfa([ast], { reverse: false, unanchored: !anchoredStart });
    const built = determinize(nfa, 'test', stateBudgetOf(options));
    const accept = new Uint8Array(built.det.stateCount);
    for (let s = 0; s < accept.length; s++) {
      if (s === built.det.matched) accept[s] = ACCEPT_MATCHED | ACCEPT_AT_END;
      else if (built.det.endAccepts(s).length > 0) accept[s] = ACCEPT_AT_END;
    }
    const { dfa } = emitDfa({ stateCount: built.det.stateCount, table: built.det.transitionTable(), start: built.start, accept }, built.alphabet);
    const result: Dfa = { source, ...dfa, anchoredStart };
    registerPatterns(result, [ast]);
    return { ok: true, dfa: result };
  } catch (error) {
    return fail(compileFailure(error, typeof source === 'string' ? source.length : 0));
  }
}

export function stateBudgetOf(options: CompilePatternOptions): number {
  const budget = options.stateBudget ?? DEFAULT_STATE_BUDGET;
  return Number.isFinite(budget) ? Math.max(1, Math.min(MAX_STATE_BUDGET, Math.floor(budget))) : DEFAULT_STATE_BUDGET;
}

/** Parsing plus the checks that need the whole AST. */
export function parseAndValidate(source: string): { ok: true; ast: PatternAst } | { ok: false; diagnostics: PatternDiagnostic[] } {
  const parsed = parsePattern(source);
  if (!parsed.ok) return parsed;
  const misplaced = checkAnchorPlacement(parsed.ast.root);
  if (misplaced !== undefined) return fail(misplaced);
  const { culprit } = estimateNfaSize(parsed.ast.root);
  if (culprit !== undefined) {
    return fail(
      patternDiagnostic(
        'pattern-too-complex',
        `this part of the pattern expands to more than ${MAX_NFA_STATES} automaton states`,
        culprit.offset,
        culprit.length,
        'use smaller repetition counts, or an open bound like `{n,}` instead of nesting counted repeats',
      ),
    );
  }
  return parsed;
}

/** Subset construction driven to completion from the start state. */
export function determinize(nfa: Nfa, mode: DeterminizeMode, stateBudget: number): { det: Determinizer; alphabet: Alphabet; start: number } {
  const alphabet = buildAlphabet(nfa.sets, wordSetsFor(nfa));
  const det = new Determinizer(nfa, alphabet, { mode, stateBudget, workBudget: DEFAULT_WORK_BUDGET });
  const start = det.start(CTX_SCAN_START);
  for (let s = 0; s < det.stateCount; s++) {
    for (let c = 0; c < alphabet.classCount; c++) det.next(s, c);
  }
  return { det, alphabet, start };
}

export function compileFailure(error: unknown, sourceLength: number): PatternDiagnostic {
  if (error instanceof AutomatonTooLarge) {
    const what = error.limit === 'states' ? 'needs too many automaton states' : 'takes too much work to compile';
    return patternDiagnostic(
      'pattern-too-complex',
      `the pattern ${what}`,
      0,
      sourceLength,
      'simplify it: avoid a counted repeat after an open-ended one (like `.*a.{20}`), and split alternatives into separate patterns',
    );
  }
  // Reaching this is a bug in the compiler, but a policy load must still get a value back.
  const detail = error instanceof Error ? error.message : String(error);
  return patternDiagnostic('internal-error', `the pattern compiler failed: ${detail}`, 0, sourceLength);
}

function fail(diagnostic: PatternDiagnostic): { ok: false; diagnostics: PatternDiagnostic[] } {
  return { ok: false, diagnostics: [diagnostic] };
}
