// The identity of a tool call for loop detection. Two calls are the same call when their
// signatures (tool name + the JSON of the arguments) are equal. Building that JSON for every
// recorded call cost more than the rest of recording together (a 1 KB string per call, then
// hashed as a Map key), so a call is kept as its arguments flattened into the values JSON would
// write: structure markers, keys and scalars. Strings are immutable, so the flat list is a
// snapshot that copies no text; two flat lists are equal exactly when the JSON texts are.
// Arguments JSON would not write as they are (undefined, non-finite numbers, toJSON, class
// instances, BigInt, cycles, very large or deep values) keep the JSON signature itself.

import type { JsonValue } from '../events/types.js';

/**
 * A string identifying a tool call: tool name plus the JSON of its arguments. Producers emit
 * arguments in a stable key order, so the same call gives the same signature.
 */
export function callSignature(tool: string, args: Record<string, JsonValue>): string {
  let json: string;
  try {
    json = JSON.stringify(args);
  } catch {
    json = String(Object.keys(args));
  }
  return tool + '\u0000' + json;
}

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193) >>> 0;
}

function fingerprintValue(v: JsonValue | undefined, h: number, depth: number): number {
  if (v === null || v === undefined) return mix(h, 1);
  if (typeof v === 'string') {
    h = mix(h, v.length + 7);
    const n = v.length;
    // all of a short string; the ends of a long one (equal fingerprints are confirmed by the full key)
    if (n <= 48) for (let i = 0; i < n; i++) h = mix(h, v.charCodeAt(i));
    else {
      for (let i = 0; i < 24; i++) h = mix(h, v.charCodeAt(i));
      for (let i = n - 24; i < n; i++) h = mix(h, v.charCodeAt(i));
    }
    return h;
  }
  if (typeof v === 'number') return mix(h, (v * 1000) | 0);
  if (typeof v === 'boolean') return mix(h, v ? 3 : 5);
  if (depth > 16) return h;
  if (Array.isArray(v)) {
    h = mix(h, 11 + v.length);
    for (const x of v) h = fingerprintValue(x, h, depth + 1);
    return h;
  }
  for (const k of Object.keys(v)) h = fingerprintValue(v[k], fingerprintValue(k, h, depth), depth + 1);
  return h;
}

/** A cheap 32-bit fingerprint of a call; different fingerprints mean different calls. */
export function callFingerprint(tool: string, args: Record<string, JsonValue>): number {
  return fingerprintValue(args, fingerprintValue(tool, 0x811c9dc5, 0), 0);
}

// Markers in a flat list; symbols, so no argument value can equal one.
const OPEN_OBJECT = Symbol('{');
const OPEN_ARRAY = Symbol('[');
const CLOSE = Symbol(']');
const MAX_FLAT = 65_536;
const MAX_DEPTH = 64;

/**
 * Append `v` to `out` as a flat list: strings, finite numbers, booleans and null as themselves,
 * arrays and plain objects (own enumerable keys, in order) between markers. False for anything
 * JSON would write differently from what it holds (undefined, functions, symbols, non-finite
 * numbers, BigInt, toJSON, boxed primitives and other class instances) or that is too large or
 * deep: there the caller keeps the JSON signature. On what remains, JSON is a faithful encoding,
 * so equal flat lists mean equal JSON, and the call fingerprint (a function of the same tree)
 * is equal too.
 */
function flatValue(v: unknown, out: unknown[], depth: number): boolean {
  if (out.length > MAX_FLAT || depth > MAX_DEPTH) return false;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      out.push(v);
      return true;
    case 'number':
      if (!Number.isFinite(v)) return false;
      out.push(v);
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null) {
    out.push(null);
    return true;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  if (Array.isArray(v)) {
    if (proto !== Array.prototype) return false;
    out.push(OPEN_ARRAY);
    for (let i = 0; i < v.length; i++) if (!flatValue(v[i], out, depth + 1)) return false;
    out.push(CLOSE);
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  out.push(OPEN_OBJECT);
  const rec = v as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    out.push(k);
    if (!flatValue(rec[k], out, depth + 1)) return false;
  }
  out.push(CLOSE);
  return true;
}

/** The value a flat list describes, from `pos`; returns it and the position after it. */
function unflatten(flat: readonly unknown[], pos: number): [unknown, number] {
  const x = flat[pos];
  if (x === OPEN_ARRAY) {
    const arr: unknown[] = [];
    let p = pos + 1;
    while (flat[p] !== CLOSE) {
      const [v, next] = unflatten(flat, p);
      arr.push(v);
      p = next;
    }
    return [arr, p + 1];
  }
  if (x === OPEN_OBJECT) {
    // no prototype, so a `__proto__` key stays an ordinary property
    const obj = Object.create(null) as Record<string, unknown>;
    let p = pos + 1;
    while (flat[p] !== CLOSE) {
      const [v, next] = unflatten(flat, p + 1);
      obj[flat[p] as string] = v;
      p = next;
    }
    return [obj, p + 1];
  }
  return [x, pos + 1];
}

export class CallKey {
  private sig: string | undefined;

  constructor(
    readonly tool: string,
    readonly fingerprint: number,
    /** the arguments as JSON would write them, or null when `sig` holds the JSON signature */
    private readonly flat: readonly unknown[] | null,
    sig?: string,
  ) {
    this.sig = sig;
  }

  /** false when the arguments are kept as their signature string */
  get flattened(): boolean {
    return this.flat !== null;
  }

  /** `callSignature(tool, args)` for the arguments as they were when the key was taken. */
  signature(): string {
    if (this.sig === undefined) this.sig = this.tool + '\u0000' + JSON.stringify(unflatten(this.flat as readonly unknown[], 0)[0]);
    return this.sig;
  }

  /**
   * Same call (equal signatures)? A signature's JSON holds no raw NUL, so equal signatures mean
   * equal tool names and equal JSON, and equal JSON means equal flat lists (numbers compare with
   * ===, so 0 and -0, both written `0`, are equal).
   */
  same(other: CallKey): boolean {
    if (this === other) return true;
    const a = this.flat;
    const b = other.flat;
    if (a === null || b === null) return this.signature() === other.signature();
    if (this.tool !== other.tool || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

/** The key of a call (pass its fingerprint when already computed). */
export function callKey(tool: string, args: Record<string, JsonValue>, fingerprint = callFingerprint(tool, args)): CallKey {
  const flat: unknown[] = [];
  let ok: boolean;
  try {
    ok = flatValue(args, flat, 0);
  } catch {
    ok = false; // a throwing getter: JSON.stringify meets it too
  }
  return ok ? new CallKey(tool, fingerprint, flat) : new CallKey(tool, fingerprint, null, callSignature(tool, args));
}
