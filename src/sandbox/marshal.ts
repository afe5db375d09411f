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

/** Pushes `text` onto `out` in CHUNK_CHARS pieces (one piece when short or very long); returns how many. */
export function pushChunks(out: unknown[], text: string): number {
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
 * when the context is an encoded map, which the isolate then decodes on the policy's first use
 * of it (isolate-runtime.ts, `lazyContext`).
 */
export interface CallPayload {
  args(policyIndex: number, now: number): unknown[];
  release(): void;
}

export function encodeCall(format: MarshalFormat, event: unknown, context: unknown): CallPayload {
  if (format === 'structured-clone') {
    const ev = new ivm.ExternalCopy(event);
    let cx: ivm.ExternalCopy<unknown>;
    try {
      cx = new ivm.ExternalCopy(context);
    } catch (e) {
      ev.release();
      throw e;
    }
    return {
      // a fresh transferable per call: each copyInto() is consumed by the call it goes into
      args: (policyIndex, now) => [policyIndex, now, 1, 0, ev.copyInto(), cx.copyInto()],
      release: () => {
        ev.release();
        cx.release();
      },
    };
  }
  const ev = encodeForIsolate(format, event).arg as string;
  const cx = encodeForIsolate(format, context).arg as string;
  const tail: unknown[] = [0, isEncodedMap(format, cx) ? 1 : 0];
  tail[0] = pushChunks(tail, ev);
  pushChunks(tail, cx);
  return {
    args: (policyIndex, now) => {
      const out: unknown[] = [policyIndex, now];
      for (let i = 0; i < tail.length; i++) out.push(tail[i]);
      return out;
    },
    release: nothingToRelease,
  };
}

/** Whether an encoded value is a map (a plain object), judged from its first char or byte. */
function isEncodedMap(format: 'json' | 'msgpack', text: string): boolean {
  const c = text.charCodeAt(0);
  // JSON `{`; msgpack fixmap, map16, map32
  return format === 'json' ? c === 0x7b : (c >= 0x80 && c <= 0x8f) || c === 0xde || c === 0xdf;
}

export function encodeForIsolate(format: MarshalFormat, value: unknown): IsolatePayload {
  switch (format) {
    case 'json': {
      const text = JSON.stringify(value);
      if (typeof text !== 'string') throw new TypeError('value is not JSON-serialisable');
      return { arg: text, release: nothingToRelease };
    }
    case 'msgpack': {
      const bytes = wirePackr.pack(value);
      return { arg: bytes.toString('latin1'), release: nothingToRelease };
    }
    case 'structured-clone': {
      const copy = new ivm.ExternalCopy(value);
      return {
        arg: copy.copyInto(),
        release: () => copy.release(),
      };
    }
  }
}
