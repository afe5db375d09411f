// How event and context cross into an isolate, and the msgpack codec for the child-process pipe.
//
// Three formats, all measured by bench/sandbox/run.ts through the real host:
// - `json`: JSON text, parsed inside the isolate by V8's native JSON.parse (the default: fastest
//   at every measured size, see bench/RESULTS-sandbox.md);
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

export const MARSHAL_FORMATS = ['json', 'msgpack', 'structured-clone'] as const;
export type MarshalFormat = (typeof MARSHAL_FORMATS)[number];

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

export function encodeForIsolate(format: MarshalFormat, value: unknown): IsolatePayload {
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
