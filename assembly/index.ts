// cascade verdict kernel. The exports below are the whole ABI (see docs/kernel-abi.md):
// snake_case, i32 status codes, nothing throws, nothing allocates after rt_load. The host writes a
// program image (src/policy/lower.ts) and, per event, the projected field values; the kernel runs
// the bucket's policies and writes the indexes of violated policies to the output area.
//
// Memory map after rt_load (all offsets absolute, 8-aligned):
//   [heap base] image | slot table | values | out | pending | run state | strings (grows)

const ABI_VERSION: i32 = 1;
const MAGIC: i32 = 0x43534344;
const FORMAT: i32 = 1;

// header words (mirror of src/policy/bundle-format.ts)
const H_MAGIC = 0;
const H_FORMAT = 1;
const H_NPOL = 2;
const H_NSLOTS = 3;
const H_NTOOLS = 4;
const H_BUCKETS = 5;
const H_POLICIES = 6;
const H_CODE = 7;
const H_CODEWORDS = 8;
const H_NUMS = 9;
const H_NNUMS = 10;
const H_STRS = 11;
const H_NSTRS = 12;
const H_SETS = 13;
const H_NSETS = 14;
const H_DFAS = 15;
const H_NDFAS = 16;
const H_STATEWORDS = 17;
const H_IMAGEBYTES = 18;
const H_NBUCKETS = 19;
const H_WORDS = 24;

const PREC = 8; // words per policy record
const PK_STATELESS = 0;
const PK_COUNT = 1;
const PK_WINDOW = 2;
const PK_SUM = 3;
const PK_AFTER = 4;
const PK_REPEAT = 5;
const REPEAT_TABLE = 16;

const OP_ALL = 1;
const OP_ANY = 2;
const OP_NOT = 3;
const OP_TRUE = 4;
const OP_FALSE = 5;
const OP_TEST = 6;

const T_EQNUM = 1;
const T_EQSTR = 2;
const T_EQBOOL = 3;
const T_EQNULL = 4;
const T_IN = 5;
const T_GT = 6;
const T_GTE = 7;
const T_LT = 8;
const T_LTE = 9;
const T_EXISTS = 10;
const T_PREFIX = 11;
const T_SUFFIX = 12;
const T_CONTAINS = 13;
const T_PATTERN = 14;
const T_LENEQ = 15;
const T_LENNE = 16;
const T_LENGT = 17;
const T_LENGTE = 18;
const T_LENLT = 19;
const T_LENLTE = 20;

const V_NULL = 1;
const V_BOOL = 2;
const V_NUM = 3;
const V_STR = 4;
const VALUE_BYTES = 24;
const SET_WORDS = 8;
const DFA_WORDS = 12;
const MAX_DEPTH = 200;

const PEND_SET: i32 = 0;
const PEND_ADD: i32 = 1;
const PEND_KEEP: i32 = 2;

const S_OK: i32 = 0;
const S_BAD_MAGIC: i32 = -1;
const S_BAD_FORMAT: i32 = -2;
const S_BAD_IMAGE: i32 = -3;
const S_NO_MEMORY: i32 = -4;
const S_BAD_BUCKET: i32 = -5;
const S_BAD_RUN: i32 = -6;
const S_NOT_LOADED: i32 = -7;
const S_PENDING: i32 = -8;

let loaded = false;
let img: usize = 0;
let imgLen: i32 = 0;
let nPol: i32 = 0;
let nSlots: i32 = 0;
let nBuckets: i32 = 0;
let codeBase: usize = 0;
let codeWords: i32 = 0;
let numsBase: usize = 0;
let nNums: i32 = 0;
let strsBase: usize = 0;
let nStrs: i32 = 0;
let setsBase: usize = 0;
let nSets: i32 = 0;
let dfasBase: usize = 0;
let nDfas: i32 = 0;
let polBase: usize = 0;
let bucketsBase: usize = 0;
let stateWords: i32 = 0;

let slotTable: usize = 0;
let valuesBase: usize = 0;
let maxValues: i32 = 0;
let outBase: usize = 0;
let pendBase: usize = 0;
let pendCap: i32 = 0;
let pendCount: i32 = 0;
let stateBase: usize = 0;
/** per DFA, 8 bytes: how many ASCII bytes leave its start state (0xff: more than 4), then those bytes */
let leaveBase: usize = 0;
/** per string set, 8 bytes: the shortest and longest member in bytes (a value outside never hashes) */
let setLenBase: usize = 0;
let maxRuns: i32 = 0;
let strArea: usize = 0;
let strCap: usize = 0;

let nextPc: i32 = 0;

function align8(x: usize): usize {
  return (x + 7) & ~(<usize>7);
}

