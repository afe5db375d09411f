// How event and context cross into an isolate, and the msgpack codec for the child-process pipe.
//
// Four formats, all measured by bench/sandbox/run.ts through the real host:
// - `on-demand` (the default for single calls): the host sends a skeleton of the event and of the
//   context (every primitive, and every small object or array, as JSON); a large value further
//   down stays on the host until the policy reads it, when the isolate runtime fetches it by
//   number through one host callback. A policy pays for what it reads, not for what the event
//   carries (DemandPayload below; bench/RESULTS-sandbox.md);
// - `json`: JSON text, parsed inside the isolate by V8's native JSON.parse (the fastest of the
//   formats that send everything, and the default for batches, async calls and the child process);
// - `msgpack`: standard msgpack (msgpackr, useRecords: false) moved in as a one-byte-per-char
//   string and decoded by the isolate runtime's own decoder (no native msgpack inside V8);
// - `structured-clone`: an isolated-vm ExternalCopy of the objects.
// Each payload is a primitive string except structured-clone, so nothing host-owned is reachable
// from inside the isolate.
//
// Single calls send their strings in chunks shorter than 1 KiB. isolated-vm copies a string of
// under 1024 bytes into the isolate as an ordinary heap string, and a longer one as an external
// string backed by a shared buffer (src/external_copy/string.cc), which costs more to create, to
// parse and to collect: about 1.2 µs of a 1 KB call (bench/RESULTS-sandbox.md). The isolate
// runtime concatenates the chunks before decoding.

import ivm from '../native/isolated-vm.js';
import { Packr } from 'msgpackr';

export const MARSHAL_FORMATS = ['on-demand', 'json', 'msgpack', 'structured-clone'] as const;
export type MarshalFormat = (typeof MARSHAL_FORMATS)[number];
/** Batches and async calls send everything up front: the host may change its objects meanwhile. */
export const BATCH_MARSHAL_FORMATS = ['json', 'msgpack', 'structured-clone'] as const;
export type BatchMarshalFormat = (typeof BATCH_MARSHAL_FORMATS)[number];

/** Standard msgpack others can read: maps, not msgpackr records; undefined properties skipped like JSON. */
export const wirePackr = new Packr({
  useRecords: false,
  skipValues: [undefined],
  largeBigIntToString: true,
} as ConstructorParameters<typeof Packr>[0]);

/** A value ready to hand to `applySync`, plus what must be released afterwards. */
export interface IsolatePayload {
  arg: string | ivm.Copy<unknown>;
  release(): void;
}

const nothingToRelease = (): void => {};

/** Chunk length in chars: under 1 KiB even when V8 stores the string with two bytes per char. */
export const CHUNK_CHARS = 511;
/** Past this many chars a payload goes as one string: one external string costs less than 32+ arguments. */
export const MAX_CHUNKED_CHARS = 16 * 1024;

/**
 * Contexts shorter than this are decoded before the call: decoding them costs about what the
 * Proxy and its first trap cost, so deferring would only slow down the policies that read them.
 */
export const LAZY_CONTEXT_MIN_CHARS = 512;

/** Pushes `text` onto `out` in CHUNK_CHARS pieces (one piece when short or very long); returns how many. */
export function pushChunks(out: string[], text: string): number {
  if (text.length <= CHUNK_CHARS || text.length > MAX_CHUNKED_CHARS) {
    out.push(text);
    return 1;
  }
  let n = 0;
  for (let i = 0; i < text.length; i += CHUNK_CHARS) {
    out.push(text.slice(i, i + CHUNK_CHARS));
    n++;
  }
  return n;
}

/**
 * An event and its context encoded once, ready for any number of `run` calls (one per policy).
 * `args` gives one call's argument list: `[policyIndex, now, eventParts, lazyContext, ...parts]`,
 * where the first `eventParts` parts are the event and the rest the context. `lazyContext` is 1
 * when the context is an encoded map of at least LAZY_CONTEXT_MIN_CHARS, which the isolate then
 * decodes on the policy's first use of it (isolate-runtime.ts, `lazyContext`).
 */
export interface CallPayload {
  args(policyIndex: number, now: number): unknown[];
  release(): void;
}

export function encodeCall(format: MarshalFormat, event: unknown, context: unknown): CallPayload {
  if (format === 'on-demand') return new DemandPayload(event, context);
  if (format === 'structured-clone') return new CopyPayload(event, context);
  const ev = encodeText(format, event);
  const cx = encodeText(format, context);
  const lazy = cx.length >= LAZY_CONTEXT_MIN_CHARS && isEncodedMap(format, cx) ? 1 : 0;
  // the common case, two short strings, without the chunking loop
  if (ev.length <= CHUNK_CHARS && cx.length <= CHUNK_CHARS) return new TextPayload(1, lazy, [ev, cx]);
  const parts: string[] = [];
  const eventParts = pushChunks(parts, ev);
  pushChunks(parts, cx);
  return new TextPayload(eventParts, lazy, parts);
}

