// compilePatternSet: many patterns in one DFA, so a security detector scans a text once to
// learn which of its patterns occur. The NFAs are unioned (each pattern keeps its own flags),
// determinized in `report` mode and minimised with per-state pattern lists kept apart.
//
// Running it (dfaMatchSet is the reference): decode each code point to its class and step as
// for a single pattern; after each step, every id in
// `acceptIds[acceptSet[state] .. acceptSet[state + 1])` has matched; at the end of the input so
// has every id in `endAcceptIds[endAcceptSet[state] .. endAcceptSet[state + 1])`. Stop early on
// `dead`, or once every pattern has matched. A pattern's match is reported on the step after
// it ends (the step that showed no lookahead assertion stands in its way), or at the end.
// `accept` keeps its single-pattern meaning for "did any pattern match", so dfaTest works too.

import { AutomatonTooLarge } from './budget.js';
import { compileFailure, determinize, parseAndValidate, stateBudgetOf, type CompilePatternOptions } from './compile.js';
import type { PatternAst } from './ast.js';
import { isAnchoredAtStart } from './anchor-placement.js';
import { ACCEPT_AT_END, ACCEPT_MATCHED, dfaClassOf, emitDfa, type Dfa } from './dfa.js';
import { patternDiagnostic, type PatternDiagnostic } from './diagnostics.js';
import { registerPatterns } from './find-matches.js';
import { buildNfa } from './nfa.js';

export interface PatternSetDfa extends Dfa {
  /** the patterns, by id (`source` holds them joined by newlines, for display) */
  sources: string[];
  patternCount: number;
  /** stateCount + 1 offsets into `acceptIds`: patterns whose match ended on the step into the state */
  acceptSet: Uint32Array;
  acceptIds: Uint32Array;
  /** stateCount + 1 offsets into `endAcceptIds`: patterns that match if the input ends in the state */
  endAcceptSet: Uint32Array;
  endAcceptIds: Uint32Array;
}

/** A diagnostic of one pattern of the set; `patternIndex` is -1 when the set as a whole failed. */
export interface PatternSetDiagnostic extends PatternDiagnostic {
  patternIndex: number;
}

export type CompilePatternSetResult = { ok: true; dfa: PatternSetDfa } | { ok: false; diagnostics: PatternSetDiagnostic[] };

export function compilePatternSet(sources: readonly string[], options: CompilePatternOptions = {}): CompilePatternSetResult {
  if (!Array.isArray(sources)) {
    return {
      ok: false,
      diagnostics: [{ ...patternDiagnostic('empty-pattern', 'the pattern set is not an array', 0, 0, 'pass the patterns as an array of strings'), patternIndex: -1 }],
    };
  }
  const diagnostics: PatternSetDiagnostic[] = [];
  const asts: PatternAst[] = [];
  sources.forEach((source, patternIndex) => {
    try {
      const front = typeof source === 'string' ? parseAndValidate(source) : parseAndValidate('');
      if (front.ok) asts.push(front.ast);
      else for (const d of front.diagnostics) diagnostics.push({ ...d, patternIndex });
    } catch (error) {
      diagnostics.push({ ...compileFailure(error, typeof source === 'string' ? source.length : 0), patternIndex });
    }
  });
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  try {
    const anchoredStart = asts.length > 0 && asts.every((ast) => isAnchoredAtStart(ast.root));
    const nfa = buildNfa(asts, { reverse: false, unanchored: !anchoredStart });
    const { det, alphabet, start } = determinize(nfa, 'report', stateBudgetOf(options));
    const rawCount = det.stateCount;
    const accept = new Uint8Array(rawCount);
    for (let s = 0; s < rawCount; s++) {
      accept[s] = (det.emitted(s).length > 0 ? ACCEPT_MATCHED : 0) | (det.endAccepts(s).length > 0 ? ACCEPT_AT_END : 0);
    }
    const signature = (s: number): string => `${det.emitted(s).join(',')}|${det.endAccepts(s).join(',')}`;
    const { dfa, representative } = emitDfa({ stateCount: rawCount, table: det.transitionTable(), start, accept, signature }, alphabet);
    const emitted = packLists(representative, (s) => det.emitted(s));
    const atEnd = packLists(representative, (s) => det.endAccepts(s));
    const result: PatternSetDfa = {
      source: sources.join('\n'),
      ...dfa,
      anchoredStart,
      sources: [...sources],
      patternCount: sources.length,
      acceptSet: emitted.offsets,
      acceptIds: emitted.ids,
      endAcceptSet: atEnd.offsets,
      endAcceptIds: atEnd.ids,
    };
    registerPatterns(result, asts);
    return { ok: true, dfa: result };
  } catch (error) {
    const diagnostic = compileFailure(error, 0);
    if (error instanceof AutomatonTooLarge) {
      diagnostic.message = `the pattern set ${error.limit === 'states' ? 'needs too many automaton states' : 'takes too much work to compile'}`;
      diagnostic.help = 'split the set into several smaller sets, or simplify its largest patterns';
    }
    return { ok: false, diagnostics: [{ ...diagnostic, patternIndex: -1 }] };
  }
}

function packLists(representative: Int32Array, listOf: (rawState: number) => readonly number[]): { offsets: Uint32Array; ids: Uint32Array } {
  const offsets = new Uint32Array(representative.length + 1);
  const ids: number[] = [];
  for (let s = 0; s < representative.length; s++) {
    ids.push(...listOf(representative[s]!));
    offsets[s + 1] = ids.length;
  }
  return { offsets, ids: Uint32Array.from(ids) };
}

/** Reference runner for a pattern set: the ids of the patterns that match somewhere in `text`, ascending. */
export function dfaMatchSet(dfa: PatternSetDfa, text: string): number[] {
  const { table, classCount, dead, acceptSet, acceptIds, endAcceptSet, endAcceptIds } = dfa;
  const matched = new Uint8Array(dfa.patternCount);
  let remaining = dfa.patternCount;
  const mark = (from: number, to: number, ids: Uint32Array): void => {
    for (let i = from; i < to; i++) {
      const id = ids[i]!;
      if (matched[id] === 0) {
        matched[id] = 1;
        remaining--;
      }
    }
  };
  let state = dfa.start;
  let stopped = false;
  for (let i = 0; i < text.length && remaining > 0; ) {
    let cp = text.charCodeAt(i++);
    if (cp >= 0xd800 && cp <= 0xdbff && i < text.length) {
      const low = text.charCodeAt(i);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    state = table[state * classCount + dfaClassOf(dfa, cp)]!;
    mark(acceptSet[state]!, acceptSet[state + 1]!, acceptIds);
    if (state === dead) {
      stopped = true;
      break;
    }
  }
  if (!stopped) mark(endAcceptSet[state]!, endAcceptSet[state + 1]!, endAcceptIds);
  const ids: number[] = [];
  matched.forEach((m, id) => m === 1 && ids.push(id));
  return ids;
}
