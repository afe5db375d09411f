// The slice of better-sqlite3 the findings layer uses, typed here because the package ships no
// declarations (and @types/better-sqlite3 is not a dependency). Loaded with createRequire so
// that no ambient module declaration can clash with another layer's.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadBetterSqlite3 } from '../native/better-sqlite3.js';

export type SqliteParam = string | number | bigint | Buffer | null;

export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: readonly unknown[]): SqliteRunResult;
  get(...params: readonly unknown[]): unknown;
  all(...params: readonly unknown[]): unknown[];
  iterate(...params: readonly unknown[]): IterableIterator<unknown>;
}

export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R;
  deferred(...args: A): R;
  immediate(...args: A): R;
  exclusive(...args: A): R;
}

export interface SqliteDatabase {
  readonly open: boolean;
  readonly inTransaction: boolean;
  readonly name: string;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): SqliteDatabase;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
  close(): void;
}

type DatabaseConstructor = new (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => SqliteDatabase;

let ctor: DatabaseConstructor | undefined;

function databaseConstructor(): DatabaseConstructor {
  ctor ??= loadBetterSqlite3() as DatabaseConstructor;
  return ctor;
}

export interface OpenOptions {
  /** how long a write waits for another connection's lock, in ms */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating folders as needed) a database in WAL mode. `synchronous = NORMAL` in WAL keeps
 * every committed transaction across an application crash; only an OS crash or power loss can
 * lose the last commits, which is the usual trade for a local trace store.
 */
export function openSqlite(path: string, options: OpenOptions = {}): SqliteDatabase {
  const inMemory = path === ':memory:';
  const file = inMemory ? path : resolve(path);
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const Database = databaseConstructor();
  let db: SqliteDatabase;
  try {
    db = new Database(file, { timeout: options.busyTimeoutMs ?? 5_000 });
  } catch (err) {
    throw new Error(`cannot open \`${file}\` as a SQLite database: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw new Error(`cannot open \`${file}\` as a SQLite database: ${(err as Error).message}`, { cause: err });
  }
  return db;
}
