// Lowering: Policy AST → the kernel's program image (bytecode over field slots, constant pools,
// string sets and DFAs) plus the host's projection plan per (event kind, tool) bucket.

import { EVENT_KINDS, type EventKind } from '../events/types.js';
import type { Condition, Policy, Scalar, SequencePolicy, Test, ToolPolicy } from './ast.js';
import {
  DFA_RECORD_WORDS,
  H,
  IMAGE_FORMAT,
  IMAGE_MAGIC,
  OP,
  PK,
  POLICY_RECORD_WORDS,
  PR,
  REPEAT_TABLE,
  SET_RECORD_WORDS,
  T,
} from './bundle-format.js';
import { parseFieldPath, type FieldPath } from './field-path.js';
import type { Dfa } from './pattern/index.js';
import { cachedPattern } from './pattern-cache.js';

export interface BucketPlan {
  /** slots the bucket's policies read: the host projects only these */
  slots: number[];
  /** policies in the bucket keep run state: the host must resolve the run slot */
  stateful: boolean;
  /** number of kernel policies in the bucket (0: the host can skip the kernel call) */
  size: number;
  /** a repeat policy is in the bucket: the host must digest the call */
  needsCallHash: boolean;
}

export interface LoweredProgram {
  image: Uint8Array;
  slots: FieldPath[];
  tools: string[];
  buckets: BucketPlan[];
  /** kernel policy index → index in the bundle's policy list */
  kernelPolicies: number[];
  stateWords: number;
}

const TOOL_PATH = parseFieldPath('tool');
const LITERAL_CONTAINS_MAX = 16;

class Pools {
  nums: number[] = [];
  private numIdx = new Map<number, number>();
  strs: string[] = [];
  private strIdx = new Map<string, number>();
  sets: { strs: number[]; nums: number[]; hasTrue: boolean; hasFalse: boolean; hasNull: boolean }[] = [];
  dfas: Dfa[] = [];
  private dfaIdx = new Map<string, number>();
  slots: FieldPath[] = [];
  private slotIdx = new Map<string, number>();

  num(n: number): number {
    const key = Object.is(n, -0) ? 0 : n;
    let i = this.numIdx.get(key);
    if (i === undefined) {
      i = this.nums.length;
      this.nums.push(key);
      this.numIdx.set(key, i);
    }
    return i;
  }
  str(s: string): number {
    let i = this.strIdx.get(s);
    if (i === undefined) {
      i = this.strs.length;
      this.strs.push(s);
      this.strIdx.set(s, i);
    }
    return i;
  }
  set(values: Scalar[]): number {
    const strs: number[] = [];
    const nums: number[] = [];
    let hasTrue = false;
    let hasFalse = false;
    let hasNull = false;
    for (const v of values) {
      if (typeof v === 'string') strs.push(this.str(v));
      else if (typeof v === 'number') nums.push(v);
      else if (v === true) hasTrue = true;
      else if (v === false) hasFalse = true;
      else hasNull = true;
    }
    this.sets.push({ strs: [...new Set(strs)], nums: [...new Set(nums)], hasTrue, hasFalse, hasNull });
    return this.sets.length - 1;
  }
  dfa(source: string): number {
    let i = this.dfaIdx.get(source);
    if (i === undefined) {
      const dfa = cachedPattern(source);
      // the validator already rejected bad patterns; reaching this is a compiler bug
      if (!dfa) throw new Error(`internal: pattern \`${source}\` failed after validation`);
      i = this.dfas.length;
      this.dfas.push(dfa);
      this.dfaIdx.set(source, i);
    }
    return i;
  }
  slot(p: FieldPath): number {
    let i = this.slotIdx.get(p.text);
    if (i === undefined) {
      i = this.slots.length;
      this.slots.push(p);
      this.slotIdx.set(p.text, i);
    }
    return i;
  }
}