class TextPayload implements CallPayload {
  constructor(
    private readonly eventParts: number,
    private readonly lazy: 0 | 1,
    private readonly parts: readonly string[],
  ) {}

  args(policyIndex: number, now: number): unknown[] {
    return [policyIndex, now, this.eventParts, this.lazy, ...this.parts];
  }

  release(): void {}
}

class CopyPayload implements CallPayload {
  private readonly event: ivm.ExternalCopy<unknown>;
  private readonly context: ivm.ExternalCopy<unknown>;

  constructor(event: unknown, context: unknown) {
    this.event = new ivm.ExternalCopy(event);
    try {
      this.context = new ivm.ExternalCopy(context);
    } catch (e) {
      this.event.release();
      throw e;
    }
  }

  // a fresh transferable per call: each copyInto() is consumed by the call it goes into
  args(policyIndex: number, now: number): unknown[] {
    return [policyIndex, now, 1, 0, this.event.copyInto(), this.context.copyInto()];
  }

  release(): void {
    this.event.release();
    this.context.release();
  }
}

// ---- on-demand: a skeleton now, large values when the policy reads them ----

/** An object or array below the top whose JSON is estimated at no more than this many chars, or a string no longer, goes whole. */
export const INLINE_CHARS = 256;
/** An event or context estimated at no more than this many chars goes whole, without a skeleton. */
export const ROOT_INLINE_CHARS = 512;
/** Large objects this many levels below the one being encoded are expanded in place; deeper ones wait. */
export const EXPAND_LEVELS = 2;
/** `fetch` results the isolate runtime turns into a TypeError (isolate-runtime.ts, demandNode). */
export const FETCH_GONE = -1;
export const FETCH_FAILED = -2;

let payloadSerial = 0;
const NO_CHAIN: readonly object[] = Object.freeze([]);

/**
 * One event and its context, sent as skeletons. A skeleton is two JSON texts, `copy,lazy`:
 * `copy` is the value with each large object or array below it replaced by 0, and `lazy` is 0
 * or a list of `path, id, kind` triples for those places (kind 0 object, 1 array, 2 string), each path relative to `copy`. The
 * isolate installs a property at each place that fetches node `id` on first read.
 *
 * - The call itself is one JSON text, `[policyIndex, now, serial, event skeleton, context
 *   skeleton]`: isolated-vm charges for every argument, and V8 parses one text faster than two.
 * - A value whose estimate is at most ROOT_INLINE_CHARS goes whole. Otherwise an object node's
 *   skeleton keeps numbers, booleans, short strings and small values, expands large objects up
 *   to EXPAND_LEVELS deep, and leaves strings longer than INLINE_CHARS (a tool result's text),
 *   large arrays and deeper objects as nodes of their own.
 * - An array node is sent whole: a policy that reads an array usually walks it, and one fetch
 *   costs less than many.
 * - Cycles fail as JSON.stringify's do: every node keeps its chain of ancestors, and a value
 *   equal to one of them is a cycle. Within the levels encoded before the call that is checked
 *   up front; below them, when the policy reaches the node (the call then fails as a marshal
 *   failure; a policy never receives a cyclic value).
 * - `fetch` runs during the isolate call, synchronously, so the policy sees the objects as they
 *   are while it runs. After `release` every fetch answers FETCH_GONE.
 * - A value that cannot be encoded at fetch time (a throwing getter, a BigInt) is kept in
 *   `failure`, and the call's verdict becomes a marshal failure whatever the policy returned.
 */
export class DemandPayload implements CallPayload {
  readonly serial: number;
  /** the last error met while encoding a fetched node, and how many fetches failed */
  failure: unknown = undefined;
  failures = 0;
  private nodes: unknown[] = [];
  private chains: (readonly object[])[] = [];
  private texts: (string | undefined)[] = [];
  private readonly tail: string;

  constructor(event: unknown, context: unknown) {
    this.serial = payloadSerial = (payloadSerial + 1) & 0x3fffffff;
    const chain: object[] = [];
    this.tail = `,${this.serial},${this.skeleton(event, chain)},${this.skeleton(context, chain)}]`;
  }

  args(policyIndex: number, now: number): unknown[] {
    return [`[${policyIndex},${now}${this.tail}`];
  }

  /** `[skeleton]` of node `id` (a string node: the string), or FETCH_GONE / FETCH_FAILED. Called from inside the isolate. */
  fetch(serial: unknown, id: unknown): string | number {
    if (serial !== this.serial || typeof id !== 'number' || !(id >= 0 && id < this.nodes.length)) return FETCH_GONE;
    const node = this.nodes[id];
    // a long text goes as itself: copied, not escaped and parsed
    if (typeof node === 'string') return node;
    const cached = this.texts[id];
    if (cached !== undefined) return cached;
    try {
      const text = `[${this.skeleton(node, this.chains[id]!.slice())}]`;
      this.texts[id] = text;
      return text;
    } catch (e) {
      this.failure = e;
      this.failures++;
      return FETCH_FAILED;
    }
  }

