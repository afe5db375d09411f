// Projection: copies only the fields a bucket's policies read from the event into the kernel's
// preallocated input area (slot table, 24-byte value records, UTF-8 string bytes). This is the hot
// path, so it avoids allocation: no intermediate arrays for single-valued paths, ASCII written
// byte by byte, and Buffer#write (UTF-8, in place) for longer or non-ASCII strings.

import { V, VALUE_BYTES } from '../policy/bundle-format.js';

// module-local copies: reading imported bindings in the hot loop costs a getter under some loaders
const V_NULL = V.null;
const V_BOOL = V.bool;
const V_NUM = V.num;
const V_STR = V.str;
const V_ARRAY = V.array;
const V_OBJECT = V.object;
const RECORD_BYTES = VALUE_BYTES;
import { isPrototypeKey, readPath, type FieldPath } from '../policy/field-path.js';
import type { KernelInstance } from './kernel-instance.js';

export class ProjectionOverflow extends Error {
  override readonly name = 'ProjectionOverflow';
}


/** Projects a fixed list of slots of one event into `k` (generated per slot list, see compileSlotList); call it with its Projector. */
export type ListProjector = (event: unknown, p: Projector, k: KernelInstance) => void;

const hasOwn = Object.prototype.hasOwnProperty;
/** the kernel reads little-endian memory; four-byte stores assume the host does too */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/**
 * Strings up to this many UTF-16 units are copied by a JS loop (about 1.3 ns a character here);
 * longer ones by Buffer#write, a native UTF-8 encoder with a fixed cost of about 60 ns. The two
 * cross near 45 characters (bench: engine projection suite, 2026-11-25).
 */
const SHORT_STRING = 40;
const NOT_OBJECT = "v === null || typeof v !== 'object' || Array.isArray(v)";

/**
 * Generates the projection of one bucket's slot list as straight-line code: every property read
 * has a constant name, so V8 caches each read for the shapes it meets and inlines the whole
 * sequence, where a loop over varying keys and readers goes megamorphic (measured: most of the
 * projection's fixed cost). The generated text holds nothing but JSON string literals of the keys
 * and integer slot numbers, so a policy's field names cannot inject code. Semantics are those of
 * field-path's readPath: a non-object (or an array) on the way yields nothing, and a key that names
 * an Object.prototype member counts only as an own property. Paths with wildcards, indexes or `**`
 * go through readPath itself. Returns undefined where code generation from strings is disabled.
 */
function compileSlotList(paths: readonly FieldPath[], slots: readonly number[]): ListProjector | undefined {
  const lines = ['let v;'];
  for (const slot of slots) {
    const path = paths[slot];
    if (path === undefined || !Number.isInteger(slot) || slot < 0) return undefined;
    if (path.segments.every((seg) => 'key' in seg)) {
      lines.push('v = e;');
      for (const seg of path.segments) {
        const key = (seg as { key: string }).key;
        const lit = JSON.stringify(key);
        const read = isPrototypeKey(key) ? `(hasOwn.call(v, ${lit}) ? v[${lit}] : undefined)` : `v[${lit}]`;
        lines.push(`v = ${NOT_OBJECT} ? undefined : ${read};`);
      }
      // strings and numbers (nearly every value policies read) take a monomorphic writer
      lines.push(`if (typeof v === 'string') p.str(k, ${slot}, v); else if (typeof v === 'number') p.num(k, ${slot}, v); else p.single(k, ${slot}, v);`);
    } else lines.push(`p.multi(k, ${slot}, e);`);
  }
  try {
    const make = new Function('hasOwn', `'use strict';\nreturn function projectSlots(e, p, k) {\np.begin();\n${lines.join('\n')}\n};`);
    return make(hasOwn) as ListProjector;
  } catch {
    return undefined;
  }
}

export class Projector {
  private readonly scratch: unknown[] = [];
  private readonly compiled = new Map<readonly number[], ListProjector | null>();
  /** values written for the current event */
  private valueCount = 0;
  /** bytes used in the kernel's string area for the current event */
  private strPos = 0;

  constructor(private readonly paths: readonly FieldPath[]) {}

  /**
   * The projection of one slot list, generated once and cached by the array's identity (bucket
   * plans keep theirs for the bundle's life). Hot paths keep the returned function.
   */
  compile(slots: readonly number[]): ListProjector {
    let f = this.compiled.get(slots);
    if (f === undefined) {
      f = compileSlotList(this.paths, slots) ?? null;
      this.compiled.set(slots, f);
    }
    if (f !== null) return f;
    return (event, p, k) => {
      p.begin();
      for (let j = 0; j < slots.length; j++) p.multi(k, slots[j]!, event);
    };
  }

  /** Writes the given slots of `event` into the kernel. Throws ProjectionOverflow past the kernel's capacity. */
  project(k: KernelInstance, event: unknown, slots: readonly number[]): void {
    this.compile(slots)(event, this, k);
  }

  /** Starts an event: no values and no string bytes written yet (every projection calls it first). */
  begin(): void {
    this.valueCount = 0;
    this.strPos = 0;
  }

