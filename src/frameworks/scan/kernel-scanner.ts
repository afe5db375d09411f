// A TokenScanner's table run by the Wasm scan kernel (assembly/scan.ts, build/kernel-scan.wasm).
// The table is laid out once in the instance's memory from the TokenScanner's own compiled
// buckets, so both scanners try the same entries in the same order; per scan the text is copied
// in as UTF-16 code units (the kernel reads every unit from 128 up as 128, which no class or
// prefix contains), so offsets are string offsets. Validators stay in JavaScript: the kernel calls them
// through its one import with the match's offsets, and this wrapper hands them the string.
//
// Layout (little-endian; header words, then the regions at the offsets the header gives, all
// relative to the table's start):
//   header 16 words: magic 'SCAN', entries, minMatch, flags, span, classes, anchored, loose,
//                    single, lists, entries
//   flags[128] u8, span[128] u8, classes[CHAR_CLASSES.length][128] u8,
//   anchored[128*128] u32 and loose[128*128] u32 (bucket cells: first list index | count << 16),
//   single[128] u32, lists u16[] (entry indexes), entries (14 words each), prefix bytes

import { readFileSync } from 'node:fs';
import { buildPath } from '../../engine/kernel-instance.js';
import { CHAR_CLASSES, CLASS_TABLES, type Entry, type TokenMatch, type TokenScanner } from './token-scanner.js';

interface ScanExports {
  memory: WebAssembly.Memory;
  scan_abi_version(): number;
  scan_reserve(bytes: number): number;
  scan_release_to(ptr: number): void;
  scan(table: number, text: number, len: number, out: number, cap: number): number;
}

export const SCAN_ABI_VERSION = 1;
const MAGIC = 0x4e414353;
const ENTRY_WORDS = 14;
const F_EXACT = 1;
const F_BOUNDARY = 2;
const F_VALIDATE = 4;
const F_ENTROPY = 8;

let cachedModule: WebAssembly.Module | undefined;
function scanModule(): WebAssembly.Module {
  cachedModule ??= new WebAssembly.Module(readFileSync(buildPath('kernel-scan.wasm')));
  return cachedModule;
}

/** The same matches as `scanner.scan(text)`, found by the Wasm scan kernel. */
export class KernelTokenScanner {
  private readonly x: ScanExports;
  private readonly entries: Entry[] = [];
  private readonly table: number;
  /** where per-scan areas start: everything from here on is text, then output */
  private readonly scratch: number;
  private textCap = 0;
  private textPtr = 0;
  private outPtr = 0;
  private outCap = 0;
  private words!: Int32Array;
  private buf!: Buffer;
  private text = '';