function ensureMemory(end: usize): bool {
  const have = <usize>memory.size() << 16;
  if (end <= have) return true;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
}

function hdr(i: i32): i32 {
  return load<i32>(img + (<usize>i << 2));
}

// ---------------------------------------------------------------- ABI

export function rt_abi_version(): i32 {
  return ABI_VERSION;
}

/** Where the host writes an image of `len` bytes; 0 when memory cannot grow. Unloads any program. */
export function rt_image_reserve(len: i32): usize {
  loaded = false;
  if (len < H_WORDS * 4 || len > 0x40000000) return 0;
  img = align8(__heap_base);
  if (!ensureMemory(img + <usize>len)) return 0;
  imgLen = len;
  return img;
}

/** Validates the image and lays out the working areas. Returns 0 or a negative status. */
export function rt_load(runs: i32, valueCap: i32): i32 {
  loaded = false;
  if (img == 0) return S_NOT_LOADED;
  if (hdr(H_MAGIC) != MAGIC) return S_BAD_MAGIC;
  if (hdr(H_FORMAT) != FORMAT) return S_BAD_FORMAT;
  if (hdr(H_IMAGEBYTES) != imgLen) return S_BAD_IMAGE;
  if (runs < 1 || runs > 1 << 20 || valueCap < 1 || valueCap > 1 << 22) return S_BAD_IMAGE;
  nPol = hdr(H_NPOL);
  nSlots = hdr(H_NSLOTS);
  nBuckets = hdr(H_NBUCKETS);
  codeWords = hdr(H_CODEWORDS);
  nNums = hdr(H_NNUMS);
  nStrs = hdr(H_NSTRS);
  nSets = hdr(H_NSETS);
  nDfas = hdr(H_NDFAS);
  stateWords = hdr(H_STATEWORDS);
  if (nPol < 0 || nSlots < 0 || nBuckets < 8 || codeWords < 0 || nNums < 0 || nStrs < 0 || nSets < 0 || nDfas < 0) return S_BAD_IMAGE;
  if (stateWords < 0 || stateWords > 1 << 20) return S_BAD_IMAGE;
  if (nBuckets != 8 * (hdr(H_NTOOLS) + 1)) return S_BAD_IMAGE;
  if (!region(hdr(H_BUCKETS), nBuckets * 8)) return S_BAD_IMAGE;
  if (!region(hdr(H_POLICIES), nPol * PREC * 4)) return S_BAD_IMAGE;
  if (!region(hdr(H_CODE), codeWords * 4)) return S_BAD_IMAGE;
  if (!region(hdr(H_NUMS), nNums * 8)) return S_BAD_IMAGE;
  if (!region(hdr(H_STRS), nStrs * 8)) return S_BAD_IMAGE;
  if (!region(hdr(H_SETS), nSets * SET_WORDS * 4)) return S_BAD_IMAGE;
  if (!region(hdr(H_DFAS), nDfas * DFA_WORDS * 4)) return S_BAD_IMAGE;
  bucketsBase = img + <usize>hdr(H_BUCKETS);
  polBase = img + <usize>hdr(H_POLICIES);
  codeBase = img + <usize>hdr(H_CODE);
  numsBase = img + <usize>hdr(H_NUMS);
  strsBase = img + <usize>hdr(H_STRS);
  setsBase = img + <usize>hdr(H_SETS);
  dfasBase = img + <usize>hdr(H_DFAS);
  if (!validate()) return S_BAD_IMAGE;

  maxRuns = runs;
  maxValues = valueCap;
  pendCap = nPol * 4 + 8;
  slotTable = align8(img + <usize>imgLen);
  valuesBase = align8(slotTable + (<usize>nSlots << 3));
  outBase = align8(valuesBase + <usize>valueCap * VALUE_BYTES);
  pendBase = align8(outBase + (<usize>nPol << 2));
  leaveBase = align8(pendBase + (<usize>pendCap << 4));
  setLenBase = align8(leaveBase + (<usize>nDfas << 3));
  stateBase = align8(setLenBase + (<usize>nSets << 3));
  strArea = align8(stateBase + (<usize>runs * <usize>stateWords << 3));
  strCap = 65536;
  if (!ensureMemory(strArea + strCap)) return S_NO_MEMORY;
  memory.fill(slotTable, 0, strArea - slotTable);
  computeLeaveSets();
  computeSetLengths();
  pendCount = 0;
  loaded = true;
  return S_OK;
}