/** Escapes a literal so the pattern compiler matches it verbatim. */
export function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/**
 * Rough cost of evaluating a condition in the kernel, for ordering `all`/`any` items cheapest
 * first: tests are pure and cannot fail, so the order never changes a verdict (the differential
 * tests hold the kernel to the reference evaluator, which keeps the written order), only how soon
 * a short-circuit ends the walk. Numbers and presence cost a load; string equality and edges a
 * bounded compare; sets a hash; `contains` and patterns a scan of the whole value.
 */
function conditionCost(c: Condition): number {
  switch (c.kind) {
    case 'all':
    case 'any':
      return c.items.reduce((sum, it) => sum + conditionCost(it), 1);
    case 'not':
      return conditionCost(c.item) + 1;
    case 'test': {
      const fanOut = c.field.multi ? 4 : 1;
      const t = c.test;
      let cost: number;
      switch (t.op) {
        case 'exists':
        case 'gt':
        case 'gte':
        case 'lt':
        case 'lte':
        case 'length':
          cost = 1;
          break;
        case 'eq':
        case 'ne':
        case 'prefix':
        case 'suffix':
          cost = 2;
          break;
        case 'in':
        case 'not_in':
          cost = 3;
          break;
        case 'contains':
          cost = 6;
          break;
        case 'pattern':
          cost = 8;
          break;
        default:
          cost = 4;
      }
      return cost * fanOut;
    }
  }
}

function byCost(items: readonly Condition[]): Condition[] {
  return items
    .map((c, i) => ({ c, i, cost: conditionCost(c) }))
    .sort((a, b) => a.cost - b.cost || a.i - b.i)
    .map((x) => x.c);
}

function emitCondition(c: Condition | undefined, code: number[], pools: Pools, slotsUsed: Set<number>): void {
  if (c === undefined) {
    code.push(OP.true);
    return;
  }
  switch (c.kind) {
    case 'all':
    case 'any': {
      if (c.items.length === 0) {
        code.push(c.kind === 'all' ? OP.true : OP.false);
        return;
      }
      const at = code.length;
      code.push(c.kind === 'all' ? OP.all : OP.any, c.items.length, 0);
      for (const it of byCost(c.items)) emitCondition(it, code, pools, slotsUsed);
      code[at + 2] = code.length;
      return;
    }
    case 'not': {
      const at = code.length;
      code.push(OP.not, 0);
      emitCondition(c.item, code, pools, slotsUsed);
      code[at + 1] = code.length;
      return;
    }
    case 'test':
      emitTest(c.field, c.test, code, pools, slotsUsed);
  }
}

function emitTest(field: FieldPath, t: Test, code: number[], pools: Pools, slotsUsed: Set<number>): void {
  const slot = pools.slot(field);
  slotsUsed.add(slot);
  const test = (op: number, arg: number): void => {
    code.push(OP.test, op, slot, arg);
  };
  const eq = (v: Scalar): void => {
    if (typeof v === 'number') test(T.eqNum, pools.num(v));
    else if (typeof v === 'string') test(T.eqStr, pools.str(v));
    else if (typeof v === 'boolean') test(T.eqBool, v ? 1 : 0);
    else test(T.eqNull, 0);
  };
  const not = (inner: () => void): void => {
    const at = code.length;
    code.push(OP.not, 0);
    inner();
    code[at + 1] = code.length;
  };
  switch (t.op) {
    case 'eq':
      return eq(t.value);
    case 'ne':
      return not(() => eq(t.value));
    case 'in':
      return test(T.in, pools.set(t.values));
    case 'not_in':
      return not(() => test(T.in, pools.set(t.values)));
    case 'gt':
      return test(T.gt, pools.num(t.value));
    case 'gte':
      return test(T.gte, pools.num(t.value));
    case 'lt':
      return test(T.lt, pools.num(t.value));
    case 'lte':
      return test(T.lte, pools.num(t.value));
    case 'exists':
      return test(T.exists, t.value ? 1 : 0);
    case 'prefix':
      return test(T.prefix, pools.str(t.value));
    case 'suffix':
      return test(T.suffix, pools.str(t.value));
    case 'contains':
      // long needles go through a DFA so an attacker-sized haystack stays linear
      if (t.value.length <= LITERAL_CONTAINS_MAX) return test(T.contains, pools.str(t.value));
      return test(T.pattern, pools.dfa(escapeLiteral(t.value)));
    case 'pattern':
      return test(T.pattern, pools.dfa(t.source));
    case 'length': {
      const op = { eq: T.lenEq, ne: T.lenNe, gt: T.lenGt, gte: T.lenGte, lt: T.lenLt, lte: T.lenLte }[t.compare];
      return test(op, pools.num(t.value));
    }
  }
}

