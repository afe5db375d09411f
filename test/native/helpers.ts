// Fake process environments for the native loaders: a Node version, its ABI and a require.

import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeModuleError } from '../../src/native/errors.js';
import type { NativeEnvironment, RequireFunction } from '../../src/native/require-native.js';

const root = new URL('../../', import.meta.url);

export function readJson(relative: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(relative, root), 'utf8')) as Record<string, unknown>;
}

/** A require rooted in an empty folder: every package is missing, with Node's real error. */
export function emptyRequire(): RequireFunction {
  const dir = mkdtempSync(join(tmpdir(), 'cascade-native-'));
  return createRequire(join(dir, 'index.js'));
}

export function fakeEnv(nodeVersion: string, require: RequireFunction, nodeAbi = '137'): NativeEnvironment {
  return { nodeVersion, nodeAbi, require };
}

/** The error Node throws when a .node file was built for another ABI. */
export function abiMismatch(file: string, builtFor: number, running: number): Error {
  return Object.assign(
    new Error(
      `The module '${file}'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION ${builtFor}. ` +
        `This version of Node.js requires\nNODE_MODULE_VERSION ${running}. Please try re-compiling or re-installing\nthe module (for instance, using \`npm rebuild\` or \`npm install\`).`,
    ),
    { code: 'ERR_DLOPEN_FAILED' },
  );
}

/** The NativeModuleError `fn` throws; anything else (or nothing) fails the test. */
export function errorOf(fn: () => unknown): NativeModuleError {
  try {
    fn();
  } catch (err) {
    if (NativeModuleError.isInstance(err)) return err;
    throw err;
  }
  throw new Error('expected a NativeModuleError');
}