export function rt_slots_ptr(): usize {
  return slotTable;
}
export function rt_values_ptr(): usize {
  return valuesBase;
}
export function rt_out_ptr(): usize {
  return outBase;
}
export function rt_pending_ptr(): usize {
  return pendBase;
}
export function rt_pending_count(): i32 {
  return pendCount;
}
export function rt_state_ptr(): usize {
  return stateBase;
}
export function rt_strings_ptr(): usize {
  return strArea;
}
export function rt_strings_cap(): usize {
  return strCap;
}

/** Makes the string area hold at least `bytes`; returns its pointer, or 0 when memory cannot grow. */
export function rt_strings_reserve(bytes: usize): usize {
  if (!loaded) return 0;
  if (bytes <= strCap) return strArea;
  let cap = strCap;
  while (cap < bytes) cap <<= 1;
  if (cap > 0x40000000) return 0;
  if (!ensureMemory(strArea + cap)) return 0;
  strCap = cap;
  return strArea;
}

/** Clears one run's state slot (new run, or an evicted one). */
export function rt_reset_run(run: i32): i32 {
  if (!loaded) return S_NOT_LOADED;
  if (run < 0 || run >= maxRuns) return S_BAD_RUN;
  memory.fill(stateBase + (<usize>run * <usize>stateWords << 3), 0, <usize>stateWords << 3);
  return S_OK;
}

/** Applies the pending state updates of the last rt_eval. */
export function rt_commit(): void {
  for (let i = 0; i < pendCount; i++) {
    const p = pendBase + (<usize>i << 4);
    const addr = <usize>load<i32>(p);
    const op = load<i32>(p, 4);
    const v = load<f64>(p, 8);
    if (op == PEND_ADD) store<f64>(addr, load<f64>(addr) + v);
    else store<f64>(addr, v);
  }
  pendCount = 0;
}

export function rt_discard(): void {
  pendCount = 0;
}

/**
 * Evaluates the policies of `bucket` against the projected values. `run` is the run's state slot
 * (ignored by stateless buckets), `now` the event time in ms, (hlo, hhi) the call digest used by
 * repeat policies. Returns the number of violated policies written to the out area, or a status < 0.
 */
export function rt_eval(bucket: i32, run: i32, now: f64, hlo: i32, hhi: i32): i32 {
  pendCount = 0;
  if (!loaded) return S_NOT_LOADED;
  if (bucket < 0 || bucket >= nBuckets) return S_BAD_BUCKET;
  const b = bucketsBase + (<usize>bucket << 3);
  const entries = img + <usize>load<i32>(b);
  const count = load<i32>(b, 4);
  let out = 0;
  const runState: usize = run >= 0 && run < maxRuns ? stateBase + (<usize>run * <usize>stateWords << 3) : 0;
  for (let i = 0; i < count; i++) {
    const k = load<i32>(entries + (<usize>i << 2));
    const rec = polBase + (<usize>(k * PREC) << 2);
    const kind = load<i32>(rec);
    let hit = false;
    if (kind == PK_STATELESS) {
      hit = evalCode(load<i32>(rec, 4));
    } else {
      if (runState == 0) return S_BAD_RUN;
      const st = runState + (<usize>load<i32>(rec, 12) << 3);
      const r = evalSequence(kind, rec, st, now, hlo, hhi);
      if (r < 0) return r;
      hit = r == 1;
    }
    if (hit) {
      store<i32>(outBase + (<usize>out << 2), k);
      out++;
    }
  }
  return out;
}

// ---------------------------------------------------------------- sequences

function pend(addr: usize, op: i32, v: f64): bool {
  if (pendCount >= pendCap) return false;
  const p = pendBase + (<usize>pendCount << 4);
  store<i32>(p, <i32>addr);
  store<i32>(p, op, 4);
  store<f64>(p, v, 8);
  pendCount++;
  return true;
}

function num(i: i32): f64 {
  return load<f64>(numsBase + (<usize>i << 3));
}

