// Versioned schema migrations shared by the findings store and the export outbox. Each component
// (`store`, `outbox`) keeps its own version line in one `schema_version` table, so both may live
// in the same file. Migrations run in order, each in its own immediate transaction that re-reads
// the version first: two processes opening the same file at once apply each step exactly once.

import type { SqliteDatabase } from './sqlite-driver.js';

export interface Migration {
  version: number;
  name: string;
  up: (db: SqliteDatabase) => void;
}

const ERROR_MARK = Symbol.for('cascade-runtime.SchemaVersionError');

/** The database was written by a newer cascade-runtime (or its version table is inconsistent). */
export class SchemaVersionError extends Error {
  override readonly name = 'SchemaVersionError';
  readonly [ERROR_MARK] = true;
  constructor(
    message: string,
    readonly component: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(message);
  }
  static isInstance(value: unknown): value is SchemaVersionError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ERROR_MARK] === true;
  }
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: number[];
}

export function currentVersion(db: SqliteDatabase, component: string): number {
  ensureVersionTable(db);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version WHERE component = ?').get(component) as { v: number | null };
  return row.v ?? 0;
}

/** Brings `component` up to the last of `migrations`; throws `SchemaVersionError` if the file is newer. */
export function migrate(db: SqliteDatabase, component: string, migrations: readonly Migration[]): MigrationResult {
  checkMigrationList(component, migrations);
  const known = migrations.length === 0 ? 0 : (migrations[migrations.length - 1] as Migration).version;
  const from = currentVersion(db, component);
  tooNew(db, component, from, known);
  const applied: number[] = [];
  for (const m of migrations) {
    const step = db.transaction(() => {
      const now = currentVersion(db, component);
      tooNew(db, component, now, known);
      if (now >= m.version) return false;
      if (now !== m.version - 1) {
        throw new SchemaVersionError(
          `database \`${db.name}\` is at ${component} schema version ${now}, cannot apply version ${m.version}`,
          component,
          now,
          known,
        );
      }
      m.up(db);
      db.prepare('INSERT INTO schema_version (component, version, name, applied_at) VALUES (?, ?, ?, ?)').run(
        component,
        m.version,
        m.name,
        Date.now(),
      );
      return true;
    });
    if (step.immediate()) applied.push(m.version);
  }
  return { from, to: currentVersion(db, component), applied };
}

function ensureVersionTable(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  )`);
}

function tooNew(db: SqliteDatabase, component: string, found: number, known: number): void {
  if (found > known) {
    throw new SchemaVersionError(
      `database \`${db.name}\` has ${component} schema version ${found}, newer than this cascade-runtime knows (${known}); ` +
        'upgrade cascade-runtime or point it at another database file',
      component,
      found,
      known,
    );
  }
}

function checkMigrationList(component: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${component} migrations must be numbered 1, 2, 3… in order; found ${m.version} at position ${i + 1}`);
  });
}
