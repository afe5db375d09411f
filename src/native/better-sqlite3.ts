// better-sqlite3 for the findings store. One version (12.x) covers Node 20 to 24, so this only
// turns load failures into a NativeModuleError: the usual one is node_modules installed under one
// Node.js and run under another, which otherwise surfaces as a dlopen error at the first query.

import { assertNodeNotTooOld, processEnvironment, requireNative, translateLoadError, type NativeEnvironment } from './require-native.js';

const PACKAGE = 'better-sqlite3';
const WHAT = 'the findings store (better-sqlite3)';

type ProbeConstructor = new (filename: string) => { close(): void };

/** Loads better-sqlite3 for `env` and opens its addon once; throws NativeModuleError. */
export function loadBetterSqlite3For(env: NativeEnvironment): unknown {
  assertNodeNotTooOld(env, WHAT);
  const options = {
    what: WHAT,
    rebuildHint: `run \`npm rebuild ${PACKAGE}\` (or \`npm ci\`) with Node.js ${env.nodeVersion}`,
  };
  const Database = requireNative(PACKAGE, env, options);
  // the addon is opened by the first `new Database()`, not by require: open it here so a binary
  // built for another Node.js fails with this message, not as "cannot open <file>" later
  try {
    new (Database as ProbeConstructor)(':memory:').close();
  } catch (err) {
    throw translateLoadError(PACKAGE, env, options, err);
  }
  return Database;
}

let loaded: unknown;

/** better-sqlite3's `Database` constructor for this process (untyped: src/findings types its slice). */
export function loadBetterSqlite3(): unknown {
  loaded ??= loadBetterSqlite3For(processEnvironment());
  return loaded;
}