  /** one slot holding one string */
  str(k: KernelInstance, slot: number, s: string): void {
    const idx = this.nextValue(k);
    this.putString(k, idx, s);
    this.setSlot(k, slot, idx, 1);
  }

  /** one slot holding one number */
  num(k: KernelInstance, slot: number, x: number): void {
    const idx = this.nextValue(k);
    this.putScalar(k, idx, V_NUM, x);
    this.setSlot(k, slot, idx, 1);
  }

  /** one slot of a single-valued path, already read (undefined: absent) */
  single(k: KernelInstance, slot: number, v: unknown): void {
    const first = this.valueCount;
    if (v !== undefined) this.writeValue(k, v);
    this.setSlot(k, slot, first, this.valueCount - first);
  }

  /** one slot of any path, read generically (fan-out paths, and the fallback without code generation) */
  multi(k: KernelInstance, slot: number, event: unknown): void {
    const first = this.valueCount;
    const list = this.scratch;
    list.length = 0;
    readPath(event, this.paths[slot]!, list);
    for (let i = 0; i < list.length; i++) this.writeValue(k, list[i]);
    list.length = 0;
    this.setSlot(k, slot, first, this.valueCount - first);
  }

  /** The slot table entry: the slot's values are records [first, first + count). */
  private setSlot(k: KernelInstance, slot: number, first: number, count: number): void {
    const t = (k.slotsPtr >> 2) + slot * 2;
    const i32 = k.i32;
    i32[t] = first;
    i32[t + 1] = count;
  }

  /** Claims the next value record; throws ProjectionOverflow past the kernel's capacity. */
  private nextValue(k: KernelInstance): number {
    const idx = this.valueCount;
    if (idx >= k.maxValues) throw new ProjectionOverflow(`event has more than ${k.maxValues} values in the fields policies read`);
    this.valueCount = idx + 1;
    return idx;
  }

  /** Record `idx` as a string: its UTF-8 bytes go to the string area. */
  private putString(k: KernelInstance, idx: number, s: string): void {
    const len = this.writeString(k, s);
    const base = k.valuesPtr + idx * RECORD_BYTES;
    const w = base >> 2;
    const i32 = k.i32; // after writeString: it may have grown memory
    i32[w] = V_STR;
    i32[w + 1] = k.stringsPtr + this.strPos - len;
    i32[w + 2] = len;
    k.f64[(base + 16) >> 3] = s.length;
  }

  /** Record `idx` as a non-string value: its type and number (count, length, 0/1, the number itself). */
  private putScalar(k: KernelInstance, idx: number, type: number, num: number): void {
    const base = k.valuesPtr + idx * RECORD_BYTES;
    k.i32[base >> 2] = type;
    k.f64[(base + 16) >> 3] = num;
  }

  private writeValue(k: KernelInstance, v: unknown): void {
    let type: number;
    let num = 0;
    switch (typeof v) {
      case 'number':
        type = V_NUM;
        num = v;
        break;
      case 'string':
        type = V_STR;
        break;
      case 'boolean':
        type = V_BOOL;
        num = v ? 1 : 0;
        break;
      case 'bigint':
        type = V_NUM;
        num = Number(v);
        break;
      case 'object':
        if (v === null) type = V_NULL;
        else if (Array.isArray(v)) {
          type = V_ARRAY;
          num = v.length;
        } else {
          type = V_OBJECT;
          let n = 0;
          for (const key in v as object) if (Object.prototype.hasOwnProperty.call(v, key)) n++;
          num = n;
        }
        break;
      default:
        return; // functions, symbols, undefined: invisible to policies
    }
    const idx = this.nextValue(k);
    if (type === V_STR) this.putString(k, idx, v as string);
    else this.putScalar(k, idx, type, num);
  }

  /** Writes UTF-8 at the current string position, advances it, returns the byte length. */
  private writeString(k: KernelInstance, s: string): number {
    const n = s.length;
    // strings start 4-aligned so short ASCII text can be stored four bytes per write
    const off = (this.strPos + 3) & ~3;
    const need = off + n * 3;
    if (need > k.stringsCap && !k.reserveStrings(need))
      throw new ProjectionOverflow(`string values need ${need} bytes, more than the kernel can hold`);
    this.strPos = off;
    const at = k.stringsPtr + off;
    if (n <= SHORT_STRING && LITTLE_ENDIAN && (at & 3) === 0) {
      const u32 = k.u32;
      let w = at >> 2;
      let i = 0;
      for (; i + 4 <= n; i += 4) {
        const a = s.charCodeAt(i);
        const b = s.charCodeAt(i + 1);
        const c = s.charCodeAt(i + 2);
        const d = s.charCodeAt(i + 3);
        if ((a | b | c | d) >= 0x80) break;
        u32[w++] = a | (b << 8) | (c << 16) | (d << 24);
      }
      const u8 = k.u8;
      let p = w << 2;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        u8[p++] = c;
      }
      if (i === n) {
        this.strPos = off + n;
        return n;
      }
    }
    // lone surrogates become U+FFFD here exactly as with TextEncoder (the reference relies on it)
    const written = k.buf.write(s, at, n * 3, 'utf8');
    this.strPos = off + written;
    return written;
  }
}
