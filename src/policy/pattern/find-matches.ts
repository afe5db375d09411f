// findMatches: the spans to redact. Leftmost-longest, non-overlapping, non-empty matches, as
// UTF-16 offsets, found without backtracking:
//
//   1. one right-to-left pass with a reversed, unanchored automaton marks every offset where
//      some match starts (assertions only look at neighbouring code points, so this does not
//      depend on where the previous match ended);
//   2. from the first marked offset at or after the current position, an anchored forward
//      automaton runs until it dies, remembering the last offset where a match ended: that is
//      the longest match starting there; the search resumes at its end.
//
// Cost: pass 1 is one step per code point. Pass 2 can overrun a match's end (the automaton
// stays alive past it), and the next search may start inside that overrun; each (state,
// offset) pair of an overrun is memoised, so no pair is stepped twice and pass 2 is bounded by
// O(n · |Q|) steps for |Q| forward states, i.e. linear in the text for a fixed pattern, and in
// practice close to n. Both automata are built lazily over the text actually scanned; if one
// outgrows the state budget its cache is flushed and rebuilt, which keeps memory bounded and
// costs at most one NFA closure per code point.

import { alphabetClassOf, buildAlphabet, type Alphabet } from './alphabet.js';
import { checkAnchorPlacement } from './anchor-placement.js';
import type { PatternAst } from './ast.js';
import { AutomatonTooLarge, DEFAULT_STATE_BUDGET } from './budget.js';
import { Determinizer } from './determinizer.js';
import type { Dfa } from './dfa.js';
import { buildNfa, CTX_SCAN_START, wordSetsFor, type Nfa } from './nfa.js';
import { parsePattern } from './parser.js';
import { dfaTest } from './runner.js';

interface ScanAutomaton {
  readonly det: Determinizer;
  readonly alphabet: Alphabet;
  readonly asciiClass: Int32Array;
}

interface MatchAutomata {
  readonly forward: ScanAutomaton;
  readonly reverse: ScanAutomaton;
}

const patternsOf = new WeakMap<Dfa, readonly PatternAst[]>();
const automataOf = new WeakMap<Dfa, MatchAutomata>();

/** Called by the compilers so findMatches can build its automata without re-parsing. */
export function registerPatterns(dfa: Dfa, patterns: readonly PatternAst[]): void {
  patternsOf.set(dfa, patterns);
}

function scanAutomaton(nfa: Nfa): ScanAutomaton {
  const alphabet = buildAlphabet(nfa.sets, wordSetsFor(nfa));
  const det = new Determinizer(nfa, alphabet, { mode: 'report', stateBudget: DEFAULT_STATE_BUDGET, workBudget: Infinity });
  const asciiClass = new Int32Array(128);
  for (let cp = 0; cp < 128; cp++) asciiClass[cp] = alphabetClassOf(alphabet, cp);
  return { det, alphabet, asciiClass };
}

function automataFor(dfa: Dfa): MatchAutomata {
  const cached = automataOf.get(dfa);
  if (cached !== undefined) return cached;
  let patterns = patternsOf.get(dfa);
  if (patterns === undefined) {
    // A DFA that did not come from this process (e.g. loaded from a bundle): recompile its source.
    const parsed = parsePattern(dfa.source);
    if (!parsed.ok || checkAnchorPlacement(parsed.ast.root) !== undefined) {
      throw new TypeError(`findMatches: the dfa's source \`${dfa.source}\` is not a valid pattern`);
    }
    patterns = [parsed.ast];
  }
  const automata: MatchAutomata = {
    forward: scanAutomaton(buildNfa(patterns, { reverse: false, unanchored: false })),
    reverse: scanAutomaton(buildNfa(patterns, { reverse: true, unanchored: true })),
  };
  automataOf.set(dfa, automata);
  return automata;
}

function classOf(automaton: ScanAutomaton, cp: number): number {
  return cp < 128 ? automaton.asciiClass[cp]! : alphabetClassOf(automaton.alphabet, cp);
}

/** One transition; a cache that outgrows its budget is flushed and the state rebuilt. */
function step(det: Determinizer, state: number, cls: number): number {
  try {
    return det.next(state, cls);
  } catch (error) {
    if (!(error instanceof AutomatonTooLarge)) throw error;
    const snapshot = det.snapshot(state);
    det.clear();
    return det.next(det.restore(snapshot), cls);
  }
}

function startState(det: Determinizer, context: number): number {
  try {
    return det.start(context);
  } catch (error) {
    if (!(error instanceof AutomatonTooLarge)) throw error;
    det.clear();
    return det.start(context);
  }
}

function codePointBefore(text: string, end: number): number {
  const low = text.charCodeAt(end - 1);
  if (low >= 0xdc00 && low <= 0xdfff && end >= 2) {
    const high = text.charCodeAt(end - 2);
    if (high >= 0xd800 && high <= 0xdbff) return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
  }
  return low;
}

