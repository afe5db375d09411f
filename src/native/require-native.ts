// Requires a native npm package and turns the ways that fails (missing, built for another Node.js,
// dlopen refused) into one NativeModuleError that says what to run.

import { createRequire } from 'node:module';
import { NativeModuleError } from './errors.js';
import { describeSupportedNode, isOlderThanSupported } from './node-support.js';

export type RequireFunction = (id: string) => unknown;

/** What a loader needs from the process; tests pass their own. */
export interface NativeEnvironment {
  /** `process.version`, e.g. `v24.21.0` */
  nodeVersion: string;
  /** `process.versions.modules`, the ABI a native binary must be built for (115 = Node 20, 137 = Node 24) */
  nodeAbi: string;
  require: RequireFunction;
}

const require = createRequire(import.meta.url);

export function processEnvironment(): NativeEnvironment {
  return { nodeVersion: process.version, nodeAbi: process.versions.modules, require };
}

/** Throws `unsupported_node` when the running Node.js is older than every supported line. */
export function assertNodeNotTooOld(env: NativeEnvironment, what: string): void {
  if (!isOlderThanSupported(env.nodeVersion)) return;
  throw new NativeModuleError(
    'unsupported_node',
    `cascade-runtime needs ${describeSupportedNode()} and this is Node.js ${env.nodeVersion}: ${what} cannot be loaded; ` +
      'install a supported Node.js, then run `npm ci` (or `npm install`) again so the native builds match it',
    env.nodeVersion,
  );
}

export interface RequireNativeOptions {
  /** what the package is for, in a message: `the sandbox (isolated-vm)` */
  what: string;
  /** what to run when the package was built for another Node.js */
  rebuildHint: string;
}

export function requireNative(packageName: string, env: NativeEnvironment, options: RequireNativeOptions): unknown {
  try {
    return env.require(packageName);
  } catch (err) {
    throw translateLoadError(packageName, env, options, err);
  }
}

export function translateLoadError(
  packageName: string,
  env: NativeEnvironment,
  options: RequireNativeOptions,
  err: unknown,
): NativeModuleError {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const node = `Node.js ${env.nodeVersion}`;
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
    return new NativeModuleError(
      'not_installed',
      `${options.what} needs \`${packageName}\` on ${node}, and it is not installed ` +
        '(npm installs only the native builds that fit the Node.js running the install, and none with `--omit=optional`); ' +
        `run \`npm ci\` (or \`npm install\`) again with ${node}`,
      env.nodeVersion,
      { packageName, cause: err },
    );
  }
  const abi = /NODE_MODULE_VERSION (\d+)/.exec(message);
  if (abi !== null) {
    return new NativeModuleError(
      'built_for_other_node',
      `${options.what}: \`${packageName}\` was built for another Node.js (NODE_MODULE_VERSION ${abi[1]}), ` +
        `this is ${node} (NODE_MODULE_VERSION ${env.nodeAbi}); ${options.rebuildHint}`,
      env.nodeVersion,
      { packageName, cause: err },
    );
  }
  return new NativeModuleError(
    'load_failed',
    `${options.what}: \`${packageName}\` could not be loaded on ${node}: ${message}`,
    env.nodeVersion,
    { packageName, cause: err },
  );
}
