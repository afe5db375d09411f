// Reference evaluator: the readable specification of what a compiled bundle decides. It walks the
// policy AST directly and keeps run state in plain maps. The Wasm kernel must agree with it on every
// input (test/engine/differential.test.ts); when they differ, this file is right by definition.

import type { StreamEvent } from '../events/types.js';
import type { Condition, Policy, SequencePolicy, Test } from './ast.js';
import { readPath, type FieldPath } from './field-path.js';
import { REPEAT_TABLE } from './bundle-format.js';
import { toolPolicyViolation } from './lower.js';
import { dfaTest } from './pattern/index.js';
import { cachedPattern } from './pattern-cache.js';

/** How the kernel sees a JS value. Values that are not JSON-like are invisible (missing). */
export type ValueClass =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'array'; n: number }
  | { t: 'object'; n: number };

export function classify(v: unknown): ValueClass | undefined {
  switch (typeof v) {
    case 'string':
      return { t: 'str', v: v.isWellFormed() ? v : v.toWellFormed() };
    case 'number':
      return { t: 'num', v };
    case 'boolean':
      return { t: 'bool', v };
    case 'bigint':
      return { t: 'num', v: Number(v) };
    case 'object':
      if (v === null) return { t: 'null' };
      if (Array.isArray(v)) return { t: 'array', n: v.length };
      return { t: 'object', n: Object.keys(v).length };
    default:
      return undefined;
  }
}

function lengthOf(c: ValueClass): number | undefined {
  if (c.t === 'str') return c.v.length;
  if (c.t === 'array' || c.t === 'object') return c.n;
  return undefined;
}

function dfaFor(source: string) {
  const d = cachedPattern(source);
  if (!d) throw new Error(`internal: invalid pattern \`${source}\``);
  return d;
}

export function testValue(test: Test, c: ValueClass): boolean {
  switch (test.op) {
    case 'eq':
    case 'ne':
      return scalarEquals(c, test.value);
    case 'in':
    case 'not_in':
      return test.values.some((x) => scalarEquals(c, x));
    case 'gt':
      return c.t === 'num' && c.v > test.value;
    case 'gte':
      return c.t === 'num' && c.v >= test.value;
    case 'lt':
      return c.t === 'num' && c.v < test.value;
    case 'lte':
      return c.t === 'num' && c.v <= test.value;
    case 'prefix':
      return c.t === 'str' && c.v.startsWith(test.value.toWellFormed());
    case 'suffix':
      return c.t === 'str' && c.v.endsWith(test.value.toWellFormed());
    case 'contains':
      return c.t === 'str' && c.v.includes(test.value.toWellFormed());
    case 'pattern':
      return c.t === 'str' && dfaTest(dfaFor(test.source), c.v);
    case 'length': {
      const n = lengthOf(c);
      if (n === undefined) return false;
      switch (test.compare) {
        case 'eq':
          return n === test.value;
        case 'ne':
          return n !== test.value;
        case 'gt':
          return n > test.value;
        case 'gte':
          return n >= test.value;
        case 'lt':
          return n < test.value;
        case 'lte':
          return n <= test.value;
      }
    }
    // exists is decided on the whole value list, never per value
    // eslint-disable-next-line no-fallthrough
    case 'exists':
      return false;
  }
}

function scalarEquals(c: ValueClass, x: string | number | boolean | null): boolean {
  if (x === null) return c.t === 'null';
  if (typeof x === 'string') return c.t === 'str' && c.v === x.toWellFormed();
  if (typeof x === 'number') return c.t === 'num' && c.v === x;
  return c.t === 'bool' && c.v === x;
}

/** Values a path selects, as the kernel sees them. */
export function valuesAt(event: unknown, path: FieldPath): ValueClass[] {
  const out: ValueClass[] = [];
  for (const v of readPath(event, path)) {
    const c = classify(v);
    if (c) out.push(c);
  }
  return out;
}

/** Any-value semantics: a test holds when some selected value satisfies it; `ne`/`not_in` when none does. */
export function evalCondition(c: Condition | undefined, event: unknown): boolean {
  if (c === undefined) return true;
  switch (c.kind) {
    case 'all':
      return c.items.every((i) => evalCondition(i, event));
    case 'any':
      return c.items.some((i) => evalCondition(i, event));
    case 'not':
      return !evalCondition(c.item, event);
    case 'test': {
      const vals = valuesAt(event, c.field);
      if (c.test.op === 'exists') return vals.length > 0 === c.test.value;
      const hit = vals.some((v) => testValue(c.test, v));
      return c.test.op === 'ne' || c.test.op === 'not_in' ? !hit : hit;
    }
  }
}