function evalSequence(kind: i32, rec: usize, st: usize, now: f64, hlo: i32, hhi: i32): i32 {
  const w = evalCode(load<i32>(rec, 4));
  if (kind == PK_COUNT) {
    const m = evalCode(load<i32>(rec, 8));
    let n = load<f64>(st);
    if (m) {
      n += 1;
      if (!pend(st, PEND_ADD, 1)) return S_PENDING;
    }
    return w && n > num(load<i32>(rec, 16)) ? 1 : 0;
  }
  if (kind == PK_WINDOW) {
    const m = evalCode(load<i32>(rec, 8));
    if (!w && !m) return 0;
    const windowMs = num(load<i32>(rec, 20));
    const cap = load<i32>(rec, 24);
    const head = <i32>load<f64>(st);
    const ring = st + 8;
    const thresh = now + 1 - windowMs;
    let cnt: f64 = 0;
    for (let i = 0; i < cap; i++) {
      if (m && i == head) continue;
      const s = load<f64>(ring + (<usize>i << 3));
      if (s != 0 && s > thresh) cnt += 1;
    }
    if (m) {
      cnt += 1;
      if (!pend(ring + (<usize>head << 3), PEND_SET, now + 1)) return S_PENDING;
      if (!pend(st, PEND_KEEP, <f64>((head + 1) % cap))) return S_PENDING;
    }
    return w && cnt > num(load<i32>(rec, 16)) ? 1 : 0;
  }
  if (kind == PK_SUM) {
    const m = evalCode(load<i32>(rec, 8));
    let total = load<f64>(st);
    if (m) {
      const v = firstNumber(load<i32>(rec, 20));
      if (isFinite(v)) {
        total += v;
        if (!pend(st, PEND_ADD, v)) return S_PENDING;
      } else total = Infinity; // a non-finite amount fails closed without poisoning the run total
    }
    return w && total > num(load<i32>(rec, 16)) ? 1 : 0;
  }
  if (kind == PK_AFTER) {
    const seen = load<f64>(st) == 1;
    if (evalCode(load<i32>(rec, 8)) && !seen) {
      if (!pend(st, PEND_KEEP, 1)) return S_PENDING;
    }
    return w && seen ? 1 : 0;
  }
  if (kind == PK_REPEAT) {
    if (!w) return 0;
    let found = -1;
    let victim = 0;
    let least: f64 = Infinity;
    for (let i = 0; i < REPEAT_TABLE; i++) {
      const e = st + (<usize>(i * 3) << 3);
      const c = load<f64>(e, 16);
      if (c > 0 && load<f64>(e) == <f64>hlo && load<f64>(e, 8) == <f64>hhi) {
        found = i;
        break;
      }
      if (c < least) {
        least = c;
        victim = i;
      }
    }
    let n: f64 = 1;
    if (found >= 0) {
      const e = st + (<usize>(found * 3) << 3);
      n = load<f64>(e, 16) + 1;
      if (!pend(e + 16, PEND_ADD, 1)) return S_PENDING;
    } else {
      const e = st + (<usize>(victim * 3) << 3);
      if (!pend(e, PEND_KEEP, <f64>hlo)) return S_PENDING;
      if (!pend(e + 8, PEND_KEEP, <f64>hhi)) return S_PENDING;
      if (!pend(e + 16, PEND_KEEP, 0)) return S_PENDING;
      if (!pend(e + 16, PEND_ADD, 1)) return S_PENDING;
    }
    return n > num(load<i32>(rec, 16)) ? 1 : 0;
  }
  return 0;
}

function firstNumber(slot: i32): f64 {
  const base = slotTable + (<usize>slot << 3);
  const first = load<i32>(base);
  const count = load<i32>(base, 4);
  if (count < 1 || first < 0 || first + count > maxValues) return 0;
  const v = valuesBase + <usize>first * VALUE_BYTES;
  return load<i32>(v) == V_NUM ? load<f64>(v, 16) : 0;
}

// ---------------------------------------------------------------- conditions

function code(pc: i32): i32 {
  return load<i32>(codeBase + (<usize>pc << 2));
}

function evalCode(pc: i32): bool {
  if (pc < 0) return true;
  return evalNode(pc);
}

function evalNode(pc: i32): bool {
  const op = code(pc);
  if (op == OP_TEST) {
    nextPc = pc + 4;
    return test(code(pc + 1), code(pc + 2), code(pc + 3));
  }
  if (op == OP_ALL || op == OP_ANY) {
    const n = code(pc + 1);
    const end = code(pc + 2);
    let p = pc + 3;
    const wantAll = op == OP_ALL;
    for (let i = 0; i < n; i++) {
      const r = evalNode(p);
      if (wantAll && !r) {
        nextPc = end;
        return false;
      }
      if (!wantAll && r) {
        nextPc = end;
        return true;
      }
      p = nextPc;
    }
    nextPc = end;
    return wantAll;
  }
  if (op == OP_NOT) {
    const end = code(pc + 1);
    const r = evalNode(pc + 2);
    nextPc = end;
    return !r;
  }
  nextPc = pc + 1;
  return op == OP_TRUE;
}

function strPtr(i: i32): usize {
  return img + <usize>load<i32>(strsBase + (<usize>i << 3));
}
function strLen(i: i32): i32 {
  return load<i32>(strsBase + (<usize>i << 3), 4);
}

function bytesEqual(a: usize, b: usize, n: i32): bool {
  return memory.compare(a, b, <usize>n) == 0;
}