  constructor(readonly scanner: TokenScanner) {
    const compiled = scanner.compiled();
    const validators = compiled.validators;
    const entries = this.entries;
    const instance = new WebAssembly.Instance(scanModule(), {
      env: {
        validate: (e: number, start: number, end: number, bodyStart: number): number => {
          const v = validators[entries[e]!.validate];
          return v !== undefined && v(this.text, start, end, bodyStart) ? 1 : 0;
        },
      },
    });
    this.x = instance.exports as unknown as ScanExports;
    if (this.x.scan_abi_version() !== SCAN_ABI_VERSION) throw new Error(`kernel-scan.wasm speaks ABI ${this.x.scan_abi_version()}, expected ${SCAN_ABI_VERSION}: run \`npm run build\``);

    // entries in first-seen order; every list refers to them by index
    const index = new Map<Entry, number>();
    const lists: number[] = [];
    const cell = (bucket: readonly Entry[] | undefined): number => {
      if (bucket === undefined || bucket.length === 0) return 0;
      const start = lists.length;
      for (const e of bucket) {
        let i = index.get(e);
        if (i === undefined) index.set(e, (i = entries.push(e) - 1));
        lists.push(i);
      }
      if (start > 0xffff || bucket.length > 0xffff || entries.length > 0xffff) throw new Error('token table too large for the scan kernel');
      return (start | (bucket.length << 16)) >>> 0;
    };
    const anchored = compiled.buckets.map(cell);
    const loose = compiled.looseBuckets.map(cell);
    const single = Array.from({ length: 128 }, (_, c) => cell(compiled.single[c]));

    const prefixes = entries.map((e) => (e.ci ? e.lowerPrefix : e.prefix));
    const align8 = (n: number): number => (n + 7) & ~7;
    let off = 64;
    const at = (bytes: number): number => {
      const p = off;
      off = align8(off + bytes);
      return p;
    };
    const oFlags = at(128);
    const oSpan = at(128);
    const oClasses = at(CHAR_CLASSES.length * 128);
    const oAnchored = at(128 * 128 * 4);
    const oLoose = at(128 * 128 * 4);
    const oSingle = at(128 * 4);
    const oLists = at(lists.length * 2);
    const oEntries = at(entries.length * ENTRY_WORDS * 4);
    const oPrefixes = at(prefixes.reduce((n, p) => n + p.length, 0));
    const size = off;

    this.table = this.x.scan_reserve(size);
    if (this.table === 0) throw new Error('the scan kernel could not reserve memory for its table');
    const mem = new Uint8Array(this.x.memory.buffer, this.table, size);
    const dv = new DataView(this.x.memory.buffer, this.table, size);
    const header = [MAGIC, entries.length, compiled.minMatch, oFlags, oSpan, oClasses, oAnchored, oLoose, oSingle, oLists, oEntries];
    header.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    mem.set(compiled.flags, oFlags);
    mem.set(compiled.spanChars, oSpan);
    CHAR_CLASSES.forEach((c, i) => mem.set(CLASS_TABLES[c], oClasses + i * 128));
    anchored.forEach((w, i) => dv.setUint32(oAnchored + i * 4, w, true));
    loose.forEach((w, i) => dv.setUint32(oLoose + i * 4, w, true));
    single.forEach((w, i) => dv.setUint32(oSingle + i * 4, w, true));
    lists.forEach((e, i) => dv.setUint16(oLists + i * 2, e, true));
    let pOff = oPrefixes;
    entries.forEach((e, i) => {
      const b = oEntries + i * ENTRY_WORDS * 4;
      const prefix = prefixes[i]!;
      for (let k = 0; k < prefix.length; k++) mem[pOff + k] = prefix.charCodeAt(k);
      const backClass = CHAR_CLASSES.indexOf(e.pattern.backClass ?? e.pattern.body);
      const flags =
        (e.exact ? F_EXACT : 0) | (e.needsBoundary ? F_BOUNDARY : 0) | (e.validate !== '' && validators[e.validate] !== undefined ? F_VALIDATE : 0) | (e.minEntropy >= 0 ? F_ENTROPY : 0);
      // lengths are i32 in the kernel: an unbounded `max` (Infinity) reads as "to the end of the text"
      const i32 = (n: number): number => (Number.isFinite(n) ? Math.max(0, Math.min(Math.trunc(n), 0x7fffffff)) : 0x7fffffff);
      const words = [pOff, e.plen, e.ci ? 1 : 0, i32(e.back), i32(e.backMax), e.hasBackMax ? 1 : 0, backClass, CHAR_CLASSES.indexOf(e.pattern.body), i32(e.min), i32(e.max), flags];
      words.forEach((w, k) => dv.setUint32(b + k * 4, w >>> 0, true));
      dv.setFloat64(b + 12 * 4, e.minEntropy, true);
      pOff += prefix.length;
    });
    this.scratch = this.table + size;
    this.reserve(4096, 64);
  }

