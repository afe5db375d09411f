// isolated-vm for the running Node.js. No single isolated-vm release builds on every supported
// Node line, so package.json lists one npm alias per release line as an optional dependency;
// npm skips the ones whose `engines` exclude the running Node and drops those whose build fails.
// This module picks the build for this Node's major version (never a second one: two isolated-vm
// builds in one process abort it) and loads it on first use, so importing the sandbox never fails
// and a missing build becomes one NativeModuleError saying what to install.
//
// The types below are the slice of isolated-vm's API the sandbox uses, written here because the
// package that is installed (and so its isolated-vm.d.ts) differs per Node version.
// test/native/isolated-vm.test.ts checks the slice against the build that loads.

import { NativeModuleError } from './errors.js';
import { describeSupportedNode, parseNodeVersion } from './node-support.js';
import { assertNodeNotTooOld, processEnvironment, requireNative, type NativeEnvironment } from './require-native.js';

export interface IsolatedVmBuild {
  /** the npm alias in package.json `optionalDependencies` */
  packageName: string;
  /** the isolated-vm range behind the alias */
  isolatedVm: string;
  /** Node majors this build is used on */
  nodeMajors: readonly number[];
}

/**
 * 5.x builds from source on Node 20 (no prebuilt binaries reachable) and does not compile on 24;
 * 6.x declares node >=22 and ships prebuilt linux/darwin/win32 binaries for Node 22 and 24.
 */
export const ISOLATED_VM_BUILDS: readonly IsolatedVmBuild[] = [
  { packageName: 'isolated-vm-v5', isolatedVm: '5.0.4', nodeMajors: [20] },
  { packageName: 'isolated-vm-v6', isolatedVm: '^6.2.0', nodeMajors: [22, 24] },
];

const WHAT = 'the sandbox (isolated-vm, for `type: custom` policies)';

/** The build for this Node.js, or a `no_build_for_node` error listing the supported versions. */
export function chooseIsolatedVmBuild(nodeVersion: string, builds: readonly IsolatedVmBuild[] = ISOLATED_VM_BUILDS): IsolatedVmBuild {
  const { major } = parseNodeVersion(nodeVersion);
  const build = builds.find((b) => b.nodeMajors.includes(major));
  if (build !== undefined) return build;
  throw new NativeModuleError(
    'no_build_for_node',
    `${WHAT} has no isolated-vm build for Node.js ${nodeVersion} in this release of cascade-runtime; ` +
      `it supports ${describeSupportedNode()} (see docs/node-versions.md)`,
    nodeVersion,
  );
}

/** Loads the build chosen for `env`; throws NativeModuleError. */
export function loadIsolatedVmFor(env: NativeEnvironment, builds: readonly IsolatedVmBuild[] = ISOLATED_VM_BUILDS): IsolatedVmModule {
  assertNodeNotTooOld(env, WHAT);
  const build = chooseIsolatedVmBuild(env.nodeVersion, builds);
  const loaded = requireNative(build.packageName, env, {
    what: WHAT,
    rebuildHint: `run \`npm ci\` (or \`npm install\`) again with Node.js ${env.nodeVersion}`,
  });
  return loaded as IsolatedVmModule;
}

// The outcome is kept either way: a build is required at most once per process.
let outcome: { ok: true; module: IsolatedVmModule } | { ok: false; error: unknown } | undefined;

/** The isolated-vm module for this process, loaded on first call. */
export function loadIsolatedVm(): IsolatedVmModule {
  if (outcome === undefined) {
    try {
      outcome = { ok: true, module: loadIsolatedVmFor(processEnvironment()) };
    } catch (error) {
      outcome = { ok: false, error };
    }
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.module;
}

/** Which alias this process loaded, if any (for diagnostics and tests). */
export function loadedIsolatedVmPackage(): string | undefined {
  if (outcome?.ok !== true) return undefined;
  return chooseIsolatedVmBuild(process.version).packageName;
}

// ---- the API slice ----

export interface IsolateOptions {
  /** heap limit in MB (minimum 8) */
  memoryLimit?: number;
  onCatastrophicError?: (message: string) => void;
}

export interface RunOptions {
  /** wall-clock limit in ms */
  timeout?: number;
}

export interface TransferOptions {
  reference?: boolean;
  copy?: boolean;
  externalCopy?: boolean;
  promise?: boolean;
}

export interface EvalClosureOptions extends RunOptions {
  filename?: string;
  arguments?: TransferOptions;
  result?: TransferOptions;
}

export interface ApplyOptions extends RunOptions {
  arguments?: TransferOptions;
  result?: TransferOptions;
}

export interface HeapStatistics {
  total_heap_size: number;
  used_heap_size: number;
  heap_size_limit: number;
  externally_allocated_size: number;
}

export interface IsolateHandle {
  readonly isDisposed: boolean;
  readonly cpuTime: bigint;
  readonly wallTime: bigint;
  createContextSync(): ContextHandle;
  compileModuleSync(code: string, options?: { filename?: string }): ModuleHandle;
  getHeapStatisticsSync(): HeapStatistics;
  dispose(): void;
}

export interface ContextHandle {
  evalClosureSync(code: string, args?: readonly unknown[], options?: EvalClosureOptions): unknown;
  release(): void;
}

export interface ModuleHandle {
  readonly dependencySpecifiers: string[];
  readonly namespace: ReferenceHandle;
  instantiateSync(context: ContextHandle, resolve: (specifier: string, referrer: ModuleHandle) => ModuleHandle): void;
  evaluateSync(options?: RunOptions): unknown;
  evaluate(options?: RunOptions): Promise<unknown>;
  release(): void;
}

/** Opaque: a value to move into an isolate with `derefInto()` / `copyInto()`. */
export interface TransferableHandle {
  readonly __transferable?: never;
}

export interface ReferenceHandle {
  readonly typeof: string;
  getSync(property: string | number, options?: TransferOptions): unknown;
  applySync(receiver: unknown, args?: readonly unknown[], options?: ApplyOptions): unknown;
  apply(receiver: unknown, args?: readonly unknown[], options?: ApplyOptions): Promise<unknown>;
  derefInto(): TransferableHandle;
  release(): void;
}

export interface CopyHandle<T> extends TransferableHandle {
  readonly __copyOf?: T;
}

export interface ExternalCopyHandle<T> {
  copy(): T;
  copyInto(): CopyHandle<T>;
  release(): void;
}

/** A host function an isolate can call; it receives and returns copies of primitives. */
export interface CallbackHandle extends TransferableHandle {
  readonly __callback?: never;
}

export interface IsolatedVmModule {
  Isolate: new (options?: IsolateOptions) => IsolateHandle;
  ExternalCopy: new <T>(value: T) => ExternalCopyHandle<T>;
  Callback: new (fn: (...args: never[]) => unknown) => CallbackHandle;
}

// `ivm.Isolate` and friends as types, the way the sandbox spells them with the real package.
declare namespace ivm {
  export type Isolate = IsolateHandle;
  export type Context = ContextHandle;
  export type Module = ModuleHandle;
  export type Reference = ReferenceHandle;
  export type Copy<T> = CopyHandle<T>;
  export type ExternalCopy<T> = ExternalCopyHandle<T>;
  export type Callback = CallbackHandle;
}

/** Like isolated-vm's default export, but the build is loaded on first use of a constructor. */
const ivm: IsolatedVmModule = {
  get Isolate() {
    return loadIsolatedVm().Isolate;
  },
  get ExternalCopy() {
    return loadIsolatedVm().ExternalCopy;
  },
  get Callback() {
    return loadIsolatedVm().Callback;
  },
};

export default ivm;