/** A tool policy as one condition that is true when the call violates it. */
export function toolPolicyViolation(p: ToolPolicy): Condition {
  const items: Condition[] = [];
  if (p.allowedTools)
    items.push({ kind: 'not', item: { kind: 'test', field: toolPath(), test: { op: 'in', values: p.allowedTools } } });
  if (p.disallowedTools) items.push({ kind: 'test', field: toolPath(), test: { op: 'in', values: p.disallowedTools } });
  for (const a of p.arguments) {
    items.push({
      kind: 'all',
      items: [
        { kind: 'test', field: toolPath(), test: { op: 'eq', value: a.tool } },
        { kind: 'not', item: { kind: 'all', items: a.conditions } },
      ],
    });
  }
  return items.length === 1 ? items[0]! : { kind: 'any', items };
}

function toolPath(): FieldPath {
  if (!TOOL_PATH.ok) throw new Error('internal: tool path');
  return TOOL_PATH.path;
}

/** Tools a condition is restricted to by a top-level `tool` eq/in conjunct; undefined = any tool. */
export function toolsOf(c: Condition | undefined): string[] | undefined {
  if (!c) return undefined;
  if (c.kind === 'test' && c.field.text === 'tool') {
    if (c.test.op === 'eq' && typeof c.test.value === 'string') return [c.test.value];
    if (c.test.op === 'in') return c.test.values.filter((v): v is string => typeof v === 'string');
    return undefined;
  }
  if (c.kind === 'all') {
    let out: string[] | undefined;
    for (const it of c.items) {
      const t = toolsOf(it);
      if (t) out = out ? out.filter((x) => t.includes(x)) : t;
    }
    return out;
  }
  if (c.kind === 'any') {
    const out = new Set<string>();
    for (const it of c.items) {
      const t = toolsOf(it);
      if (!t) return undefined;
      for (const x of t) out.add(x);
    }
    return [...out];
  }
  return undefined;
}

/** Drops top-level `tool` eq/in conjuncts: bucketing by tool already guarantees them. */
export function withoutToolConjuncts(c: Condition): Condition | undefined {
  const isToolTest = (x: Condition): boolean =>
    x.kind === 'test' && x.field.text === 'tool' && ((x.test.op === 'eq' && typeof x.test.value === 'string') || x.test.op === 'in');
  if (isToolTest(c)) return undefined;
  if (c.kind !== 'all') return c;
  const items = c.items.filter((x) => !isToolTest(x));
  if (items.length === 0) return undefined;
  return items.length === 1 ? items[0] : { ...c, items };
}

function policyTools(p: Policy): string[] | undefined {
  if (p.type === 'tool') {
    if (p.allowedTools || p.disallowedTools) return undefined;
    return p.arguments.map((a) => a.tool);
  }
  if (p.type === 'rule') return toolsOf(p.when);
  if (p.type === 'sequence') {
    const a = toolsOf(p.when);
    const seq = p.sequence;
    const b = seq.kind === 'after' ? toolsOf(seq.after) : seq.kind === 'repeat' ? a : toolsOf(seq.where);
    if (!a || !b) return undefined;
    return [...new Set([...a, ...b])];
  }
  return undefined;
}

