// cascade token scanner: the framework packs' token tables (src/frameworks/scan/token-scanner.ts)
// run over text in linear time. The host writes a compiled table once (src/frameworks/scan/
// kernel-scanner.ts lays it out) and, per scan, the text as UTF-16 code units (read here as 128
// from 128 up, a value no class or prefix contains), so every offset is the JavaScript string
// offset. Matches come back as (entry, start, end) triples. Validators stay in
// JavaScript and are called through the one import; entropy is computed here.
//
// The algorithm is the TypeScript scanner's, step for step, and test/frameworks/kernel-scanner
// checks that both give the same matches on every corpus text and on random text.

@external("env", "validate")
declare function validate(entry: i32, start: i32, end: i32, bodyStart: i32): i32;

const MAGIC: u32 = 0x4e414353; // 'SCAN'
const ABI_VERSION: i32 = 1;

// header words
const H_MAGIC = 0;
const H_NENTRIES = 1;
const H_MINMATCH = 2;
const H_FLAGS = 3;
const H_SPAN = 4;
const H_CLASSES = 5;
const H_ANCHORED = 6;
const H_LOOSE = 7;
const H_SINGLE = 8;
const H_LISTS = 9;
const H_ENTRIES = 10;

// entry words
const E_PREFIX = 0;
const E_PLEN = 1;
const E_CI = 2;
const E_BACK = 3;
const E_BACKMAX = 4;
const E_HASBACKMAX = 5;
const E_BACKCLASS = 6;
const E_BODYCLASS = 7;
const E_MIN = 8;
const E_MAX = 9;
const E_FLAGS = 10;
const E_ENTROPY = 12; // an f64 in words 12 and 13 (8-aligned: entries start 8-aligned, 56 bytes each)
export const ENTRY_WORDS: i32 = 14;

const F_EXACT: u32 = 1;
const F_BOUNDARY: u32 = 2;
const F_VALIDATE: u32 = 4;
const F_ENTROPY: u32 = 8;

let table: usize = 0;
let text: usize = 0;
let n: i32 = 0;
let out: usize = 0;
let outCap: i32 = 0;
let count: i32 = 0;
let lastStart: i32 = 0;
let heapTop: usize = 0;
// absolute addresses of the table's regions, set by `scan` from the header
let gFlags: usize = 0;
let gSpan: usize = 0;
let gClasses: usize = 0;
let gAnchored: usize = 0;
let gLoose: usize = 0;
let gSingle: usize = 0;
let gLists: usize = 0;
let gEntries: usize = 0;

