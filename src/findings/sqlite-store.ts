// Embedded store for runs, spans and findings (better-sqlite3, WAL, `.cascade/cascade.db`).
// Writes never happen on the caller's stack: `record*` only queues; a short timer (or a full
// queue, on the next tick) moves the queue to SQLite in one transaction. `flush()`, `close()`
// and process exit write synchronously, so nothing queued is lost on a normal shutdown. Every
// value is bounded before it is written; a record that still cannot be written is reported
// through `onError` and skipped, never allowed to crash the agent or block the others.

import { join } from 'node:path';
import type { Mode, Severity } from '../engine/decision.js';
import { SEVERITIES, severityRank } from '../engine/decision.js';
import type { JsonValue } from '../events/types.js';
import { boundJson, boundString, boundedJsonText, truncateText } from './bounded-value.js';
import { onProcessExit } from './exit-hooks.js';
import type { Finding, FindingOutcome } from './finding.js';
import type { ChainVerification } from './hash-chain.js';
import { ChainVerifier, chainFinding, GENESIS_HASH } from './hash-chain.js';
import type { Migration } from './migrations.js';
import { migrate } from './migrations.js';
import type { SpanRecord } from './span-record.js';
import { otelSpanId, sanitizeSpan } from './span-record.js';
import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';
import { openSqlite } from './sqlite-driver.js';

export const DEFAULT_STORE_PATH = join('.cascade', 'cascade.db');
export const STORE_COMPONENT = 'store';

export const STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, spans and findings',
    up: (db) => {
      db.exec(`
        CREATE TABLE runs (
          run_id TEXT PRIMARY KEY,
          project TEXT,
          name TEXT,
          agent_id TEXT,
          parent_run_id TEXT,
          trace_id TEXT,
          mode TEXT,
          status TEXT NOT NULL DEFAULT 'running',
          started_at REAL NOT NULL,
          ended_at REAL,
          error TEXT,
          metadata TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX runs_started ON runs (started_at DESC);
        CREATE INDEX runs_project ON runs (project, started_at DESC);

        CREATE TABLE spans (
          span_id TEXT PRIMARY KEY,
          trace_id TEXT NOT NULL,
          parent_span_id TEXT,
          source_span_id TEXT,
          run_id TEXT NOT NULL,
          operation TEXT NOT NULL,
          kind TEXT NOT NULL,
          name TEXT NOT NULL,
          start_time REAL NOT NULL,
          end_time REAL NOT NULL,
          status_code TEXT NOT NULL,
          status_message TEXT,
          attributes TEXT NOT NULL,
          events TEXT NOT NULL
        );
        CREATE INDEX spans_run ON spans (run_id, start_time);
        CREATE INDEX spans_parent ON spans (parent_span_id);
        CREATE INDEX spans_source ON spans (source_span_id);

        CREATE TABLE findings (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          id TEXT NOT NULL UNIQUE,
          evaluation_id TEXT NOT NULL,
          time REAL NOT NULL,
          project TEXT NOT NULL,
          run_id TEXT NOT NULL,
          agent_id TEXT,
          span_id TEXT,
          event_kind TEXT NOT NULL,
          policy TEXT,
          policy_version TEXT,
          framework TEXT,
          severity TEXT NOT NULL,
          severity_rank INTEGER NOT NULL,
          classification TEXT,
          effective_mode TEXT NOT NULL,
          outcome TEXT NOT NULL,
          action TEXT NOT NULL,
          message TEXT NOT NULL,
          bundle_hash TEXT NOT NULL,
          latency_ms REAL,
          prev_hash TEXT,
          hash TEXT,
          record TEXT NOT NULL
        );
        CREATE INDEX findings_run ON findings (run_id, seq);
        CREATE INDEX findings_severity ON findings (severity_rank, seq);
        CREATE INDEX findings_outcome ON findings (outcome, seq);
        CREATE INDEX findings_policy ON findings (policy, seq);
        CREATE INDEX findings_time ON findings (time);
        CREATE INDEX findings_evaluation ON findings (evaluation_id);
      `);
    },
  },
];