@inline
function test(op: i32, slot: i32, arg: i32): bool {
  const base = slotTable + (<usize>slot << 3);
  const first = load<i32>(base);
  let count = load<i32>(base, 4);
  if (first < 0 || count < 0 || first + count > maxValues) count = 0;
  if (op == T_EXISTS) return (count > 0) == (arg == 1);
  for (let i = 0; i < count; i++) {
    const v = valuesBase + <usize>(first + i) * VALUE_BYTES;
    if (testValue(op, arg, v)) return true;
  }
  return false;
}

function validString(v: usize): bool {
  const off = <usize>load<i32>(v, 4);
  const len = <usize>load<i32>(v, 8);
  return off >= strArea && len <= strCap && off + len <= strArea + strCap;
}

@inline
function testValue(op: i32, arg: i32, v: usize): bool {
  const type = load<i32>(v);
  const x = load<f64>(v, 16);
  switch (op) {
    case T_EQNUM:
      return type == V_NUM && x == num(arg);
    case T_EQBOOL:
      return type == V_BOOL && x == <f64>arg;
    case T_EQNULL:
      return type == V_NULL;
    case T_GT:
      return type == V_NUM && x > num(arg);
    case T_GTE:
      return type == V_NUM && x >= num(arg);
    case T_LT:
      return type == V_NUM && x < num(arg);
    case T_LTE:
      return type == V_NUM && x <= num(arg);
    case T_LENEQ:
      return type >= V_STR && x == num(arg);
    case T_LENNE:
      return type >= V_STR && x != num(arg);
    case T_LENGT:
      return type >= V_STR && x > num(arg);
    case T_LENGTE:
      return type >= V_STR && x >= num(arg);
    case T_LENLT:
      return type >= V_STR && x < num(arg);
    case T_LENLTE:
      return type >= V_STR && x <= num(arg);
    case T_IN:
      return inSet(arg, type, v, x);
    default:
      break;
  }
  if (type != V_STR || !validString(v)) return false;
  const p = <usize>load<i32>(v, 4);
  const n = load<i32>(v, 8);
  switch (op) {
    case T_EQSTR:
      return strLen(arg) == n && bytesEqual(p, strPtr(arg), n);
    case T_PREFIX: {
      const m = strLen(arg);
      return m <= n && bytesEqual(p, strPtr(arg), m);
    }
    case T_SUFFIX: {
      const m = strLen(arg);
      return m <= n && bytesEqual(p + <usize>(n - m), strPtr(arg), m);
    }
    case T_CONTAINS:
      return contains(p, n, strPtr(arg), strLen(arg));
    case T_PATTERN:
      return dfaMatch(arg, p, n);
    default:
      return false;
  }
}

function contains(h: usize, n: i32, needle: usize, m: i32): bool {
  if (m == 0) return true;
  if (m > n) return false;
  const first = load<u8>(needle);
  const last = n - m;
  let i = 0;
  // 16 candidate positions at a time: the needle's first and last bytes must both be in place
  // (both loads stay inside the haystack: i + m - 1 + 16 <= n)
  if (ASC_FEATURE_SIMD && last >= 16) {
    const vf = i8x16.splat(<i8>first);
    const vl = i8x16.splat(<i8>load<u8>(needle + <usize>(m - 1)));
    while (i + 16 <= last + 1) {
      const a = v128.load(h + <usize>i);
      const b = v128.load(h + <usize>(i + m - 1));
      let mask = i8x16.bitmask(v128.and(i8x16.eq(a, vf), i8x16.eq(b, vl)));
      while (mask != 0) {
        const j = i + <i32>ctz(mask);
        if (bytesEqual(h + <usize>j, needle, m)) return true;
        mask &= mask - 1;
      }
      i += 16;
    }
  }
  for (; i <= last; i++) {
    if (load<u8>(h + <usize>i) == first && bytesEqual(h + <usize>i, needle, m)) return true;
  }
  return false;
}

/** The first position in [q, end - 15) whose byte is non-ASCII or in the DFA's leave set, else where 16-byte blocks ran out. */
function skipStartWide(q: usize, end: usize, leave: usize, nLeave: i32): usize {
  // unused lanes repeat the first byte: same answer
  const l0 = i8x16.splat(<i8>load<u8>(leave, 1));
  const l1 = i8x16.splat(<i8>load<u8>(leave + <usize>(nLeave > 1 ? 2 : 1)));
  const l2 = i8x16.splat(<i8>load<u8>(leave + <usize>(nLeave > 2 ? 3 : 1)));
  const l3 = i8x16.splat(<i8>load<u8>(leave + <usize>(nLeave > 3 ? 4 : 1)));
  while (q + 16 <= end) {
    const v = v128.load(q);
    const hit = v128.or(v128.or(i8x16.lt_s(v, i8x16.splat(0)), i8x16.eq(v, l0)), v128.or(v128.or(i8x16.eq(v, l1), i8x16.eq(v, l2)), i8x16.eq(v, l3)));
    const mask = i8x16.bitmask(hit);
    if (mask != 0) return q + <usize>ctz(mask);
    q += 16;
  }
  return q;
}

