// The better-sqlite3 loader: a clear error for the usual failures, the real driver otherwise.

import { describe, expect, it } from 'vitest';
import { loadBetterSqlite3, loadBetterSqlite3For } from '../../src/native/better-sqlite3.js';
import { NativeModuleError } from '../../src/native/errors.js';
import { abiMismatch, emptyRequire, fakeEnv } from './helpers.js';

function errorOf(fn: () => unknown): NativeModuleError {
  try {
    fn();
  } catch (err) {
    if (NativeModuleError.isInstance(err)) return err;
    throw err;
  }
  throw new Error('expected a NativeModuleError');
}

describe('loading better-sqlite3', () => {
  it('refuses Node 18 with the supported versions', () => {
    const err = errorOf(() => loadBetterSqlite3For(fakeEnv('v18.20.8', emptyRequire(), '108')));
    expect(err.code).toBe('unsupported_node');
    expect(err.message).toContain('Node.js 20.19+, 22.12+ or 24');
    expect(err.message).toContain('the findings store (better-sqlite3)');
  });

  it('says how to install it when it is missing', () => {
    const err = errorOf(() => loadBetterSqlite3For(fakeEnv('v24.21.0', emptyRequire())));
    expect(err.code).toBe('not_installed');
    expect(err.packageName).toBe('better-sqlite3');
  });

  it('catches an addon built for another Node.js at load, not at the first query', () => {
    // better-sqlite3 opens its addon in the Database constructor; the loader opens one in memory
    class Database {
      constructor() {
        throw abiMismatch('/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node', 115, 137);
      }
    }
    const err = errorOf(() => loadBetterSqlite3For(fakeEnv('v24.21.0', () => Database)));
    expect(err.code).toBe('built_for_other_node');
    expect(err.message).toContain('`npm rebuild better-sqlite3`');
    expect(err.message).toContain('NODE_MODULE_VERSION 115');
    expect(err.message).toContain('Node.js v24.21.0 (NODE_MODULE_VERSION 137)');
  });

  it('returns the working driver on this Node.js', () => {
    const Database = loadBetterSqlite3() as new (f: string) => { prepare(s: string): { get(): unknown }; close(): void };
    expect(loadBetterSqlite3()).toBe(Database);
    const db = new Database(':memory:');
    expect(db.prepare('SELECT 6 * 7 AS answer').get()).toEqual({ answer: 42 });
    db.close();
  });
});