  /**
   * Text and output areas after the table, grown (never shrunk) as texts and match counts need.
   * Nothing changes unless both areas fit: a failed grow leaves the scanner as it was, and throws.
   */
  private reserve(textBytes: number, matches: number): void {
    const textCap = Math.max(textBytes, this.textCap);
    const outCap = Math.max(matches, this.outCap);
    this.x.scan_release_to(this.scratch);
    const textPtr = this.x.scan_reserve(textCap);
    const outPtr = textPtr === 0 ? 0 : this.x.scan_reserve(outCap * 12);
    if (textPtr === 0 || outPtr === 0) {
      // put the areas in force back where they were (they fit before)
      this.x.scan_release_to(this.scratch);
      this.x.scan_reserve(this.textCap);
      this.x.scan_reserve(this.outCap * 12);
      throw new RangeError(`the scan kernel could not grow to ${textCap} bytes of text and ${outCap} matches`);
    }
    this.textCap = textCap;
    this.outCap = outCap;
    this.textPtr = textPtr;
    this.outPtr = outPtr;
    const buffer = this.x.memory.buffer;
    this.words = new Int32Array(buffer);
    this.buf = Buffer.from(buffer);
  }

  scan(text: string, out: TokenMatch[] = []): TokenMatch[] {
    const n = text.length;
    if (n * 2 > this.textCap) this.reserve(Math.max(n * 2, this.textCap * 2), this.outCap);
    const p = this.textPtr;
    // UTF-16 as it is: a native copy, offsets stay string offsets
    this.buf.write(text, p, n * 2, 'utf16le');
    this.text = text;
    try {
      let count = this.x.scan(this.table, p, n, this.outPtr, this.outCap);
      while (count === -2) {
        this.reserve(this.textCap, this.outCap * 2);
        count = this.x.scan(this.table, this.textPtr, n, this.outPtr, this.outCap);
      }
      if (count < 0) throw new Error(`the scan kernel rejected its table (status ${count})`);
      const w = this.words;
      const base = this.outPtr >> 2;
      for (let k = 0; k < count; k++) {
        const o = base + k * 3;
        out.push({ pattern: this.entries[w[o]!]!.pattern, start: w[o + 1]!, end: w[o + 2]! });
      }
      return out;
    } finally {
      this.text = '';
    }
  }
}

/** What a pack needs of a scanner. */
export interface Scanner {
  scan(text: string, out?: TokenMatch[]): TokenMatch[];
}

let kernelUnavailable: string | undefined;

/**
 * Longer texts are scanned in TypeScript: a Wasm memory never shrinks, so one huge tool result
 * would otherwise keep its size in every process for good. Both scanners find the same matches.
 */
export const MAX_KERNEL_TEXT = 1 << 20;

/** Why the packs scan in TypeScript instead of the Wasm kernel (undefined: they use the kernel). */
export function scanKernelUnavailable(): string | undefined {
  return kernelUnavailable;
}

/**
 * The Wasm scan kernel for `scanner`'s table, created on first use: about twice as fast as the
 * TypeScript scanner at 1 KB and 16 KB (bench/RESULTS-frameworks.md), with the same matches
 * (test/frameworks/token-scanner.test.ts). `CASCADE_SCANNER=ts` keeps the TypeScript scanner, and
 * so does a build without `build/kernel-scan.wasm`; `scanKernelUnavailable()` says why.
 */
export function kernelScanner(scanner: TokenScanner): Scanner {
  let impl: Scanner | undefined;
  const choose = (): Scanner => {
    if (process.env['CASCADE_SCANNER'] === 'ts') {
      kernelUnavailable = 'CASCADE_SCANNER=ts';
      return scanner;
    }
    try {
      return new KernelTokenScanner(scanner);
    } catch (e) {
      kernelUnavailable = e instanceof Error ? e.message : String(e);
      return scanner;
    }
  };
  return {
    scan(text: string, out?: TokenMatch[]): TokenMatch[] {
      if (text.length > MAX_KERNEL_TEXT) return scanner.scan(text, out);
      impl ??= choose();
      if (!(impl instanceof KernelTokenScanner)) return impl.scan(text, out);
      try {
        return impl.scan(text, out);
      } catch (e) {
        // the kernel could not grow its memory: the TypeScript scanner finds the same matches
        if (!(e instanceof RangeError)) throw e;
        kernelUnavailable = e.message;
        impl = scanner;
        return scanner.scan(text, out);
      }
    },
  };
}