  release(): void {
    this.nodes = [];
    this.chains = [];
    this.texts = [];
  }

  /** `copy,lazy` for `value`; `chain` (the value's ancestors) is used as a stack and left as found. */
  private skeleton(value: unknown, chain: object[]): string {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || hasToJSON(value) || estimate(value, ROOT_INLINE_CHARS) >= 0) {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('value is not JSON-serialisable');
      return `${text},0`;
    }
    const lazy: unknown[] = [];
    chain.push(value);
    const copy = this.expand(value as Record<string, unknown>, [], chain, lazy, 0);
    chain.pop();
    return `${JSON.stringify(copy)},${lazy.length === 0 ? '0' : JSON.stringify(lazy)}`;
  }

  private expand(src: Record<string, unknown>, path: (string | number)[], chain: object[], lazy: unknown[], level: number): Record<string, unknown> {
    const copy: Record<string, unknown> = {};
    const keys = Object.keys(src);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const c = src[k];
      if (typeof c === 'string' ? c.length <= INLINE_CHARS : c === null || typeof c !== 'object' || hasToJSON(c) || estimate(c, INLINE_CHARS) >= 0) {
        put(copy, k, c);
        continue;
      }
      if (typeof c === 'string') {
        // a long text (a tool result, a document): sent when read, as itself (no ancestors needed)
        put(copy, k, this.leave(lazy, [...path, k], c, 2, NO_CHAIN));
        continue;
      }
      const o = c as object;
      if (chain.includes(o)) throw new TypeError(`Converting circular structure to JSON (at \`${[...path, k].join('.')}\`)`);
      const isArray = Array.isArray(o);
      if (!isArray && level < EXPAND_LEVELS) {
        path.push(k);
        chain.push(o);
        put(copy, k, this.expand(c as Record<string, unknown>, path, chain, lazy, level + 1));
        chain.pop();
        path.pop();
        continue;
      }
      put(copy, k, this.leave(lazy, [...path, k], c, isArray ? 1 : 0, chain.slice()));
    }
    return copy;
  }

  /** Keeps `value` on the host as the next node, listed in `lazy` at `path`; returns the placeholder. */
  private leave(lazy: unknown[], path: (string | number)[], value: unknown, kind: 0 | 1 | 2, chain: readonly object[]): 0 {
    lazy.push(path, this.nodes.length, kind);
    this.nodes.push(value);
    this.chains.push(chain);
    return 0;
  }
}

/** Values JSON.stringify turns into something other than an object walk: `toJSON`, boxed primitives. */
function hasToJSON(v: object): boolean {
  return typeof (v as { toJSON?: unknown }).toJSON === 'function' || v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof BigInt;
}

/** Assigns without ever touching a prototype: `__proto__` becomes an own property, as JSON.parse makes it. */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * `budget` minus a rough JSON length of `v`, stopping as soon as it goes below zero (so a large
 * or cyclic value costs no more than a small one to judge).
 */
export function estimate(v: unknown, budget: number): number {
  if (v === null || typeof v !== 'object') return budget - (typeof v === 'string' ? v.length + 2 : 8);
  if (hasToJSON(v)) return budget - 32;
  budget -= 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && budget >= 0; i++) budget = estimate(v[i], budget - 1);
    return budget;
  }
  // for-in allocates no key array; inherited keys are skipped (JSON never reads them, and a getter there must not run)
  for (const k in v) {
    if (!hasOwn.call(v, k)) continue;
    budget = estimate((v as Record<string, unknown>)[k], budget - k.length - 4);
    if (budget < 0) break;
  }
  return budget;
}

function encodeText(format: 'json' | 'msgpack', value: unknown): string {
  if (format === 'msgpack') return wirePackr.pack(value).toString('latin1');
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new TypeError('value is not JSON-serialisable');
  return text;
}

/** Whether an encoded value is a map (a plain object), judged from its first char or byte. */
function isEncodedMap(format: 'json' | 'msgpack', text: string): boolean {
  const c = text.charCodeAt(0);
  // JSON `{`; msgpack fixmap, map16, map32
  return format === 'json' ? c === 0x7b : (c >= 0x80 && c <= 0x8f) || c === 0xde || c === 0xdf;
}

export function encodeForIsolate(format: BatchMarshalFormat, value: unknown): IsolatePayload {
  switch (format) {
    case 'json':
    case 'msgpack':
      return { arg: encodeText(format, value), release: nothingToRelease };
    case 'structured-clone': {
      const copy = new ivm.ExternalCopy(value);
      return {
        arg: copy.copyInto(),
        release: () => copy.release(),
      };
    }
  }
}
