// Durable export outbox (SQLite). Spans are appended here before any network I/O; a sender
// claims a batch under a lease, sends it, and only an acknowledged (2xx) batch leaves the table,
// in one transaction that also records its span keys as delivered. A key that was delivered is
// never appended again, so re-emitting a span cannot duplicate it downstream; a batch whose send
// failed goes back to pending; a lease left by a crashed process expires and the rows are sent
// by whoever opens the outbox next.

import { join } from 'node:path';
import type { Migration } from './migrations.js';
import { migrate } from './migrations.js';
import type { SpanRecord } from './span-record.js';
import { sanitizeSpan, spanKey } from './span-record.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';
import { openSqlite } from './sqlite-driver.js';

export const DEFAULT_OUTBOX_PATH = join('.cascade', 'export-outbox.db');
export const OUTBOX_COMPONENT = 'outbox';

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox and delivered keys',
    up: (db) => {
      db.exec(`
        CREATE TABLE outbox (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          span_key TEXT NOT NULL UNIQUE,
          payload TEXT NOT NULL,
          enqueued_at INTEGER NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          state TEXT NOT NULL DEFAULT 'pending',
          lease_owner TEXT,
          lease_until INTEGER NOT NULL DEFAULT 0,
          last_error TEXT
        );
        CREATE INDEX outbox_ready ON outbox (state, lease_until, seq);
        CREATE TABLE outbox_delivered (
          span_key TEXT PRIMARY KEY,
          delivered_at INTEGER NOT NULL
        );
        CREATE INDEX outbox_delivered_at ON outbox_delivered (delivered_at);
      `);
    },
  },
];

export interface OutboxItem {
  seq: number;
  spanKey: string;
  payload: string;
  attempts: number;
}

export interface OutboxCounts {
  pending: number;
  leased: number;
  rejected: number;
  delivered: number;
}

export class SqliteOutbox {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly stmt: Record<
    'append' | 'claimSelect' | 'lease' | 'ack' | 'markDelivered' | 'release' | 'reject' | 'releaseOwner' | 'pendingUpTo' | 'maxSeq' | 'prune',
    SqliteStatement
  >;
  private closed = false;

  private constructor(db: SqliteDatabase, path: string) {
    this.db = db;
    this.path = path;
    this.stmt = {
      append: db.prepare(`INSERT INTO outbox (span_key, payload, enqueued_at)
        SELECT @key, @payload, @now WHERE NOT EXISTS (SELECT 1 FROM outbox_delivered WHERE span_key = @key)
        ON CONFLICT (span_key) DO NOTHING`),
      claimSelect: db.prepare(`SELECT seq, span_key AS spanKey, payload, attempts FROM outbox
        WHERE state = 'pending' AND lease_until <= ? ORDER BY seq LIMIT ?`),
      lease: db.prepare('UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE seq = ?'),
      ack: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      markDelivered: db.prepare('INSERT OR IGNORE INTO outbox_delivered (span_key, delivered_at) VALUES (?, ?)'),
      release: db.prepare('UPDATE outbox SET lease_owner = NULL, lease_until = 0, attempts = attempts + 1, last_error = ? WHERE seq = ? AND lease_owner = ?'),
      reject: db.prepare(`UPDATE outbox SET state = 'rejected', lease_owner = NULL, lease_until = 0, attempts = attempts + 1, last_error = ? WHERE seq = ?`),
      releaseOwner: db.prepare('UPDATE outbox SET lease_owner = NULL, lease_until = 0 WHERE lease_owner = ?'),
      pendingUpTo: db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending' AND seq <= ?`),
      maxSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM outbox'),
      prune: db.prepare('DELETE FROM outbox_delivered WHERE delivered_at < ?'),
    };
  }

  static open(path: string = DEFAULT_OUTBOX_PATH): SqliteOutbox {
    const db = openSqlite(path);
    try {
      migrate(db, OUTBOX_COMPONENT, OUTBOX_MIGRATIONS);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteOutbox(db, path);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Appends spans (sanitised); returns how many were new. */
  append(spans: readonly SpanRecord[], now: number = Date.now()): number {
    const tx = this.db.transaction(() => {
      let added = 0;
      for (const raw of spans) {
        const span = sanitizeSpan(raw);
        added += this.stmt.append.run({ key: spanKey(span), payload: JSON.stringify(span), now }).changes;
      }
      return added;
    });
    return tx.immediate();
  }

  /** Leases up to `limit` ready rows to `owner` until `now + leaseMs`. */
  claim(limit: number, owner: string, leaseMs: number, now: number = Date.now()): OutboxItem[] {
    const tx = this.db.transaction(() => {
      const rows = this.stmt.claimSelect.all(now, limit) as OutboxItem[];
      for (const r of rows) this.stmt.lease.run(owner, now + leaseMs, r.seq);
      return rows;
    });
    return tx.immediate();
  }

  /** The endpoint acknowledged these rows: remember their keys, drop the rows. */
  acknowledge(items: readonly OutboxItem[], now: number = Date.now()): void {
    const tx = this.db.transaction(() => {
      for (const i of items) {
        this.stmt.markDelivered.run(i.spanKey, now);
        this.stmt.ack.run(i.seq);
      }
    });
    tx.immediate();
  }

  /** Sending failed: back to pending (lease dropped, attempt counted). */
  release(items: readonly OutboxItem[], owner: string, error: string): void {
    const tx = this.db.transaction(() => {
      for (const i of items) this.stmt.release.run(error.slice(0, 2_000), i.seq, owner);
    });
    tx.immediate();
  }

  /** The endpoint refuses this row for good (malformed, too large): keep it, stop sending it. */
  reject(item: OutboxItem, error: string): void {
    this.stmt.reject.run(error.slice(0, 2_000), item.seq);
  }

  releaseOwner(owner: string): void {
    if (!this.closed) this.stmt.releaseOwner.run(owner);
  }

  /** Rows not yet delivered (leased ones included) at or below `seq`. */
  pendingUpTo(seq: number): number {
    return (this.stmt.pendingUpTo.get(seq) as { n: number }).n;
  }

  maxSeq(): number {
    return (this.stmt.maxSeq.get() as { s: number }).s;
  }

  counts(now: number = Date.now()): OutboxCounts {
    const row = this.db
      .prepare(`SELECT
        SUM(state = 'pending' AND lease_until <= @now) AS pending,
        SUM(state = 'pending' AND lease_until > @now) AS leased,
        SUM(state = 'rejected') AS rejected
        FROM outbox`)
      .get({ now }) as { pending: number | null; leased: number | null; rejected: number | null };
    const delivered = (this.db.prepare('SELECT COUNT(*) AS n FROM outbox_delivered').get() as { n: number }).n;
    return { pending: row.pending ?? 0, leased: row.leased ?? 0, rejected: row.rejected ?? 0, delivered };
  }

  /** Forgets delivered keys older than `before` (the de-duplication window). */
  pruneDelivered(before: number): number {
    return this.stmt.prune.run(before).changes;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