type SeqState =
  | { kind: 'count'; n: number }
  | { kind: 'window'; ring: number[]; head: number }
  | { kind: 'sum'; total: number }
  | { kind: 'after'; seen: boolean }
  | { kind: 'repeat'; table: { lo: number; hi: number; count: number }[] };

function freshState(p: SequencePolicy): SeqState {
  const s = p.sequence;
  switch (s.kind) {
    case 'count':
      return s.windowMs === undefined ? { kind: 'count', n: 0 } : { kind: 'window', ring: new Array<number>(s.max + 1).fill(0), head: 0 };
    case 'sum':
      return { kind: 'sum', total: 0 };
    case 'after':
      return { kind: 'after', seen: false };
    case 'repeat':
      return { kind: 'repeat', table: Array.from({ length: REPEAT_TABLE }, () => ({ lo: 0, hi: 0, count: 0 })) };
  }
}

export interface ReferenceCheck {
  /** indexes (into the policy list) of violated policies, in policy order; custom policies excluded */
  violated: number[];
  /** applies this event's run-state updates */
  commit(): void;
}

/** Plain evaluator over the policy list, with run state per run id. */
export class ReferenceEvaluator {
  private readonly runs = new Map<string, Map<number, SeqState>>();
  constructor(private readonly policies: readonly Policy[]) {}

  check(event: StreamEvent, now: number, callHash: readonly [number, number]): ReferenceCheck {
    const violated: number[] = [];
    const updates: (() => void)[] = [];
    const tool = (event as { tool?: unknown }).tool;
    this.policies.forEach((p, i) => {
      if (p.type === 'custom' || !p.on.includes(event.kind)) return;
      if (p.type === 'tool') {
        if (evalCondition(toolPolicyViolation(p), event)) violated.push(i);
        return;
      }
      if (p.type === 'rule') {
        if (evalCondition(p.when, event)) violated.push(i);
        return;
      }
      void tool;
      const state = this.stateFor(event.runId, i, p);
      const w = evalCondition(p.when, event);
      const s = p.sequence;
      switch (s.kind) {
        case 'count': {
          const m = evalCondition(s.where, event);
          if (state.kind === 'count') {
            const n = state.n + (m ? 1 : 0);
            if (m) updates.push(() => (state.n += 1));
            if (w && n > s.max) violated.push(i);
          } else if (state.kind === 'window') {
            if (!w && !m) return;
            const thresh = now + 1 - s.windowMs!;
            let cnt = 0;
            state.ring.forEach((ts, j) => {
              if (m && j === state.head) return;
              if (ts !== 0 && ts > thresh) cnt++;
            });
            if (m) {
              cnt++;
              const at = state.head;
              updates.push(() => {
                state.ring[at] = now + 1;
                state.head = (at + 1) % state.ring.length;
              });
            }
            if (w && cnt > s.max) violated.push(i);
          }
          return;
        }
        case 'sum': {
          if (state.kind !== 'sum') return;
          const m = evalCondition(s.where, event);
          let total = state.total;
          if (m) {
            const first = valuesAt(event, s.field)[0];
            const v = first && first.t === 'num' ? first.v : 0;
            if (Number.isFinite(v)) {
              total += v;
              updates.push(() => (state.total += v));
            } else total = Infinity;
          }
          if (w && total > s.max) violated.push(i);
          return;
        }
        case 'after': {
          if (state.kind !== 'after') return;
          const seen = state.seen;
          if (!seen && evalCondition(s.after, event)) updates.push(() => (state.seen = true));
          if (w && seen) violated.push(i);
          return;
        }
        case 'repeat': {
          if (state.kind !== 'repeat' || !w) return;
          const [lo, hi] = callHash;
          let found = -1;
          let victim = 0;
          let least = Infinity;
          for (let j = 0; j < state.table.length; j++) {
            const e = state.table[j]!;
            if (e.count > 0 && e.lo === lo && e.hi === hi) {
              found = j;
              break;
            }
            if (e.count < least) {
              least = e.count;
              victim = j;
            }
          }
          let n = 1;
          if (found >= 0) {
            const e = state.table[found]!;
            n = e.count + 1;
            updates.push(() => (e.count += 1));
          } else {
            const e = state.table[victim]!;
            updates.push(() => {
              e.lo = lo;
              e.hi = hi;
              e.count = 1;
            });
          }
          if (n > s.max) violated.push(i);
          return;
        }
      }
    });
    return { violated, commit: () => updates.forEach((u) => u()) };
  }

  endRun(runId: string): void {
    this.runs.delete(runId);
  }

  private stateFor(runId: string, i: number, p: SequencePolicy): SeqState {
    let run = this.runs.get(runId);
    if (!run) {
      run = new Map();
      this.runs.set(runId, run);
    }
    let s = run.get(i);
    if (!s) {
      s = freshState(p);
      run.set(i, s);
    }
    return s;
  }
}