// @ts-ignore: decorator
@inline function hw(k: i32): u32 {
  return load<u32>(table + (<usize>k << 2));
}
// @ts-ignore: decorator
@inline function ch(i: i32): u32 {
  const c = <u32>load<u16>(text + (<usize>i << 1));
  return c < 128 ? c : 128;
}
// @ts-ignore: decorator
@inline function inClass(cls: u32, c: u32): bool {
  return c < 128 && load<u8>(gClasses + (<usize>cls << 7) + <usize>c) == 1;
}
// @ts-ignore: decorator
@inline function isWordChar(c: u32): bool {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
// @ts-ignore: decorator
@inline function ew(e: i32, k: i32): u32 {
  return load<u32>(gEntries + ((<usize>e * <usize>ENTRY_WORDS + <usize>k) << 2));
}

export function scan_abi_version(): i32 {
  return ABI_VERSION;
}

/** Reserves `bytes` after what is already reserved; returns the pointer, 0 when memory cannot grow. */
export function scan_reserve(bytes: i32): usize {
  if (heapTop == 0) heapTop = (__heap_base + 15) & ~15;
  const p = heapTop;
  const end = p + <usize>bytes;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  heapTop = (end + 15) & ~15;
  return p;
}

/** Forgets every reservation from `ptr` on (the host keeps the table and re-reserves text and output). */
export function scan_release_to(ptr: usize): void {
  heapTop = ptr;
}

// character counts for the entropy check, in static data (below __heap_base, never reserved)
const counts: usize = memory.data(129 * 4, 16);

function entropyOf(start: i32, end: i32): f64 {
  const len = end - start;
  if (len <= 0) return 0;
  memory.fill(counts, 0, 129 * 4);
  for (let i = start; i < end; i++) {
    const a = counts + (<usize>ch(i) << 2);
    store<i32>(a, load<i32>(a) + 1);
  }
  let h: f64 = 0;
  for (let c = 0; c < 129; c++) {
    const k = load<i32>(counts + (<usize>c << 2));
    if (k == 0) continue;
    const p = <f64>k / <f64>len;
    h -= p * Math.log2(p);
  }
  return h;
}

function tryAt(i: i32, e: i32): i32 {
  let back = <i32>ew(e, E_BACK);
  if (back > 0) {
    const bt = ew(e, E_BACKCLASS);
    const backMax = <i32>ew(e, E_BACKMAX);
    let k = 0;
    while (k < backMax && i - k - 1 >= 0 && inClass(bt, ch(i - k - 1))) k++;
    if (k < back) return -1;
    if (ew(e, E_HASBACKMAX) == 0) k = back;
    back = k;
    if (i - back - 1 >= 0 && isWordChar(ch(i - back - 1))) return -1;
  }
  const plen = <i32>ew(e, E_PLEN);
  if (i + plen > n) return -1;
  const prefix = table + <usize>ew(e, E_PREFIX);
  if (ew(e, E_CI) != 0) {
    for (let j = 0; j < plen; j++) {
      let c = ch(i + j);
      if (c >= 65 && c <= 90) c += 32;
      if (c != <u32>load<u8>(prefix + <usize>j)) return -1;
    }
  } else {
    for (let j = 0; j < plen; j++) if (ch(i + j) != <u32>load<u8>(prefix + <usize>j)) return -1;
  }
  const bodyStart = i + plen;
  let j = bodyStart;
  const body = ew(e, E_BODYCLASS);
  const max = <i32>ew(e, E_MAX);
  // no i32 overflow for an unbounded max (the host stores Infinity as 2^31 - 1)
  const limit = max >= n - bodyStart ? n : bodyStart + max;
  while (j < limit && inClass(body, ch(j))) j++;
  if (j - bodyStart < <i32>ew(e, E_MIN)) return -1;
  const flags = ew(e, E_FLAGS);
  if ((flags & F_EXACT) != 0 && j < n && inClass(body, ch(j))) return -1;
  if ((flags & F_ENTROPY) != 0 && entropyOf(bodyStart, j) < load<f64>(gEntries + ((<usize>e * <usize>ENTRY_WORDS + <usize>E_ENTROPY) << 2))) return -1;
  if ((flags & F_VALIDATE) != 0 && validate(e, i - back, j, bodyStart) == 0) return -1;
  lastStart = i - back;
  return j;
}

/** Tries a bucket's entries (a packed start | count << 16 cell); the end of the first match, or -1. */
function tryBucket(cell: u32, i: i32, boundaryOnlyIfAtBoundary: bool, atBoundary: bool): i32 {
  const start = <i32>(cell & 0xffff);
  const cnt = <i32>(cell >>> 16);
  const lists = gLists;
  for (let k = 0; k < cnt; k++) {
    const e = <i32>load<u16>(lists + (<usize>(start + k) << 1));
    if (boundaryOnlyIfAtBoundary && !atBoundary && (ew(e, E_FLAGS) & F_BOUNDARY) != 0) continue;
    const end = tryAt(i, e);
    if (end > 0) {
      if (count >= outCap) return -2;
      const o = out + (<usize>count * 12);
      store<i32>(o, e);
      store<i32>(o, lastStart, 4);
      store<i32>(o, end, 8);
      count++;
      return end;
    }
  }
  return -1;
}

/** Matches starting in [from, to); -2 when the output area is full. */
function scanRange(from: i32, to: i32): i32 {
  const flagsAt = gFlags;
  const anchored = gAnchored;
  const loose = gLoose;
  const single = gSingle;
  let prevBreaks = from > 0 && ch(from - 1) < 128 && (load<u8>(flagsAt + <usize>ch(from - 1)) & 1) == 1;
  for (let i = from; i < to; i++) {
    const c = ch(i);
    if (c >= 128) {
      prevBreaks = false;
      continue;
    }
    const f = <u32>load<u8>(flagsAt + <usize>c);
    const atBoundary = !prevBreaks;
    prevBreaks = (f & 1) == 1;
    const tryAnchored = atBoundary && (f & 2) == 2;
    if (!tryAnchored && (f & 4) == 0) continue;
    const c2 = i + 1 < n ? ch(i + 1) : 0;
    const hasKey = c2 < 128;
    const key = (c << 7) + c2;
    let end = -1;
    if (tryAnchored && hasKey) {
      const cell = load<u32>(anchored + (<usize>key << 2));
      if (cell != 0) end = tryBucket(cell, i, false, true);
    }
    if (end == -2) return -2;
    if (end <= 0 && (f & 4) == 4 && hasKey) {
      const cell = load<u32>(loose + (<usize>key << 2));
      if (cell != 0) end = tryBucket(cell, i, false, true);
    }
    if (end == -2) return -2;
    if (end <= 0) {
      const cell = load<u32>(single + (<usize>c << 2));
      if (cell != 0) end = tryBucket(cell, i, true, atBoundary);
    }
    if (end == -2) return -2;
    if (end > 0) {
      i = end - 1;
      prevBreaks = true;
    }
  }
  return 0;
}

/**
 * Scans `len` UTF-16 code units at `textPtr` with the table at `tablePtr`; writes (entry, start, end) i32
 * triples to `outPtr`. Returns the match count, -1 when the table is not a scan table, -2 when
 * more than `cap` matches were found (the host grows the area and scans again).
 */
export function scan(tablePtr: usize, textPtr: usize, len: i32, outPtr: usize, cap: i32): i32 {
  table = tablePtr;
  if (hw(H_MAGIC) != MAGIC) return -1;
  gFlags = table + <usize>hw(H_FLAGS);
  gSpan = table + <usize>hw(H_SPAN);
  gClasses = table + <usize>hw(H_CLASSES);
  gAnchored = table + <usize>hw(H_ANCHORED);
  gLoose = table + <usize>hw(H_LOOSE);
  gSingle = table + <usize>hw(H_SINGLE);
  gLists = table + <usize>hw(H_LISTS);
  gEntries = table + <usize>hw(H_ENTRIES);
  text = textPtr;
  n = len;
  out = outPtr;
  outCap = cap;
  count = 0;
  const need = <i32>hw(H_MINMATCH);
  if (need < 2) return scanRange(0, n) == -2 ? -2 : count;
  const span = gSpan;
  let i = 0;
  while (i + need <= n) {
    let k = i + need - 1;
    while (k >= i) {
      const c = ch(k);
      if (c >= 128 || load<u8>(span + <usize>c) == 0) break;
      k--;
    }
    if (k >= i) {
      i = k + 1;
      continue;
    }
    let e = i + need;
    while (e < n) {
      const c = ch(e);
      if (c >= 128 || load<u8>(span + <usize>c) == 0) break;
      e++;
    }
    if (scanRange(i, e) == -2) return -2;
    i = e + 1;
  }
  return count;
}