/** For each set, the byte lengths of its shortest and longest string member (empty: 1 > 0). */
function computeSetLengths(): void {
  for (let i = 0; i < nSets; i++) {
    const r = setsBase + (<usize>(i * SET_WORDS) << 2);
    const table = img + <usize>load<i32>(r);
    const mask = load<i32>(r, 4);
    let lo = 0x7fffffff;
    let hi = -1;
    if (load<i32>(r, 20) > 0) {
      for (let j = 0; j <= mask; j++) {
        const si = load<i32>(table + (<usize>j << 2));
        if (si < 0) continue;
        const n = strLen(si);
        if (n < lo) lo = n;
        if (n > hi) hi = n;
      }
    }
    const out = setLenBase + (<usize>i << 3);
    store<i32>(out, lo);
    store<i32>(out, hi, 4);
  }
}

/**
 * For each DFA, the ASCII bytes that move it out of its start state, when there are at most 4:
 * dfaMatch then skips start-state text 16 bytes at a time. Derived from the validated stay map.
 */
function computeLeaveSets(): void {
  for (let d = 0; d < nDfas; d++) {
    const r = dfasBase + (<usize>(d * DFA_WORDS) << 2);
    const stay = img + <usize>load<i32>(r, 44);
    const out = leaveBase + (<usize>d << 3);
    store<u64>(out, 0);
    let count = 0;
    for (let b = 0; b < 128; b++) {
      if (load<u8>(stay + <usize>b) != 0) continue;
      if (count == 4) {
        count = 0xff;
        break;
      }
      store<u8>(out + 1 + <usize>count, <u8>b);
      count++;
    }
    store<u8>(out, <u8>count);
  }
}

function fnv1a(p: usize, n: i32): i32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    h ^= <u32>load<u8>(p + <usize>i);
    h *= 0x01000193;
  }
  return <i32>h;
}

function inSet(idx: i32, type: i32, v: usize, x: f64): bool {
  const r = setsBase + (<usize>(idx * SET_WORDS) << 2);
  const flags = load<i32>(r, 16);
  if (type == V_BOOL) return x == 1 ? (flags & 1) != 0 : (flags & 2) != 0;
  if (type == V_NULL) return (flags & 4) != 0;
  if (type == V_NUM) {
    const nums = img + <usize>load<i32>(r, 8);
    const nn = load<i32>(r, 12);
    for (let i = 0; i < nn; i++) if (load<f64>(nums + (<usize>i << 3)) == x) return true;
    return false;
  }
  if (type != V_STR || !validString(v)) return false;
  const nstr = load<i32>(r, 20);
  if (nstr == 0) return false;
  const table = img + <usize>load<i32>(r);
  const mask = load<i32>(r, 4);
  const p = <usize>load<i32>(v, 4);
  const n = load<i32>(v, 8);
  const lens = setLenBase + (<usize>idx << 3);
  if (n < load<i32>(lens) || n > load<i32>(lens, 4)) return false;
  let h = fnv1a(p, n) & mask;
  for (let probes = 0; probes <= mask; probes++) {
    const si = load<i32>(table + (<usize>h << 2));
    if (si < 0) return false;
    if (strLen(si) == n && bytesEqual(p, strPtr(si), n)) return true;
    h = (h + 1) & mask;
  }
  return false;
}

// ---------------------------------------------------------------- DFAs

