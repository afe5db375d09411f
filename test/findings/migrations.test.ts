import { loadBetterSqlite3 } from '../../src/native/better-sqlite3.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Migration } from '../../src/findings/migrations.js';
import { currentVersion, migrate, SchemaVersionError } from '../../src/findings/migrations.js';
import { SqliteOutbox } from '../../src/findings/outbox.js';
import { openSqlite } from '../../src/findings/sqlite-driver.js';
import { SqliteFindingStore, STORE_MIGRATIONS } from '../../src/findings/sqlite-store.js';
import { tempDir } from './helpers.js';

type Raw = { prepare(sql: string): { get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[]; run(...p: unknown[]): unknown }; exec(sql: string): void; close(): void };
// the build the store itself uses (better-sqlite3 12.x aborts on Node 24 when statements are collected)
const Database = loadBetterSqlite3() as new (path: string) => Raw;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dbPath(name = 'cascade.db'): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return join(dir.path, name);
}

const v1: Migration = { version: 1, name: 'notes', up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)') };
const v2: Migration = { version: 2, name: 'note tags', up: (db) => db.exec("ALTER TABLE notes ADD COLUMN tag TEXT NOT NULL DEFAULT 'none'") };

describe('migrate', () => {
  it('applies migrations in order, once, keeping existing data', () => {
    const db = openSqlite(dbPath());
    expect(migrate(db, 'test', [v1])).toEqual({ from: 0, to: 1, applied: [1] });
    db.prepare("INSERT INTO notes (body) VALUES ('kept')").run();
    expect(migrate(db, 'test', [v1, v2])).toEqual({ from: 1, to: 2, applied: [2] });
    expect(migrate(db, 'test', [v1, v2])).toEqual({ from: 2, to: 2, applied: [] });
    expect(db.prepare('SELECT body, tag FROM notes').all()).toEqual([{ body: 'kept', tag: 'none' }]);
    const rows = db.prepare("SELECT version, name FROM schema_version WHERE component = 'test' ORDER BY version").all();
    expect(rows).toEqual([{ version: 1, name: 'notes' }, { version: 2, name: 'note tags' }]);
    db.close();
  });

  it('rolls a failing migration back completely', () => {
    const db = openSqlite(dbPath());
    migrate(db, 'test', [v1]);
    const broken: Migration = {
      version: 2,
      name: 'broken',
      up: (d) => {
        d.exec('CREATE TABLE half_done (x INTEGER)');
        throw new Error('boom');
      },
    };
    expect(() => migrate(db, 'test', [v1, broken])).toThrow('boom');
    expect(currentVersion(db, 'test')).toBe(1);
    expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('refuses a database newer than it knows, with a clear error, touching nothing', () => {
    const db = openSqlite(dbPath());
    migrate(db, 'test', [v1, v2]);
    let error: unknown;
    try {
      migrate(db, 'test', [v1]);
    } catch (e) {
      error = e;
    }
    expect(SchemaVersionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ name: 'SchemaVersionError', component: 'test', found: 2, known: 1 });
    expect(String((error as Error).message)).toMatch(/has test schema version 2, newer than this cascade-runtime knows \(1\)/);
    expect(currentVersion(db, 'test')).toBe(2);
    db.close();
  });

  it('rejects a migration list that is not numbered 1, 2, 3…', () => {
    const db = openSqlite(dbPath());
    expect(() => migrate(db, 'test', [v2])).toThrow(/numbered 1, 2, 3/);
    db.close();
  });
});

describe('store and outbox schemas', () => {
  it('creates the store schema once; reopening is a no-op', () => {
    const path = dbPath();
    SqliteFindingStore.open({ path, exitHooks: false }).close();
    SqliteFindingStore.open({ path, exitHooks: false }).close();
    const raw = new Database(path);
    expect(raw.prepare("SELECT version FROM schema_version WHERE component = 'store'").all()).toEqual(
      STORE_MIGRATIONS.map((m) => ({ version: m.version })),
    );
    const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(['findings', 'runs', 'schema_version', 'spans']));
    raw.close();
  });

  it('refuses to open a store written by a newer version', () => {
    const path = dbPath();
    SqliteFindingStore.open({ path, exitHooks: false }).close();
    const raw = new Database(path);
    raw.prepare("INSERT INTO schema_version (component, version, name, applied_at) VALUES ('store', 99, 'from the future', 0)").run();
    raw.close();
    expect(() => SqliteFindingStore.open({ path, exitHooks: false })).toThrow(SchemaVersionError);
    expect(() => SqliteFindingStore.open({ path, exitHooks: false })).toThrow(/store schema version 99/);
  });

  it('lets the store and the outbox share one file, each with its own version line', () => {
    const path = dbPath();
    SqliteFindingStore.open({ path, exitHooks: false }).close();
    SqliteOutbox.open(path).close();
    const raw = new Database(path);
    expect(raw.prepare('SELECT component, version FROM schema_version ORDER BY component').all()).toEqual([
      { component: 'outbox', version: 1 },
      { component: 'store', version: 1 },
    ]);
    raw.close();
  });

  it('says clearly when the file is not a database', async () => {
    const path = dbPath('garbage.db');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'this is not sqlite'.repeat(100));
    expect(() => SqliteFindingStore.open({ path, exitHooks: false })).toThrow(/cannot open `.*garbage\.db` as a SQLite database: file is not a database/);
  });
});