function mentionedTools(c: Condition | undefined, out: Set<string>): void {
  if (!c) return;
  if (c.kind === 'test') {
    if (c.field.text !== 'tool') return;
    if (c.test.op === 'eq' || c.test.op === 'ne') {
      if (typeof c.test.value === 'string') out.add(c.test.value);
    } else if (c.test.op === 'in' || c.test.op === 'not_in') {
      for (const v of c.test.values) if (typeof v === 'string') out.add(v);
    }
    return;
  }
  if (c.kind === 'not') return mentionedTools(c.item, out);
  for (const it of c.items) mentionedTools(it, out);
}

export function lowerPolicies(policies: readonly Policy[]): LoweredProgram {
  const pools = new Pools();
  const kernelPolicies: number[] = [];
  const toolSet = new Set<string>();
  for (const p of policies) {
    if (p.type === 'custom') continue;
    if (p.type === 'tool') {
      for (const t of p.allowedTools ?? []) toolSet.add(t);
      for (const t of p.disallowedTools ?? []) toolSet.add(t);
      for (const a of p.arguments) toolSet.add(a.tool);
    } else if (p.type === 'rule') mentionedTools(p.when, toolSet);
    else {
      mentionedTools(p.when, toolSet);
      if (p.sequence.kind === 'after') mentionedTools(p.sequence.after, toolSet);
      if (p.sequence.kind === 'count' || p.sequence.kind === 'sum') mentionedTools(p.sequence.where, toolSet);
    }
  }
  const tools = [...toolSet].sort();
  const toolId = new Map(tools.map((t, i) => [t, i]));
  const nTools = tools.length;
  const nBuckets = EVENT_KINDS.length * (nTools + 1);
  const bucketEntries: number[][] = Array.from({ length: nBuckets }, () => []);
  const bucketSlots: Set<number>[] = Array.from({ length: nBuckets }, () => new Set());
  const bucketStateful: boolean[] = new Array<boolean>(nBuckets).fill(false);
  const bucketRepeat: boolean[] = new Array<boolean>(nBuckets).fill(false);

  const code: number[] = [];
  const records: number[] = [];
  let stateWords = 0;

  for (let pi = 0; pi < policies.length; pi++) {
    const p = policies[pi]!;
    if (p.type === 'custom') continue;
    const k = kernelPolicies.length;
    kernelPolicies.push(pi);
    const slotsUsed = new Set<number>();
    const rec = new Array<number>(POLICY_RECORD_WORDS).fill(-1);
    rec[PR.kind] = PK.stateless;
    rec[PR.stateOff] = 0;
    let stateful = false;
    if (p.type === 'tool' || p.type === 'rule') {
      rec[PR.when] = code.length;
      // inside its buckets a rule's top-level `tool` test is already known to hold: skip it
      const cond = p.type === 'tool' ? toolPolicyViolation(p) : policyTools(p) ? withoutToolConjuncts(p.when) : p.when;
      emitCondition(cond, code, pools, slotsUsed);
    } else {
      stateful = true;
      lowerSequence(p, rec, code, pools, slotsUsed, stateWords);
      stateWords += sequenceStateWords(p);
    }
    records.push(...rec);
    const tools = policyTools(p);
    const restricted = tools ? [...new Set(tools)] : undefined;
    for (const kind of p.on) {
      const ki = EVENT_KINDS.indexOf(kind);
      const ids = restricted ? restricted.map((t) => toolId.get(t)!).filter((x) => x !== undefined) : [...Array(nTools + 1).keys()];
      for (const id of ids) {
        const b = ki * (nTools + 1) + id;
        bucketEntries[b]!.push(k);
        for (const s of slotsUsed) bucketSlots[b]!.add(s);
        if (stateful) bucketStateful[b] = true;
        if (p.type === 'sequence' && p.sequence.kind === 'repeat') bucketRepeat[b] = true;
      }
    }
  }

  const image = emitImage({ pools, code, records, bucketEntries, nTools, nBuckets, stateWords, nPolicies: kernelPolicies.length });
  const buckets: BucketPlan[] = bucketEntries.map((e, i) => ({
    slots: [...bucketSlots[i]!].sort((a, b) => a - b),
    stateful: bucketStateful[i]!,
    size: e.length,
    needsCallHash: bucketRepeat[i]!,
  }));
  return { image, slots: pools.slots, tools, buckets, kernelPolicies, stateWords };
}