function dfaMatch(idx: i32, p: usize, n: i32): bool {
  const r = dfasBase + (<usize>(idx * DFA_WORDS) << 2);
  const classes = load<i32>(r, 4);
  let s = load<i32>(r, 8);
  const dead = load<i32>(r, 12);
  const table = img + <usize>load<i32>(r, 20);
  const accept = img + <usize>load<i32>(r, 24);
  const ascii = img + <usize>load<i32>(r, 28);
  const ranges = img + <usize>load<i32>(r, 32);
  const nRanges = load<i32>(r, 36);
  const other = load<i32>(r, 40);
  const stay = img + <usize>load<i32>(r, 44);
  const start = s;
  if ((load<u8>(accept + <usize>s) & 1) != 0) return true;
  const end = p + <usize>n;
  const leave = leaveBase + (<usize>idx << 3);
  const nLeave = <i32>load<u8>(leave);
  const wide = ASC_FEATURE_SIMD && nLeave >= 1 && nLeave <= 4;
  let q = p;
  while (q < end) {
    if (s == start) {
      // fast path: skip ASCII bytes that leave the DFA where it is (most text, for most patterns),
      // 16 at a time when few bytes can leave the start state
      if (ASC_FEATURE_SIMD && wide) q = skipStartWide(q, end, leave, nLeave);
      while (q < end) {
        const b = load<u8>(q);
        if (b >= 0x80 || load<u8>(stay + <usize>b) == 0) break;
        q++;
      }
      if (q >= end) break;
    }
    const b0 = <u32>load<u8>(q);
    let cp: u32;
    if (b0 < 0x80) {
      cp = b0;
      q += 1;
    } else if (b0 < 0xe0 && q + 1 < end) {
      cp = ((b0 & 0x1f) << 6) | (<u32>load<u8>(q, 1) & 0x3f);
      q += 2;
    } else if (b0 < 0xf0 && q + 2 < end) {
      cp = ((b0 & 0x0f) << 12) | ((<u32>load<u8>(q, 1) & 0x3f) << 6) | (<u32>load<u8>(q, 2) & 0x3f);
      q += 3;
    } else if (q + 3 < end) {
      cp = ((b0 & 0x07) << 18) | ((<u32>load<u8>(q, 1) & 0x3f) << 12) | ((<u32>load<u8>(q, 2) & 0x3f) << 6) | (<u32>load<u8>(q, 3) & 0x3f);
      q += 4;
    } else {
      cp = 0xfffd;
      q = end;
    }
    let cls: i32;
    if (cp < 128) cls = <i32>load<u8>(ascii + <usize>cp);
    else {
      cls = other;
      let lo = 0;
      let hi = nRanges - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const e = ranges + <usize>(mid * 12);
        if (cp < load<u32>(e)) hi = mid - 1;
        else if (cp > load<u32>(e, 4)) lo = mid + 1;
        else {
          cls = <i32>load<u32>(e, 8);
          break;
        }
      }
    }
    s = <i32>load<u16>(table + (<usize>(s * classes + cls) << 1));
    const a = load<u8>(accept + <usize>s);
    if ((a & 1) != 0) return true;
    if (s == dead) return false;
  }
  return (load<u8>(accept + <usize>s) & 3) != 0;
}

// ---------------------------------------------------------------- image validation

function region(off: i32, bytes: i32): bool {
  return off >= H_WORDS * 4 && bytes >= 0 && <i64>off + <i64>bytes <= <i64>imgLen;
}

let vDepth = 0;

