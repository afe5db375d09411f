// Kernel memory for a large rule set. The engine does not expose its kernel, so this loads the same
// program image into a standalone KernelInstance with the engine's default capacities and reads
// the layout the kernel reports (see the memory map at the top of assembly/index.ts):
//   static  kernel data + stack below the heap base (the image starts there)
//   image   the compiled bundle (bundle.program.image)
//   input   slot table + value records + violation output + pending state updates
//   state   per-run sequence state: stateWords × 8 bytes × maxRuns (0 for stateless rules)
//   strings projected string bytes; starts at 64 KiB and doubles when an event needs more
// The total that counts is the Wasm linear memory actually committed (memory.buffer.byteLength),
// which is whole 64 KiB pages and never shrinks. After driving the engine itself with the 1 KB
// stream, its live linear memory is read too as a cross-check (see peekEngineMemory).

import type { Bundle } from '../../src/policy/index.js';
import type { Engine } from '../../src/engine/index.js';
import { KernelInstance } from '../../src/engine/kernel-instance.js';

/** the engine's defaults (src/engine/engine.ts) */
export const DEFAULT_MAX_RUNS = 4096;
export const DEFAULT_MAX_VALUES = 4096;

export interface KernelMemory {
  policies: number;
  imageBytes: number;
  staticBytes: number;
  inputBytes: number;
  stateBytes: number;
  stringBytes: number;
  /** the areas above added up: static + image + input + state + strings */
  laidOutBytes: number;
  /** committed Wasm linear memory of the standalone instance */
  linearMemoryBytes: number;
  /** committed linear memory of the engine's own kernel after the 1 KB stream, when readable */
  engineLinearMemoryBytes: number | undefined;
}

export function kernelMemory(bundle: Bundle, engineAfterLoad?: Engine): KernelMemory {
  const image = bundle.program.image;
  const k = new KernelInstance(image, DEFAULT_MAX_RUNS, DEFAULT_MAX_VALUES);
  // the image sits at align8(heap base) and the slot table at align8(image end)
  const imageStart = k.slotsPtr - ((image.byteLength + 7) & ~7);
  const laidOutBytes = k.stringsPtr + k.stringsCap;
  return {
    policies: bundle.policies.length,
    imageBytes: image.byteLength,
    staticBytes: imageStart,
    inputBytes: k.statePtr - k.slotsPtr,
    stateBytes: k.stringsPtr - k.statePtr,
    stringBytes: k.stringsCap,
    laidOutBytes,
    linearMemoryBytes: k.x.memory.buffer.byteLength,
    engineLinearMemoryBytes: engineAfterLoad ? peekEngineMemory(engineAfterLoad) : undefined,
  };
}

/**
 * Bench-only peek at the engine's private kernel (`kernel.x.memory`), because the Engine interface
 * has no accessor for it yet. Returns undefined if the engine's internals no longer look like that.
 */
export function peekEngineMemory(engine: Engine): number | undefined {
  const kernel = (engine as unknown as { kernel?: unknown }).kernel;
  if (kernel instanceof KernelInstance) return kernel.x.memory.buffer.byteLength;
  return undefined;
}