export function sequenceStateWords(p: SequencePolicy): number {
  const s = p.sequence;
  switch (s.kind) {
    case 'count':
      return s.windowMs === undefined ? 1 : 1 + (s.max + 1);
    case 'sum':
      return 1;
    case 'after':
      return 1;
    case 'repeat':
      return 3 * REPEAT_TABLE;
  }
}

function lowerSequence(
  p: SequencePolicy,
  rec: number[],
  code: number[],
  pools: Pools,
  slotsUsed: Set<number>,
  stateOff: number,
): void {
  rec[PR.stateOff] = stateOff;
  rec[PR.when] = code.length;
  emitCondition(p.when, code, pools, slotsUsed);
  const s = p.sequence;
  switch (s.kind) {
    case 'count':
      rec[PR.kind] = s.windowMs === undefined ? PK.count : PK.countWindow;
      rec[PR.where] = code.length;
      emitCondition(s.where, code, pools, slotsUsed);
      rec[PR.maxNum] = pools.num(s.max);
      if (s.windowMs !== undefined) {
        rec[PR.param] = pools.num(s.windowMs);
        rec[PR.param2] = s.max + 1;
      }
      return;
    case 'sum': {
      rec[PR.kind] = PK.sum;
      rec[PR.where] = code.length;
      emitCondition(s.where, code, pools, slotsUsed);
      rec[PR.maxNum] = pools.num(s.max);
      const slot = pools.slot(s.field);
      slotsUsed.add(slot);
      rec[PR.param] = slot;
      return;
    }
    case 'after':
      rec[PR.kind] = PK.after;
      rec[PR.where] = code.length;
      emitCondition(s.after, code, pools, slotsUsed);
      return;
    case 'repeat':
      rec[PR.kind] = PK.repeat;
      rec[PR.maxNum] = pools.num(s.max);
      return;
  }
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

interface EmitInput {
  pools: Pools;
  code: number[];
  records: number[];
  bucketEntries: number[][];
  nTools: number;
  nBuckets: number;
  stateWords: number;
  nPolicies: number;
}

/** Lays the program out in one buffer: header, buckets, policies, code, numbers, strings, sets, DFAs. */
function emitImage(inp: EmitInput): Uint8Array {
  const { pools } = inp;
  const enc = new TextEncoder();
  const strBytes = pools.strs.map((s) => enc.encode(s));
  let size = H.words * 4;
  const place = (bytes: number, align: number): number => {
    size = Math.ceil(size / align) * align;
    const at = size;
    size += bytes;
    return at;
  };
  // buckets: per bucket [entriesOff(bytes), count]; entries follow
  const bucketsOff = place(inp.nBuckets * 8, 8);
  const entryOffs: number[] = [];
  for (const e of inp.bucketEntries) entryOffs.push(place(e.length * 4, 4));
  const policiesOff = place(inp.records.length * 4, 8);
  const codeOff = place(inp.code.length * 4, 8);
  const numsOff = place(pools.nums.length * 8, 8);
  const strsOff = place(pools.strs.length * 8, 8);
  const strDataOffs = strBytes.map((b) => place(b.length, 1));
  const setsOff = place(pools.sets.length * SET_RECORD_WORDS * 4, 8);
  const setData = pools.sets.map((s) => {
    let cap = 1;
    while (cap < s.strs.length * 2) cap <<= 1;
    const table = place(cap * 4, 4);
    const nums = place(s.nums.length * 8, 8);
    return { cap, table, nums };
  });
  const dfasOff = place(pools.dfas.length * DFA_RECORD_WORDS * 4, 8);
  const dfaData = pools.dfas.map((d) => ({
    table: place(d.table.length * 2, 2),
    accept: place(d.accept.length, 1),
    ascii: place(128, 1),
    stay: place(128, 1),
    ranges: place(d.ranges.length * 4, 4),
  }));
  size = Math.ceil(size / 8) * 8;
  const buf = new ArrayBuffer(size);
  const dv = new DataView(buf);
  const u8 = new Uint8Array(buf);
  const w = (off: number, v: number): void => dv.setInt32(off, v, true);
  const hdr = (i: number, v: number): void => w(i * 4, v);
  hdr(H.magic, IMAGE_MAGIC);
  hdr(H.format, IMAGE_FORMAT);
  hdr(H.nPolicies, inp.nPolicies);
  hdr(H.nSlots, pools.slots.length);
  hdr(H.nTools, inp.nTools);
  hdr(H.bucketsOff, bucketsOff);
  hdr(H.policiesOff, policiesOff);
  hdr(H.codeOff, codeOff);
  hdr(H.codeWords, inp.code.length);
  hdr(H.numsOff, numsOff);
  hdr(H.nNums, pools.nums.length);
  hdr(H.strsOff, strsOff);
  hdr(H.nStrs, pools.strs.length);
  hdr(H.setsOff, setsOff);
  hdr(H.nSets, pools.sets.length);
  hdr(H.dfasOff, dfasOff);
  hdr(H.nDfas, pools.dfas.length);
  hdr(H.stateWords, inp.stateWords);
  hdr(H.imageBytes, size);
  hdr(H.nBuckets, inp.nBuckets);
  inp.bucketEntries.forEach((e, b) => {
    w(bucketsOff + b * 8, entryOffs[b]!);
    w(bucketsOff + b * 8 + 4, e.length);
    e.forEach((k, j) => w(entryOffs[b]! + j * 4, k));
  });
  inp.records.forEach((v, i) => w(policiesOff + i * 4, v));
  inp.code.forEach((v, i) => w(codeOff + i * 4, v));
  pools.nums.forEach((v, i) => dv.setFloat64(numsOff + i * 8, v, true));
  strBytes.forEach((b, i) => {
    w(strsOff + i * 8, strDataOffs[i]!);
    w(strsOff + i * 8 + 4, b.length);
    u8.set(b, strDataOffs[i]!);
  });
  pools.sets.forEach((s, i) => {
    const r = setsOff + i * SET_RECORD_WORDS * 4;
    const d = setData[i]!;
    const flags = (s.hasTrue ? 1 : 0) | (s.hasFalse ? 2 : 0) | (s.hasNull ? 4 : 0);
    w(r, d.table);
    w(r + 4, d.cap - 1);
    w(r + 8, d.nums);
    w(r + 12, s.nums.length);
    w(r + 16, flags);
    w(r + 20, s.strs.length);
    for (let j = 0; j < d.cap; j++) w(d.table + j * 4, -1);
    for (const si of s.strs) {
      let h = fnv1a(strBytes[si]!) & (d.cap - 1);
      while (dv.getInt32(d.table + h * 4, true) !== -1) h = (h + 1) & (d.cap - 1);
      w(d.table + h * 4, si);
    }
    s.nums.forEach((n, j) => dv.setFloat64(d.nums + j * 8, n, true));
  });
  pools.dfas.forEach((d, i) => {
    const r = dfasOff + i * DFA_RECORD_WORDS * 4;
    const o = dfaData[i]!;
    const rec = [d.stateCount, d.classCount, d.start, d.dead, d.anchoredStart ? 1 : 0, o.table, o.accept, o.ascii, o.ranges, d.ranges.length / 3, d.otherClass, o.stay];
    // ASCII bytes that keep the DFA in its start state: the kernel skips over runs of them
    for (let b = 0; b < 128; b++) u8[o.stay + b] = d.table[d.start * d.classCount + d.asciiClass[b]!] === d.start ? 1 : 0;
    rec.forEach((v, j) => w(r + j * 4, v));
    d.table.forEach((v: number, j: number) => dv.setUint16(o.table + j * 2, v, true));
    u8.set(d.accept, o.accept);
    u8.set(d.asciiClass, o.ascii);
    d.ranges.forEach((v: number, j: number) => dv.setUint32(o.ranges + j * 4, v, true));
  });
  return u8;
}