function validate(): bool {
  for (let b = 0; b < nBuckets; b++) {
    const e = bucketsBase + (<usize>b << 3);
    const off = load<i32>(e);
    const cnt = load<i32>(e, 4);
    if (cnt < 0 || cnt > nPol || !region(off, cnt * 4)) return false;
    for (let i = 0; i < cnt; i++) {
      const k = load<i32>(img + <usize>off + (<usize>i << 2));
      if (k < 0 || k >= nPol) return false;
    }
  }
  for (let k = 0; k < nPol; k++) {
    const rec = polBase + (<usize>(k * PREC) << 2);
    const kind = load<i32>(rec);
    if (kind < PK_STATELESS || kind > PK_REPEAT) return false;
    if (!validCode(load<i32>(rec, 4))) return false;
    if (kind == PK_STATELESS) continue;
    const stOff = load<i32>(rec, 12);
    let words = 1;
    if (kind == PK_WINDOW) {
      const cap = load<i32>(rec, 24);
      if (cap < 1 || cap > 1 << 16) return false;
      if (load<i32>(rec, 20) < 0 || load<i32>(rec, 20) >= nNums) return false;
      words = 1 + cap;
    }
    if (kind == PK_REPEAT) words = 3 * REPEAT_TABLE;
    if (stOff < 0 || stOff + words > stateWords) return false;
    if (kind == PK_COUNT || kind == PK_WINDOW || kind == PK_SUM || kind == PK_AFTER) {
      if (!validCode(load<i32>(rec, 8))) return false;
    }
    if (kind != PK_AFTER) {
      const mi = load<i32>(rec, 16);
      if (mi < 0 || mi >= nNums) return false;
    }
    if (kind == PK_SUM) {
      const slot = load<i32>(rec, 20);
      if (slot < 0 || slot >= nSlots) return false;
    }
  }
  for (let i = 0; i < nStrs; i++) {
    if (!region(load<i32>(strsBase + (<usize>i << 3)), load<i32>(strsBase + (<usize>i << 3), 4))) return false;
  }
  for (let i = 0; i < nSets; i++) {
    const r = setsBase + (<usize>(i * SET_WORDS) << 2);
    const mask = load<i32>(r, 4);
    if (mask < 0 || (mask & (mask + 1)) != 0) return false;
    if (!region(load<i32>(r), (mask + 1) * 4)) return false;
    if (!region(load<i32>(r, 8), load<i32>(r, 12) * 8)) return false;
    const table = img + <usize>load<i32>(r);
    let used = 0;
    for (let j = 0; j <= mask; j++) {
      const si = load<i32>(table + (<usize>j << 2));
      if (si >= nStrs || si < -1) return false;
      if (si >= 0) used++;
    }
    // at least one empty slot keeps every probe sequence finite
    if (load<i32>(r, 20) > 0 && used > mask) return false;
  }
  for (let i = 0; i < nDfas; i++) {
    const r = dfasBase + (<usize>(i * DFA_WORDS) << 2);
    const states = load<i32>(r);
    const classes = load<i32>(r, 4);
    const start = load<i32>(r, 8);
    const dead = load<i32>(r, 12);
    const nRanges = load<i32>(r, 36);
    const other = load<i32>(r, 40);
    if (states < 1 || states > 65535 || classes < 1 || classes > 65535) return false;
    if (start < 0 || start >= states || dead < -1 || dead >= states || other < 0 || other >= classes) return false;
    if (!region(load<i32>(r, 20), states * classes * 2)) return false;
    if (!region(load<i32>(r, 24), states)) return false;
    if (!region(load<i32>(r, 28), 128)) return false;
    if (nRanges < 0 || !region(load<i32>(r, 32), nRanges * 12)) return false;
    if (!region(load<i32>(r, 44), 128)) return false;
    const table = img + <usize>load<i32>(r, 20);
    for (let j = 0; j < states * classes; j++) if (<i32>load<u16>(table + (<usize>j << 1)) >= states) return false;
    const ascii = img + <usize>load<i32>(r, 28);
    for (let j = 0; j < 128; j++) if (<i32>load<u8>(ascii + <usize>j) >= classes) return false;
    // the skip map must agree with the table, or the fast path would change answers
    const stay = img + <usize>load<i32>(r, 44);
    for (let j = 0; j < 128; j++) {
      const next = <i32>load<u16>(table + (<usize>(start * classes + <i32>load<u8>(ascii + <usize>j)) << 1));
      if ((load<u8>(stay + <usize>j) == 1) != (next == start)) return false;
    }
    const ranges = img + <usize>load<i32>(r, 32);
    for (let j = 0; j < nRanges; j++) if (<i32>load<u32>(ranges + <usize>(j * 12), 8) >= classes) return false;
  }
  return true;
}

function validCode(pc: i32): bool {
  if (pc == -1) return true;
  vDepth = 0;
  const end = validNode(pc);
  return end > 0 && end <= codeWords;
}

/** Returns the pc after the node, or -1 when the node is malformed. */
function validNode(pc: i32): i32 {
  if (pc < 0 || pc >= codeWords) return -1;
  if (++vDepth > MAX_DEPTH) return -1;
  const op = code(pc);
  let next = -1;
  if (op == OP_TEST) {
    if (pc + 4 > codeWords) return -1;
    const t = code(pc + 1);
    const slot = code(pc + 2);
    const arg = code(pc + 3);
    if (slot < 0 || slot >= nSlots) return -1;
    if (t == T_EQNUM || t == T_GT || t == T_GTE || t == T_LT || t == T_LTE || (t >= T_LENEQ && t <= T_LENLTE)) {
      if (arg < 0 || arg >= nNums) return -1;
    } else if (t == T_EQSTR || t == T_PREFIX || t == T_SUFFIX || t == T_CONTAINS) {
      if (arg < 0 || arg >= nStrs) return -1;
    } else if (t == T_IN) {
      if (arg < 0 || arg >= nSets) return -1;
    } else if (t == T_PATTERN) {
      if (arg < 0 || arg >= nDfas) return -1;
    } else if (t != T_EQBOOL && t != T_EQNULL && t != T_EXISTS) return -1;
    next = pc + 4;
  } else if (op == OP_ALL || op == OP_ANY) {
    if (pc + 3 > codeWords) return -1;
    const n = code(pc + 1);
    const end = code(pc + 2);
    if (n < 0) return -1;
    let p = pc + 3;
    for (let i = 0; i < n; i++) {
      p = validNode(p);
      if (p < 0) return -1;
    }
    if (p != end) return -1;
    next = end;
  } else if (op == OP_NOT) {
    if (pc + 2 > codeWords) return -1;
    const end = code(pc + 1);
    const p = validNode(pc + 2);
    if (p < 0 || p != end) return -1;
    next = end;
  } else if (op == OP_TRUE || op == OP_FALSE) {
    next = pc + 1;
  }
  vDepth--;
  return next;
}