export type RunStatus = 'running' | 'ok' | 'error' | 'halted';

export interface RunRecord {
  runId: string;
  project?: string;
  name?: string;
  agentId?: string;
  parentRunId?: string;
  traceId?: string;
  mode?: Mode;
  /** ms since the epoch */
  startedAt: number;
  metadata?: Record<string, JsonValue>;
}

export interface RunEnd {
  runId: string;
  endedAt: number;
  status: Exclude<RunStatus, 'running'>;
  error?: string;
}

export interface RunSummary extends RunRecord {
  status: RunStatus;
  endedAt?: number;
  error?: string;
  findingCount: number;
  /** findings that intervened: blocked, modified or halted */
  interventionCount: number;
  /** highest severity among the run's findings (allowed/info audits included) */
  maxSeverity?: Severity;
  spanCount: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  /** offset of the next page, or null on the last page */
  nextOffset: number | null;
}

export interface PageRequest {
  limit?: number;
  offset?: number;
}

export interface RunQuery extends PageRequest {
  project?: string;
  agentId?: string;
  status?: RunStatus;
}

export interface FindingQuery extends PageRequest {
  runId?: string;
  project?: string;
  severity?: Severity | readonly Severity[];
  /** this severity or higher */
  minSeverity?: Severity;
  outcome?: FindingOutcome | readonly FindingOutcome[];
  policy?: string;
  /** ms since the epoch, inclusive */
  since?: number;
  until?: number;
  /** by record order; default newest first */
  order?: 'asc' | 'desc';
}

export interface FindingCounts {
  total: number;
  bySeverity: Partial<Record<Severity, number>>;
  byOutcome: Partial<Record<FindingOutcome, number>>;
}

export interface SpansAroundFinding {
  finding: Finding;
  /** the span of the event the finding is about */
  span?: SpanRecord;
  /** its parents, nearest first */
  ancestors: SpanRecord[];
  /** the LLM and tool spans the finding names */
  related: SpanRecord[];
  /** the `run_guardrail` span of the evaluation */
  guardrail: SpanRecord[];
  /** every span of the run overlapping the window around the finding, by start time */
  nearby: SpanRecord[];
}

