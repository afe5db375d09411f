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