function codePointAt(text: string, at: number): number {
  const high = text.charCodeAt(at);
  if (high >= 0xd800 && high <= 0xdbff && at + 1 < text.length) {
    const low = text.charCodeAt(at + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
  }
  return high;
}

/** Offsets (0..n) where at least one match starts. */
function matchStarts(reverse: ScanAutomaton, text: string): Uint8Array {
  const starts = new Uint8Array(text.length + 1);
  const det = reverse.det;
  let state = startState(det, CTX_SCAN_START);
  for (let end = text.length; end > 0; ) {
    const cp = codePointBefore(text, end);
    state = step(det, state, classOf(reverse, cp));
    // The closure on this step had `cp` as lookahead and `end` as position.
    if (det.emitted(state).length > 0) starts[end] = 1;
    end -= cp > 0xffff ? 2 : 1;
  }
  if (det.endAccepts(state).length > 0) starts[0] = 1;
  return starts;
}

const MEMO_STRIDE = 1 << 15; // above any state id the budget allows

/** Longest-match search from successive starts, memoising overruns. */
class LongestExtender {
  private readonly memo = new Map<number, number>();
  private memoEpoch: number;
  private memoLimit = -1;
  private readonly pathOffsets: number[] = [];
  private readonly pathStates: number[] = [];
  private readonly pathEmits: boolean[] = [];

  constructor(
    private readonly forward: ScanAutomaton,
    private readonly text: string,
  ) {
    this.memoEpoch = forward.det.epoch;
  }

  /** The end of the longest match starting at `from`, or -1 if none. */
  longestFrom(from: number): number {
    const { det } = this.forward;
    const text = this.text;
    const n = text.length;
    if (det.epoch !== this.memoEpoch) this.resetMemo();
    const context = from === 0 ? CTX_SCAN_START : this.forward.alphabet.classWordBits[classOf(this.forward, codePointBefore(text, from))]!;
    let state = startState(det, context);
    const offsets = this.pathOffsets;
    const states = this.pathStates;
    const emits = this.pathEmits;
    offsets.length = states.length = emits.length = 0;
    let tail = -1;
    let at = from;
    for (;;) {
      if (at <= this.memoLimit) {
        const known = this.memo.get(at * MEMO_STRIDE + state);
        if (known !== undefined) {
          tail = known;
          break;
        }
      }
      if (at >= n) {
        if (det.endAccepts(state).length > 0) tail = n;
        break;
      }
      const cp = codePointAt(text, at);
      const next = step(det, state, classOf(this.forward, cp));
      offsets.push(at);
      states.push(state);
      emits.push(det.emitted(next).length > 0);
      state = next;
      at += cp > 0xffff ? 2 : 1;
      if (det.isDead(state)) break;
    }
    // Walk back to give every visited (state, offset) its furthest reachable match end.
    let best = tail;
    const results = new Array<number>(offsets.length);
    for (let i = offsets.length - 1; i >= 0; i--) {
      if (emits[i] && offsets[i]! > best) best = offsets[i]!;
      results[i] = best;
    }
    if (det.epoch !== this.memoEpoch) {
      // The cache was flushed mid-run: these state ids are stale, remember nothing.
      this.resetMemo();
    } else {
      // Later searches start at or after this match's end, so only the overrun can recur.
      for (let i = offsets.length - 1; i >= 0 && offsets[i]! >= best; i--) {
        this.memo.set(offsets[i]! * MEMO_STRIDE + states[i]!, results[i]!);
        if (offsets[i]! > this.memoLimit) this.memoLimit = offsets[i]!;
      }
    }
    return best;
  }

  private resetMemo(): void {
    this.memo.clear();
    this.memoLimit = -1;
    this.memoEpoch = this.forward.det.epoch;
  }
}

/**
 * Non-overlapping, leftmost-longest, non-empty matches of the pattern in `text`, as
 * `[start, end)` UTF-16 offsets in ascending order. Empty matches are skipped: they have
 * nothing to redact.
 */
export function findMatches(dfa: Dfa, text: string): Array<[start: number, end: number]> {
  if (!dfaTest(dfa, text)) return [];
  const { forward, reverse } = automataFor(dfa);
  const starts = matchStarts(reverse, text);
  const extender = new LongestExtender(forward, text);
  const spans: Array<[number, number]> = [];
  const n = text.length;
  for (let at = 0; at <= n; ) {
    while (at <= n && starts[at] === 0) at++;
    if (at > n) break;
    const end = extender.longestFrom(at);
    if (end > at) {
      spans.push([at, end]);
      at = end;
    } else {
      at += at < n && codePointAt(text, at) > 0xffff ? 2 : 1;
    }
  }
  return spans;
}
