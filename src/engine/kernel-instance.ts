// One live Wasm kernel: owns the instance and its memory views, loads a program image, and is the
// only code that knows the ABI's function names. A trapped instance is never reused.

import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KERNEL_ABI_VERSION } from '../policy/bundle-format.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  rt_abi_version(): number;
  rt_image_reserve(len: number): number;
  rt_load(runs: number, values: number): number;
  rt_slots_ptr(): number;
  rt_values_ptr(): number;
  rt_out_ptr(): number;
  rt_pending_ptr(): number;
  rt_pending_count(): number;
  rt_state_ptr(): number;
  rt_strings_ptr(): number;
  rt_strings_cap(): number;
  rt_strings_reserve(bytes: number): number;
  rt_reset_run(run: number): number;
  rt_commit(): void;
  rt_discard(): void;
  rt_eval(bucket: number, run: number, now: number, hlo: number, hhi: number): number;
}

export class KernelLoadError extends Error {
  override readonly name = 'KernelLoadError';
}

let cachedModule: WebAssembly.Module | undefined;

/** Finds a file of build/ whether running from src/ (tsx, vitest) or dist/src/ (published). */
export function buildPath(file: string): string {
  const candidates = [`../../build/${file}`, `../../../build/${file}`];
  for (const c of candidates) {
    const p = fileURLToPath(new URL(c, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new KernelLoadError(`build/${file} is missing: run \`npm run build\` (it runs on \`npm install\` via \`prepare\`)`);
}

/**
 * The kernel comes in two builds of the same source: `kernel.wasm` scans text 16 bytes at a time
 * with WebAssembly SIMD; `kernel-scalar.wasm` does without. The SIMD build is used wherever the
 * runtime accepts it (every supported Node.js line on x64 and arm64); the scalar one otherwise, so
 * a host without SIMD still gets a working kernel. `CASCADE_KERNEL=scalar` forces the scalar build
 * (for comparison and tests).
 */
export type KernelBuild = 'simd' | 'scalar';
let chosenBuild: KernelBuild | undefined;

export function kernelBuild(): KernelBuild {
  kernelModule();
  return chosenBuild!;
}

export function kernelModule(): WebAssembly.Module {
  if (cachedModule) return cachedModule;
  if (process.env.CASCADE_KERNEL !== 'scalar') {
    const bytes = readFileSync(buildPath('kernel.wasm'));
    if (WebAssembly.validate(bytes)) {
      cachedModule = new WebAssembly.Module(bytes);
      chosenBuild = 'simd';
      return cachedModule;
    }
  }
  cachedModule = new WebAssembly.Module(readFileSync(buildPath('kernel-scalar.wasm')));
  chosenBuild = 'scalar';
  return cachedModule;
}

export class KernelInstance {
  readonly x: KernelExports;
  i32!: Int32Array;
  f64!: Float64Array;
  u8!: Uint8Array;
  u32!: Uint32Array;
  /** a Buffer over the same memory: Buffer#write encodes UTF-8 in place without allocating */
  buf!: Buffer;
  private buffer!: ArrayBuffer;
  slotsPtr = 0;
  valuesPtr = 0;
  outPtr = 0;
  pendingPtr = 0;
  statePtr = 0;
  stringsPtr = 0;
  stringsCap = 0;

  constructor(image: Uint8Array, readonly maxRuns: number, readonly maxValues: number) {
    const inst = new WebAssembly.Instance(kernelModule(), {});
    this.x = inst.exports as unknown as KernelExports;
    const abi = this.x.rt_abi_version();
    if (abi !== KERNEL_ABI_VERSION)
      throw new KernelLoadError(`kernel ABI version ${abi} does not match the host's ${KERNEL_ABI_VERSION}: rebuild with \`npm run build\``);
    const at = this.x.rt_image_reserve(image.length);
    if (at === 0) throw new KernelLoadError(`kernel could not reserve ${image.length} bytes for the program`);
    new Uint8Array(this.x.memory.buffer, at, image.length).set(image);
    const status = this.x.rt_load(maxRuns, maxValues);
    if (status !== 0) throw new KernelLoadError(`kernel rejected the program image (status ${status})`);
    this.slotsPtr = this.x.rt_slots_ptr();
    this.valuesPtr = this.x.rt_values_ptr();
    this.outPtr = this.x.rt_out_ptr();
    this.pendingPtr = this.x.rt_pending_ptr();
    this.statePtr = this.x.rt_state_ptr();
    this.stringsPtr = this.x.rt_strings_ptr();
    this.stringsCap = this.x.rt_strings_cap();
    this.refreshViews();
  }

  /** Memory growth detaches the old buffer; views must be rebuilt after anything that can grow it. */
  refreshViews(): void {
    const buf = this.x.memory.buffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
    this.u8 = new Uint8Array(buf);
    this.u32 = new Uint32Array(buf);
    this.buf = Buffer.from(buf);
  }

  /** Ensures the string area holds `bytes`; false when memory cannot grow. */
  reserveStrings(bytes: number): boolean {
    if (bytes <= this.stringsCap) return true;
    const p = this.x.rt_strings_reserve(bytes);
    if (p === 0) return false;
    this.stringsCap = this.x.rt_strings_cap();
    this.refreshViews();
    return true;
  }
}
