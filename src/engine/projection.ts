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


interface SlotReader {
  /** single-valued paths: walk keys without allocating */
  keys: string[] | undefined;
  /** per key: it names an Object.prototype member, so only an own property counts */
  guarded: boolean[] | undefined;
  path: FieldPath;
}

export class Projector {
  private readonly readers: SlotReader[];
  private readonly scratch: unknown[] = [];
  private valueCount = 0;
  private strPos = 0;

  constructor(slots: readonly FieldPath[]) {
    this.readers = slots.map((path) => ({
      path,
      keys: path.segments.every((s) => 'key' in s) ? path.segments.map((s) => (s as { key: string }).key) : undefined,
      guarded: path.segments.every((s) => 'key' in s) ? path.segments.map((s) => isPrototypeKey((s as { key: string }).key)) : undefined,
    }));
  }

  /** Writes the given slots of `event` into the kernel. Throws ProjectionOverflow past the kernel's capacity. */
  project(k: KernelInstance, event: unknown, slots: readonly number[]): void {
    this.valueCount = 0;
    this.strPos = 0;
    const i32 = k.i32;
    const slotBase = k.slotsPtr >> 2;
    for (let j = 0; j < slots.length; j++) {
      const slot = slots[j]!;
      const r = this.readers[slot]!;
      const first = this.valueCount;
      if (r.keys) {
        let v: unknown = event;
        const keys = r.keys;
        const guarded = r.guarded!;
        for (let i = 0; i < keys.length; i++) {
          if (v === null || typeof v !== 'object' || Array.isArray(v)) {
            v = undefined;
            break;
          }
          const key = keys[i]!;
          v = guarded[i] && !Object.prototype.hasOwnProperty.call(v, key) ? undefined : (v as Record<string, unknown>)[key];
        }
        if (v !== undefined) this.writeValue(k, v);
      } else {
        const list = this.scratch;
        list.length = 0;
        readPath(event, r.path, list);
        for (let i = 0; i < list.length; i++) this.writeValue(k, list[i]);
        list.length = 0;
      }
      const s = slotBase + slot * 2;
      k.i32[s] = first;
      k.i32[s + 1] = this.valueCount - first;
      void i32;
    }
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
    const idx = this.valueCount;
    if (idx >= k.maxValues) throw new ProjectionOverflow(`event has more than ${k.maxValues} values in the fields policies read`);
    this.valueCount = idx + 1;
    const base = k.valuesPtr + idx * RECORD_BYTES;
    const w = base >> 2;
    if (type === V_STR) {
      const s = v as string;
      const off = this.strPos;
      const len = this.writeString(k, s);
      const i32 = k.i32; // after writeString: it may have grown memory
      i32[w] = type;
      i32[w + 1] = k.stringsPtr + off;
      i32[w + 2] = len;
      k.f64[(base + 16) >> 3] = s.length;
    } else {
      k.i32[w] = type;
      k.f64[(base + 16) >> 3] = num;
    }
  }

  /** Writes UTF-8 at the current string position, advances it, returns the byte length. */
  private writeString(k: KernelInstance, s: string): number {
    const n = s.length;
    const need = this.strPos + n * 3;
    if (need > k.stringsCap && !k.reserveStrings(need))
      throw new ProjectionOverflow(`string values need ${need} bytes, more than the kernel can hold`);
    const off = this.strPos;
    const u8 = k.u8;
    let p = k.stringsPtr + off;
    if (n <= 64) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        u8[p++] = c;
      }
      if (i === n) {
        this.strPos += n;
        return n;
      }
    }
    // lone surrogates become U+FFFD here exactly as with TextEncoder (the reference relies on it)
    const written = k.buf.write(s, k.stringsPtr + off, n * 3, 'utf8');
    this.strPos += written;
    return written;
  }
}
