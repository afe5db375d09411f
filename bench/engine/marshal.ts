// Marshalling evidence for the engine's design: how much it costs to move an event across an
// isolation boundary (msgpackr vs JSON, encode + decode of the whole event) compared with direct
// projection, which copies only the fields the bundle reads into kernel memory.

import { Packr } from 'msgpackr';
import { EVENT_KINDS, type ToolCallEvent } from '../../src/events/types.js';
import type { Bundle } from '../../src/policy/index.js';
import { KernelInstance } from '../../src/engine/kernel-instance.js';
import { Projector } from '../../src/engine/projection.js';
import type { Timed } from './timing.js';

/** standard msgpack that any reader understands (no msgpackr record extension) */
const packr = new Packr({ useRecords: false });

export function roundTripCodecs(): Timed<ToolCallEvent>[] {
  return [
    { engine: 'json', sync: true, evaluate: (e) => JSON.parse(JSON.stringify(e)) as unknown },
    { engine: 'msgpackr', sync: true, evaluate: (e) => packr.unpack(packr.pack(e)) as unknown },
  ];
}

export function encoders(bundle: Bundle): Timed<ToolCallEvent>[] {
  // a private kernel + projector for the bundle, fed exactly as the engine feeds its own
  const program = bundle.program;
  const kernel = new KernelInstance(program.image, 4096, 4096);
  const projector = new Projector(program.slots);
  const toolIds = new Map(program.tools.map((t, i) => [t, i]));
  const kind = EVENT_KINDS.indexOf('tool.call');
  const nTools = program.tools.length;
  return [
    { engine: 'json', sync: true, evaluate: (e) => JSON.stringify(e) },
    { engine: 'msgpackr', sync: true, evaluate: (e) => packr.pack(e) },
    {
      engine: 'cascade-projection',
      sync: true,
      evaluate: (e) => {
        const bucket = kind * (nTools + 1) + (toolIds.get(e.tool) ?? nTools);
        projector.project(kernel, e, program.buckets[bucket]!.slots);
        return undefined;
      },
    },
  ];
}

/** checks the codecs actually round-trip the bench events, and reports their encoded sizes */
export function encodedSizes(events: readonly ToolCallEvent[]): { json: number; msgpack: number } {
  let json = 0;
  let msgpack = 0;
  for (const e of events) {
    const text = JSON.stringify(e);
    const bytes = packr.pack(e);
    if (JSON.stringify(packr.unpack(bytes)) !== text) throw new Error('msgpackr did not round-trip a bench event');
    json += Buffer.byteLength(text);
    msgpack += bytes.byteLength;
  }
  return { json: Math.round(json / events.length), msgpack: Math.round(msgpack / events.length) };
}