export interface StoreLimits {
  /** longest text column value (message, error, names) */
  maxTextChars: number;
  /** bound of the JSON kept for a whole finding */
  maxRecordChars: number;
  maxMetadataChars: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = {
  maxTextChars: 8_192,
  maxRecordChars: 262_144,
  maxMetadataChars: 65_536,
};

export interface SqliteStoreOptions {
  /** database file; default `.cascade/cascade.db` under the working directory; `:memory:` works */
  path?: string;
  /** how long queued writes may wait, in ms (default 50) */
  flushIntervalMs?: number;
  /** queue length that triggers a write on the next tick (default 512) */
  batchSize?: number;
  /** queue length at which `record*` writes synchronously instead of queueing more (default 50 000) */
  maxQueued?: number;
  /** link findings into a tamper-evident hash chain (default true) */
  hashChain?: boolean;
  /** write the queue on `beforeExit` / `exit` (default true) */
  exitHooks?: boolean;
  /** called for write failures; the store keeps going */
  onError?: (error: Error) => void;
  limits?: Partial<StoreLimits>;
}

type QueuedWrite =
  | { kind: 'run'; run: RunRecord }
  | { kind: 'run-end'; end: RunEnd }
  | { kind: 'span'; span: SpanRecord }
  | { kind: 'finding'; finding: Finding };

interface FindingRow {
  seq: number;
  id: string;
  run_id: string;
  severity: string;
  outcome: string;
  policy: string | null;
  message: string;
  prev_hash: string | null;
  hash: string | null;
  record: string;
}

interface SpanRow {
  span_id: string;
  trace_id: string;
  parent_span_id: string | null;
  source_span_id: string | null;
  run_id: string;
  operation: string;
  kind: string;
  name: string;
  start_time: number;
  end_time: number;
  status_code: string;
  status_message: string | null;
  attributes: string;
  events: string;
}

interface RunRow {
  run_id: string;
  project: string | null;
  name: string | null;
  agent_id: string | null;
  parent_run_id: string | null;
  trace_id: string | null;
  mode: string | null;
  status: string;
  started_at: number;
  ended_at: number | null;
  error: string | null;
  metadata: string;
  finding_count: number;
  intervention_count: number;
  max_severity_rank: number | null;
  span_count: number;
}

const MAX_PAGE = 1_000;

export class SqliteFindingStore {
  readonly path: string;
  private readonly db: SqliteDatabase;
  private readonly limits: StoreLimits;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxQueued: number;
  private readonly hashChain: boolean;
  private readonly onError: (error: Error) => void;
  private queue: QueuedWrite[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private removeExitHook: (() => void) | undefined;
  private closed = false;
  private readonly stmt: Record<'upsertRun' | 'endRun' | 'ensureRun' | 'upsertSpan' | 'insertFinding' | 'lastHash', SqliteStatement>;

  private constructor(db: SqliteDatabase, path: string, options: SqliteStoreOptions) {
    this.db = db;
    this.path = path;
    this.limits = { ...DEFAULT_STORE_LIMITS, ...options.limits };
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
    this.batchSize = Math.max(1, options.batchSize ?? 512);
    this.maxQueued = Math.max(this.batchSize, options.maxQueued ?? 50_000);
    this.hashChain = options.hashChain ?? true;
    this.onError = options.onError ?? (() => undefined);
    this.stmt = {
      upsertRun: db.prepare(`INSERT INTO runs (run_id, project, name, agent_id, parent_run_id, trace_id, mode, status, started_at, metadata)
        VALUES (@run_id, @project, @name, @agent_id, @parent_run_id, @trace_id, @mode, 'running', @started_at, @metadata)
        ON CONFLICT (run_id) DO UPDATE SET
          project = COALESCE(excluded.project, project), name = COALESCE(excluded.name, name),
          agent_id = COALESCE(excluded.agent_id, agent_id), parent_run_id = COALESCE(excluded.parent_run_id, parent_run_id),
          trace_id = COALESCE(excluded.trace_id, trace_id), mode = COALESCE(excluded.mode, mode),
          started_at = MIN(started_at, excluded.started_at), metadata = excluded.metadata`),
      endRun: db.prepare(`INSERT INTO runs (run_id, status, started_at, ended_at, error)
        VALUES (@run_id, @status, @ended_at, @ended_at, @error)
        ON CONFLICT (run_id) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at, error = excluded.error`),
      ensureRun: db.prepare(`INSERT OR IGNORE INTO runs (run_id, project, started_at) VALUES (?, ?, ?)`),
      upsertSpan: db.prepare(`INSERT INTO spans (span_id, trace_id, parent_span_id, source_span_id, run_id, operation, kind, name,
          start_time, end_time, status_code, status_message, attributes, events)
        VALUES (@span_id, @trace_id, @parent_span_id, @source_span_id, @run_id, @operation, @kind, @name,
          @start_time, @end_time, @status_code, @status_message, @attributes, @events)
        ON CONFLICT (span_id) DO UPDATE SET trace_id = excluded.trace_id, parent_span_id = excluded.parent_span_id,
          source_span_id = excluded.source_span_id, run_id = excluded.run_id, operation = excluded.operation, kind = excluded.kind,
          name = excluded.name, start_time = excluded.start_time, end_time = excluded.end_time, status_code = excluded.status_code,
          status_message = excluded.status_message, attributes = excluded.attributes, events = excluded.events`),
      insertFinding: db.prepare(`INSERT OR IGNORE INTO findings (id, evaluation_id, time, project, run_id, agent_id, span_id, event_kind,
          policy, policy_version, framework, severity, severity_rank, classification, effective_mode, outcome, action, message,
          bundle_hash, latency_ms, prev_hash, hash, record)
        VALUES (@id, @evaluation_id, @time, @project, @run_id, @agent_id, @span_id, @event_kind,
          @policy, @policy_version, @framework, @severity, @severity_rank, @classification, @effective_mode, @outcome, @action, @message,
          @bundle_hash, @latency_ms, @prev_hash, @hash, @record)`),
      lastHash: db.prepare('SELECT hash FROM findings WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1'),
    };
    if (options.exitHooks ?? true) this.removeExitHook = onProcessExit(() => this.flushQuietly());
  }

  /** Opens (creating and migrating as needed) the store. Throws `SchemaVersionError` for a newer file. */
  static open(options: SqliteStoreOptions = {}): SqliteFindingStore {
    const path = options.path ?? DEFAULT_STORE_PATH;
    const db = openSqlite(path);
    try {
      migrate(db, STORE_COMPONENT, STORE_MIGRATIONS);
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteFindingStore(db, path, options);
  }

  // ---- writes (queued) ----

  recordRunStart(run: RunRecord): void {
    // Metadata is the caller's object and may change after this call: copy it now, bounded.
    const copy: RunRecord = { ...run };
    if (run.metadata !== undefined) {
      copy.metadata = boundJson(run.metadata, { maxTotalChars: this.limits.maxMetadataChars }).value as Record<string, JsonValue>;
    }
    this.enqueue({ kind: 'run', run: copy });
  }

  recordRunEnd(end: RunEnd): void {
    this.enqueue({ kind: 'run-end', end: { ...end } });
  }

  recordSpan(span: SpanRecord): void {
    this.enqueue({ kind: 'span', span });
  }

  recordSpans(spans: readonly SpanRecord[]): void {
    for (const s of spans) this.recordSpan(s);
  }

  recordFinding(finding: Finding): void {
    this.enqueue({ kind: 'finding', finding });
  }

  recordFindings(findings: readonly Finding[]): void {
    for (const f of findings) this.recordFinding(f);
  }

  /** Writes everything queued, synchronously. */
  flush(): void {
    this.clearTimers();
    if (this.closed || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.write(batch);
      return;
    } catch (err) {
      this.report(err, 'writing a batch failed; retrying record by record');
    }
    // Isolate the record that fails so it cannot hold back the rest.
    const stuck: QueuedWrite[] = [];
    let failures = 0;
    for (const item of batch) {
      try {
        this.write([item]);
      } catch (err) {
        failures++;
        stuck.push(item);
        this.report(err, `could not store a ${item.kind} record`);
      }
    }
    if (failures === batch.length) {
      // Nothing could be written (disk full, locked file): keep all of it for the next attempt.
      this.queue = stuck.concat(this.queue);
      this.schedule();
    }
  }

  /** Flushes and closes. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.removeExitHook?.();
    this.db.close();
  }

  get pendingWrites(): number {
    return this.queue.length;
  }

  // ---- queries ----

  listRuns(query: RunQuery = {}): Page<RunSummary> {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (query.project !== undefined) {
      where.push('r.project = @project');
      params['project'] = query.project;
    }
    if (query.agentId !== undefined) {
      where.push('r.agent_id = @agent_id');
      params['agent_id'] = query.agentId;
    }
    if (query.status !== undefined) {
      where.push('r.status = @status');
      params['status'] = query.status;
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const { limit, offset } = pageOf(query);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM runs r ${clause}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(`${RUN_SELECT} ${clause} ORDER BY r.started_at DESC, r.run_id LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit, offset }) as RunRow[];
    return page(rows.map(toRunSummary), total, limit, offset);
  }

  getRun(runId: string): RunSummary | undefined {
    const row = this.db.prepare(`${RUN_SELECT} WHERE r.run_id = ?`).get(runId) as RunRow | undefined;
    return row === undefined ? undefined : toRunSummary(row);
  }

  listFindings(query: FindingQuery = {}): Page<Finding> {
    const { clause, params } = findingFilter(query);
    const { limit, offset } = pageOf(query);
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM findings ${clause}`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM findings ${clause} ORDER BY seq ${order} LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit, offset }) as FindingRow[];
    return page(rows.map(rowToFinding), total, limit, offset);
  }

  getFinding(id: string): Finding | undefined {
    const row = this.db.prepare('SELECT * FROM findings WHERE id = ?').get(id) as FindingRow | undefined;
    return row === undefined ? undefined : rowToFinding(row);
  }

  countFindings(query: Omit<FindingQuery, keyof PageRequest | 'order'> = {}): FindingCounts {
    const { clause, params } = findingFilter(query);
    const counts: FindingCounts = { total: 0, bySeverity: {}, byOutcome: {} };
    const rows = this.db.prepare(`SELECT severity, outcome, COUNT(*) AS n FROM findings ${clause} GROUP BY severity, outcome`).all(params) as {
      severity: Severity;
      outcome: FindingOutcome;
      n: number;
    }[];
    for (const r of rows) {
      counts.total += r.n;
      counts.bySeverity[r.severity] = (counts.bySeverity[r.severity] ?? 0) + r.n;
      counts.byOutcome[r.outcome] = (counts.byOutcome[r.outcome] ?? 0) + r.n;
    }
    return counts;
  }

  /** Every span of a run, by start time. */
  listSpans(runId: string, request: PageRequest = {}): Page<SpanRecord> {
    const { limit, offset } = pageOf(request);
    const total = (this.db.prepare('SELECT COUNT(*) AS n FROM spans WHERE run_id = ?').get(runId) as { n: number }).n;
    const rows = this.db
      .prepare('SELECT * FROM spans WHERE run_id = ? ORDER BY start_time, span_id LIMIT ? OFFSET ?')
      .all(runId, limit, offset) as SpanRow[];
    return page(rows.map(rowToSpan), total, limit, offset);
  }

  getSpan(id: string): SpanRecord | undefined {
    const row = this.db.prepare('SELECT * FROM spans WHERE span_id = ? OR source_span_id = ? LIMIT 1').get(otelSpanId(id), id) as
      | SpanRow
      | undefined;
    return row === undefined ? undefined : rowToSpan(row);
  }

  /** The activity around a finding, for the dashboard's finding view. */
  spansAroundFinding(findingId: string, options: { windowMs?: number; limit?: number } = {}): SpansAroundFinding | undefined {
    const finding = this.getFinding(findingId);
    if (finding === undefined) return undefined;
    const windowMs = options.windowMs ?? 10_000;
    const limit = Math.min(MAX_PAGE, Math.max(1, options.limit ?? 200));
    const result: SpansAroundFinding = { finding, ancestors: [], related: [], guardrail: [], nearby: [] };
    const span = finding.spanId !== undefined ? this.getSpan(finding.spanId) : undefined;
    if (span !== undefined) {
      result.span = span;
      let parent = span.parentSpanId;
      const seen = new Set<string>([span.spanId]);
      while (parent !== undefined && !seen.has(parent) && result.ancestors.length < 64) {
        seen.add(parent);
        const p = this.getSpan(parent);
        if (p === undefined) break;
        result.ancestors.push(p);
        parent = p.parentSpanId;
      }
    }
    for (const id of [...finding.relatedSpanIds.llm, ...finding.relatedSpanIds.tool]) {
      const s = this.getSpan(id);
      if (s !== undefined && !result.related.some((r) => r.spanId === s.spanId)) result.related.push(s);
    }
    result.guardrail = (
      this.db
        .prepare(`SELECT * FROM spans WHERE run_id = ? AND operation = 'run_guardrail'
          AND json_extract(attributes, '$."cascade.evaluation.id"') = ? ORDER BY start_time`)
        .all(finding.runId, finding.evaluationId) as SpanRow[]
    ).map(rowToSpan);
    result.nearby = (
      this.db
        .prepare('SELECT * FROM spans WHERE run_id = ? AND start_time <= ? AND end_time >= ? ORDER BY start_time, span_id LIMIT ?')
        .all(finding.runId, finding.time + windowMs, finding.time - windowMs, limit) as SpanRow[]
    ).map(rowToSpan);
    return result;
  }

  /**
   * Verifies the findings hash chain over the whole store. A record whose indexed columns were
   * edited counts as modified too, since the dashboard reads those columns.
   */
  verifyChain(): ChainVerification {
    const verifier = new ChainVerifier(GENESIS_HASH);
    for (const row of this.db.prepare('SELECT * FROM findings ORDER BY seq').iterate() as IterableIterator<FindingRow>) {
      let record: Finding;
      try {
        record = JSON.parse(row.record) as Finding;
      } catch {
        verifier.reject(row.id, `finding \`${row.id}\` has an unreadable record`);
        break;
      }
      const column = columnMismatch(row, record);
      if (column !== undefined) {
        verifier.reject(row.id, `finding \`${row.id}\` was modified after it was recorded (column \`${column}\` differs from the record)`);
        break;
      }
      if (verifier.next(record) !== undefined) break;
    }
    return verifier.result();
  }

  // ---- internals ----

  private enqueue(item: QueuedWrite): void {
    if (this.closed) {
      this.report(new Error('store is closed'), `a ${item.kind} record arrived after close() and was not stored`);
      return;
    }
    this.queue.push(item);
    if (this.queue.length >= this.maxQueued) {
      // Back-pressure rather than unbounded memory or dropped records.
      this.flush();
    } else if (this.queue.length >= this.batchSize) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.flushQuietly();
      });
    } else {
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushQuietly();
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private flushQuietly(): void {
    try {
      this.flush();
    } catch (err) {
      this.report(err, 'flush failed');
    }
  }

  private write(batch: readonly QueuedWrite[]): void {
    const tx = this.db.transaction(() => {
      let prev: string | undefined;
      for (const item of batch) {
        switch (item.kind) {
          case 'run':
            this.stmt.upsertRun.run(this.runParams(item.run));
            break;
          case 'run-end':
            this.stmt.endRun.run({
              run_id: text(item.end.runId, 512),
              status: item.end.status,
              ended_at: finite(item.end.endedAt),
              error: item.end.error === undefined ? null : text(item.end.error, this.limits.maxTextChars),
            });
            break;
          case 'span': {
            const s = sanitizeSpan(item.span);
            this.stmt.ensureRun.run(s.runId, null, s.startTime);
            this.stmt.upsertSpan.run({
              span_id: s.spanId,
              trace_id: s.traceId,
              parent_span_id: s.parentSpanId ?? null,
              source_span_id: s.sourceSpanId ?? null,
              run_id: s.runId,
              operation: s.operation,
              kind: s.kind,
              name: s.name,
              start_time: s.startTime,
              end_time: s.endTime,
              status_code: s.status.code,
              status_message: s.status.message ?? null,
              attributes: JSON.stringify(s.attributes),
              events: JSON.stringify(s.events),
            });
            break;
          }
          case 'finding': {
            let f = this.boundFinding(item.finding);
            if (this.hashChain) {
              prev ??= ((this.stmt.lastHash.get() as { hash: string } | undefined)?.hash ?? GENESIS_HASH);
              f = chainFinding(f, prev);
            }
            this.stmt.ensureRun.run(f.runId, f.project, f.time);
            const res = this.stmt.insertFinding.run(findingParams(f));
            // A duplicate id is ignored and must not advance the chain.
            if (res.changes > 0 && f.hash !== undefined) prev = f.hash;
            break;
          }
        }
      }
    });
    tx.immediate();
  }

  private runParams(run: RunRecord): Record<string, unknown> {
    const meta = boundedJsonText(run.metadata ?? {}, { maxTotalChars: this.limits.maxMetadataChars });
    return {
      run_id: text(run.runId, 512),
      project: optText(run.project, 512),
      name: optText(run.name, 1_024),
      agent_id: optText(run.agentId, 512),
      parent_run_id: optText(run.parentRunId, 512),
      trace_id: optText(run.traceId, 64),
      mode: optText(run.mode, 16),
      started_at: finite(run.startedAt),
      metadata: meta.value,
    };
  }

  /** Bounds a finding the SDK may have assembled by hand; findings from `buildFindings` pass unchanged. */
  private boundFinding(f: Finding): Finding {
    const b = boundJson(f, { maxTotalChars: this.limits.maxRecordChars, maxStringChars: this.limits.maxTextChars, maxDepth: 12 });
    const out = b.value as unknown as Finding;
    if (typeof out.id !== 'string' || out.id === '') throw new Error('finding has no id');
    if (typeof out.runId !== 'string') throw new Error(`finding \`${out.id}\` has no runId`);
    if (!Number.isFinite(out.time)) out.time = Date.now();
    return out;
  }

  private report(err: unknown, context: string): void {
    const error = new Error(`cascade store (${this.path}): ${context}`, { cause: err });
    try {
      this.onError(error);
    } catch {
      // The error callback itself failing must not break the store.
    }
  }
}

const RUN_SELECT = `SELECT r.*,
  (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.run_id) AS finding_count,
  (SELECT COUNT(*) FROM findings f WHERE f.run_id = r.run_id AND f.outcome IN ('blocked', 'modified', 'halted')) AS intervention_count,
  (SELECT MAX(severity_rank) FROM findings f WHERE f.run_id = r.run_id AND f.outcome <> 'allowed') AS max_severity_rank,
  (SELECT COUNT(*) FROM spans s WHERE s.run_id = r.run_id) AS span_count
  FROM runs r`;

function findingFilter(query: Omit<FindingQuery, keyof PageRequest | 'order'>): { clause: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  const list = (column: string, name: string, values: readonly string[]): void => {
    const names = values.map((v, i) => {
      params[`${name}${i}`] = v;
      return `@${name}${i}`;
    });
    where.push(names.length === 0 ? '0' : `${column} IN (${names.join(', ')})`);
  };
  if (query.runId !== undefined) {
    where.push('run_id = @run_id');
    params['run_id'] = query.runId;
  }
  if (query.project !== undefined) {
    where.push('project = @project');
    params['project'] = query.project;
  }
  if (query.severity !== undefined) list('severity', 'sev', typeof query.severity === 'string' ? [query.severity] : query.severity);
  if (query.minSeverity !== undefined) {
    where.push('severity_rank >= @min_rank');
    params['min_rank'] = severityRank(query.minSeverity);
  }
  if (query.outcome !== undefined) list('outcome', 'out', typeof query.outcome === 'string' ? [query.outcome] : query.outcome);
  if (query.policy !== undefined) {
    where.push('policy = @policy');
    params['policy'] = query.policy;
  }
  if (query.since !== undefined) {
    where.push('time >= @since');
    params['since'] = query.since;
  }
  if (query.until !== undefined) {
    where.push('time <= @until');
    params['until'] = query.until;
  }
  return { clause: where.length > 0 ? `WHERE ${where.join(' AND ')}` : '', params };
}

function findingParams(f: Finding): Record<string, unknown> {
  return {
    id: f.id,
    evaluation_id: String(f.evaluationId ?? ''),
    time: f.time,
    project: String(f.project ?? ''),
    run_id: f.runId,
    agent_id: f.agentId ?? null,
    span_id: f.spanId ?? null,
    event_kind: String(f.eventKind ?? ''),
    policy: f.policy ?? null,
    policy_version: f.policyVersion ?? null,
    framework: f.framework ?? null,
    severity: String(f.severity),
    severity_rank: Math.max(0, SEVERITIES.indexOf(f.severity)),
    classification: f.classification ?? null,
    effective_mode: String(f.effectiveMode ?? ''),
    outcome: String(f.outcome),
    action: String(f.action ?? ''),
    message: String(f.message ?? ''),
    bundle_hash: String(f.bundleHash ?? ''),
    latency_ms: typeof f.latencyMs === 'number' ? f.latencyMs : null,
    prev_hash: f.prevHash ?? null,
    hash: f.hash ?? null,
    record: JSON.stringify(f),
  };
}

function rowToFinding(row: FindingRow): Finding {
  return JSON.parse(row.record) as Finding;
}

/** The first indexed column whose value differs from the JSON record, if any. */
function columnMismatch(row: FindingRow, f: Finding): string | undefined {
  const pairs: [string, unknown, unknown][] = [
    ['id', row.id, f.id],
    ['run_id', row.run_id, f.runId],
    ['severity', row.severity, f.severity],
    ['outcome', row.outcome, f.outcome],
    ['policy', row.policy, f.policy ?? null],
    ['message', row.message, f.message],
    ['prev_hash', row.prev_hash, f.prevHash ?? null],
    ['hash', row.hash, f.hash ?? null],
  ];
  return pairs.find(([, a, b]) => a !== b)?.[0];
}

function rowToSpan(row: SpanRow): SpanRecord {
  const span: SpanRecord = {
    traceId: row.trace_id,
    spanId: row.span_id,
    runId: row.run_id,
    operation: row.operation as SpanRecord['operation'],
    name: row.name,
    kind: row.kind === 'client' ? 'client' : 'internal',
    startTime: row.start_time,
    endTime: row.end_time,
    status: { code: row.status_code as SpanRecord['status']['code'] },
    attributes: JSON.parse(row.attributes) as SpanRecord['attributes'],
    events: JSON.parse(row.events) as SpanRecord['events'],
  };
  if (row.parent_span_id !== null) span.parentSpanId = row.parent_span_id;
  if (row.source_span_id !== null) span.sourceSpanId = row.source_span_id;
  if (row.status_message !== null) span.status.message = row.status_message;
  return span;
}

function toRunSummary(row: RunRow): RunSummary {
  const run: RunSummary = {
    runId: row.run_id,
    startedAt: row.started_at,
    status: row.status as RunStatus,
    findingCount: row.finding_count,
    interventionCount: row.intervention_count,
    spanCount: row.span_count,
    metadata: safeParse(row.metadata),
  };
  if (row.project !== null) run.project = row.project;
  if (row.name !== null) run.name = row.name;
  if (row.agent_id !== null) run.agentId = row.agent_id;
  if (row.parent_run_id !== null) run.parentRunId = row.parent_run_id;
  if (row.trace_id !== null) run.traceId = row.trace_id;
  if (row.mode !== null) run.mode = row.mode as Mode;
  if (row.ended_at !== null) run.endedAt = row.ended_at;
  if (row.error !== null) run.error = row.error;
  if (row.max_severity_rank !== null) run.maxSeverity = SEVERITIES[row.max_severity_rank] as Severity;
  return run;
}

function safeParse(text: string): Record<string, JsonValue> {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, JsonValue>) : {};
  } catch {
    return {};
  }
}

function pageOf(req: PageRequest): { limit: number; offset: number } {
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(req.limit ?? 50)));
  const offset = Math.max(0, Math.floor(req.offset ?? 0));
  return { limit, offset };
}

function page<T>(items: T[], total: number, limit: number, offset: number): Page<T> {
  return { items, total, limit, offset, nextOffset: offset + items.length < total ? offset + items.length : null };
}

function text(v: unknown, max: number): string {
  return boundString(typeof v === 'string' ? v : String(v), max).value;
}

function optText(v: unknown, max: number): string | null {
  return v === undefined || v === null ? null : truncateText(String(v), max);
}

function finite(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : Date.now();
}
