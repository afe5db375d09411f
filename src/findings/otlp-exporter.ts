// OTLP/HTTP export with a durable outbox. The OpenTelemetry JS exporter serialises and sends
// (OTLP JSON over HTTP); what it does not do is survive an outage: its batch processor drops
// spans once its queue is full and forgets them on restart. Here every span goes to the SQLite
// outbox first; one sender per process drains it in batches, retries with exponential backoff and
// jitter for as long as the endpoint is down, and deletes a batch only after a 2xx. `flush()`
// waits for delivery (bounded by a timeout); an outbox left undelivered at exit is delivered by
// the next process that opens it. Delivery is at-least-once per span id with duplicates
// suppressed on our side: a delivered span key is never queued again.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Attributes, SpanContext } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { ExportResultCode, millisToHrTime } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Resource } from '@opentelemetry/resources';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { onProcessExit } from './exit-hooks.js';
import type { OutboxCounts, OutboxItem } from './outbox.js';
import { DEFAULT_OUTBOX_PATH, SqliteOutbox } from './outbox.js';
import type { SpanRecord } from './span-record.js';

export interface RetryPolicy {
  /** delay after the first failure, ms */
  initialMs: number;
  /** ceiling for the delay, ms */
  maxMs: number;
  multiplier: number;
  /** share of the delay that is randomised, 0..1 */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 500, maxMs: 15_000, multiplier: 2, jitter: 0.5 };

export interface OtlpExporterOptions {
  /** collector base URL (`/v1/traces` is appended unless present) */
  endpoint: string;
  apiKey?: string;
  /** header that carries `apiKey` (default `x-api-key`; `authorization` sends `Bearer <key>`) */
  apiKeyHeader?: string;
  headers?: Record<string, string>;
  /** outbox database; default `.cascade/export-outbox.db`; may be the store's file */
  outboxPath?: string;
  serviceName?: string;
  resourceAttributes?: Record<string, string | number | boolean>;
  /** spans per request (default 256) */
  batchSize?: number;
  /** how long `enqueue`d spans may wait before they are written to the outbox, ms (default 50) */
  writeIntervalMs?: number;
  /** timeout of one HTTP request including the OTel exporter's own short retries, ms (default 10 000) */
  requestTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** how long a claimed batch is reserved for this process (default max(60 s, 3 × request timeout)) */
  leaseMs?: number;
  /** how often an idle sender looks for rows released by other processes, ms (default 2 000) */
  idlePollMs?: number;
  /** a single span refused with 400/413 this many times is set aside as rejected (default 3) */
  maxRejectAttempts?: number;
  /** how long delivered span keys are remembered for de-duplication, ms (default 24 h) */
  dedupWindowMs?: number;
  /** write buffered spans to the outbox on `beforeExit` / `exit` (default true) */
  exitHooks?: boolean;
  /** start sending right away (default true); false leaves the outbox to another process */
  autoStart?: boolean;
  onError?: (error: Error) => void;
}

export type FlushResult =
  | { ok: true }
  | { ok: false; reason: 'timeout' | 'closed'; pending: number; lastError?: string };

export interface ExporterStats {
  /** spans handed to `enqueue` in this process */
  enqueued: number;
  /** spans newly written to the outbox by this process */
  appended: number;
  /** spans acknowledged by the endpoint in this process */
  delivered: number;
  requests: number;
  failedRequests: number;
  rejected: number;
  consecutiveFailures: number;
  buffered: number;
  lastError?: string;
}

const SCOPE = { name: 'cascade-runtime' } as const;

export class OtlpExporter {
  readonly url: string;
  private readonly outbox: SqliteOutbox;
  private readonly otlp: OTLPTraceExporter;
  private readonly resource: Resource;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  private readonly retry: RetryPolicy;
  private readonly batchSize: number;
  private readonly writeIntervalMs: number;
  private readonly requestTimeoutMs: number;
  private readonly leaseMs: number;
  private readonly idlePollMs: number;
  private readonly maxRejectAttempts: number;
  private readonly dedupWindowMs: number;
  private readonly onError: (error: Error) => void;
  private buffer: SpanRecord[] = [];
  private writeTimer: NodeJS.Timeout | undefined;
  private batchLimit: number;
  private nextAttemptAt = 0;
  private lastPrune = 0;
  private stopping = false;
  private closed = false;
  private loopDone: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  private progressWaiters = new Set<() => void>();
  private removeExitHook: (() => void) | undefined;
  private readonly counters: Omit<ExporterStats, 'buffered' | 'consecutiveFailures' | 'lastError'> = {
    enqueued: 0,
    appended: 0,
    delivered: 0,
    requests: 0,
    failedRequests: 0,
    rejected: 0,
  };
  private consecutiveFailures = 0;
  private lastError: string | undefined;

  private constructor(options: OtlpExporterOptions, outbox: SqliteOutbox) {
    this.outbox = outbox;
    this.url = tracesUrl(options.endpoint);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.batchSize = Math.max(1, options.batchSize ?? 256);
    this.batchLimit = this.batchSize;
    this.writeIntervalMs = Math.max(0, options.writeIntervalMs ?? 50);
    this.requestTimeoutMs = Math.max(100, options.requestTimeoutMs ?? 10_000);
    this.leaseMs = options.leaseMs ?? Math.max(60_000, 3 * this.requestTimeoutMs);
    this.idlePollMs = Math.max(10, options.idlePollMs ?? 2_000);
    this.maxRejectAttempts = Math.max(1, options.maxRejectAttempts ?? 3);
    this.dedupWindowMs = options.dedupWindowMs ?? 24 * 60 * 60 * 1_000;
    this.onError = options.onError ?? (() => undefined);
    const headers: Record<string, string> = { ...options.headers };
    if (options.apiKey !== undefined) {
      const name = options.apiKeyHeader ?? 'x-api-key';
      headers[name] = name.toLowerCase() === 'authorization' ? `Bearer ${options.apiKey}` : options.apiKey;
    }
    this.otlp = new OTLPTraceExporter({ url: this.url, headers, timeoutMillis: this.requestTimeoutMs, concurrencyLimit: 4 });
    this.resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'cascade-runtime', ...options.resourceAttributes });
    if (options.exitHooks ?? true) this.removeExitHook = onProcessExit(() => this.persistForExit());
    if (options.autoStart ?? true) this.start();
  }

  /** Opens the outbox (creating it as needed) and, unless `autoStart: false`, starts delivering what it holds. */
  static open(options: OtlpExporterOptions): OtlpExporter {
    const outbox = SqliteOutbox.open(options.outboxPath ?? DEFAULT_OUTBOX_PATH);
    try {
      return new OtlpExporter(options, outbox);
    } catch (err) {
      outbox.close();
      throw err;
    }
  }

  /** Starts the sender if it is not running. */
  start(): void {
    if (this.loopDone !== undefined || this.closed) return;
    this.stopping = false;
    this.loopDone = this.loop().finally(() => {
      this.loopDone = undefined;
    });
  }

  /** Queues spans for export; they reach the outbox within `writeIntervalMs`. Never throws. */
  enqueue(spans: SpanRecord | readonly SpanRecord[]): void {
    if (this.closed) {
      this.report(new Error('exporter is closed'), 'spans arrived after close() and were not exported');
      return;
    }
    if (Array.isArray(spans)) {
      for (const s of spans as readonly SpanRecord[]) this.buffer.push(s);
      this.counters.enqueued += (spans as readonly SpanRecord[]).length;
    } else {
      this.buffer.push(spans as SpanRecord);
      this.counters.enqueued += 1;
    }
    if (this.writeTimer === undefined) {
      this.writeTimer = setTimeout(() => {
        this.writeTimer = undefined;
        this.writeBuffered();
        this.wake();
      }, this.writeIntervalMs);
      this.writeTimer.unref();
    }
  }

  /**
   * Waits until every span enqueued before this call was acknowledged by the endpoint, or until
   * `timeoutMs` (default 30 s) passed. Spans still undelivered stay in the outbox either way.
   */
  async flush(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.closed) return { ok: false, reason: 'closed', pending: 0 };
    this.writeBuffered();
    const target = this.outbox.maxSeq();
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    this.wake();
    for (;;) {
      if (!this.outbox.isOpen) return { ok: false, reason: 'closed', pending: 0 };
      const pending = this.outbox.pendingUpTo(target);
      if (pending === 0) return { ok: true };
      const left = deadline - Date.now();
      if (left <= 0 || (this.loopDone === undefined && this.stopping)) {
        const result: FlushResult = { ok: false, reason: 'timeout', pending };
        if (this.lastError !== undefined) result.lastError = this.lastError;
        return result;
      }
      await this.waitForProgress(Math.min(left, 250));
    }
  }

  /**
   * Writes buffered spans to the outbox, tries to deliver for up to `timeoutMs` (default 5 s),
   * then stops. Whatever is left is delivered by the next process that opens the outbox.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<FlushResult> {
    if (this.closed) return { ok: true };
    const result = await this.flush({ timeoutMs: options.timeoutMs ?? 5_000 });
    this.stopping = true;
    this.wake();
    const loop = this.loopDone;
    if (loop !== undefined) {
      // An in-flight request may take up to the request timeout; do not wait longer than that.
      await Promise.race([loop, delay(this.requestTimeoutMs + 1_000)]);
    }
    this.closed = true;
    this.writeBuffered();
    this.removeExitHook?.();
    if (this.writeTimer !== undefined) clearTimeout(this.writeTimer);
    try {
      this.outbox.releaseOwner(this.owner);
    } finally {
      this.outbox.close();
    }
    await this.otlp.shutdown().catch(() => undefined);
    return result;
  }

  /**
   * Synchronous last step before the process ends: spans still in memory reach the outbox and
   * this process's leases are released, so the next process can send them at once.
   */
  persistForExit(): void {
    if (this.closed) return;
    this.writeBuffered();
    this.outbox.releaseOwner(this.owner);
  }

  stats(): ExporterStats {
    const s: ExporterStats = { ...this.counters, consecutiveFailures: this.consecutiveFailures, buffered: this.buffer.length };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  outboxCounts(): OutboxCounts {
    return this.outbox.counts();
  }

  // ---- sender ----

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.writeBuffered();
      const now = Date.now();
      if (now < this.nextAttemptAt) {
        await this.sleep(this.nextAttemptAt - now);
        continue;
      }
      let items: OutboxItem[];
      try {
        items = this.outbox.claim(this.batchLimit, this.owner, this.leaseMs, now);
      } catch (err) {
        this.report(err, 'could not read the outbox');
        await this.sleep(1_000);
        continue;
      }
      if (items.length === 0) {
        this.notifyProgress();
        await this.sleep(this.idlePollMs);
        continue;
      }
      try {
        await this.sendBatch(items);
      } catch (err) {
        // Only the outbox can throw here (e.g. closed under us); never let the loop die silently.
        this.report(err, 'sender failed');
        if (this.closed) return;
        await this.sleep(1_000);
      }
    }
  }

  private async sendBatch(items: readonly OutboxItem[]): Promise<void> {
    const spans: ReadableSpan[] = [];
    const sendable: OutboxItem[] = [];
    for (const item of items) {
      try {
        spans.push(toReadableSpan(JSON.parse(item.payload) as SpanRecord, this.resource));
        sendable.push(item);
      } catch (err) {
        this.outbox.reject(item, `unreadable outbox payload: ${String(err)}`);
        this.counters.rejected++;
      }
    }
    if (sendable.length === 0) return;
    this.counters.requests++;
    const result = await this.exportOnce(spans);
    if (this.closed) return;
    if (result.code === ExportResultCode.SUCCESS) {
      this.outbox.acknowledge(sendable);
      this.counters.delivered += sendable.length;
      this.consecutiveFailures = 0;
      this.nextAttemptAt = 0;
      this.batchLimit = Math.min(this.batchSize, this.batchLimit * 2);
      this.notifyProgress();
      this.pruneDelivered();
      return;
    }
    this.counters.failedRequests++;
    const status = httpStatusOf(result.error);
    const message = describeError(result.error, status);
    this.lastError = message;
    if (status === 400 || status === 413) {
      // The payload itself is refused: halve the batch to find the span at fault.
      if (sendable.length > 1) {
        this.batchLimit = Math.max(1, Math.floor(sendable.length / 2));
        this.outbox.release(sendable, this.owner, message);
        return;
      }
      const only = sendable[0] as OutboxItem;
      if (only.attempts + 1 >= this.maxRejectAttempts) {
        this.outbox.reject(only, message);
        this.counters.rejected++;
        this.report(new Error(message), `span ${only.spanKey} was refused ${only.attempts + 1} times and is set aside (state rejected)`);
        this.notifyProgress();
        return;
      }
    }
    this.outbox.release(sendable, this.owner, message);
    this.consecutiveFailures++;
    if (this.consecutiveFailures === 1 || this.consecutiveFailures % 20 === 0) {
      this.report(new Error(message), `export to ${this.url} failed (${this.consecutiveFailures} in a row); spans stay in the outbox`);
    }
    this.nextAttemptAt = Date.now() + backoffDelay(this.consecutiveFailures, this.retry);
  }

  private exportOnce(spans: ReadableSpan[]): Promise<ExportResult> {
    return new Promise((resolve) => {
      let settled = false;
      const guard = setTimeout(
        () => settle({ code: ExportResultCode.FAILED, error: new Error('exporter did not answer') }),
        // The OTel exporter retries within its own timeout; allow for that before giving up on it.
        this.requestTimeoutMs * 2 + 5_000,
      );
      guard.unref();
      const settle = (r: ExportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        resolve(r);
      };
      try {
        this.otlp.export(spans, settle);
      } catch (err) {
        settle({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
    });
  }

  private writeBuffered(): void {
    if (this.buffer.length === 0 || !this.outbox.isOpen) return;
    const batch = this.buffer;
    this.buffer = [];
    try {
      this.counters.appended += this.outbox.append(batch);
    } catch (err) {
      // Keep them in memory and try again on the next write.
      this.buffer = batch.concat(this.buffer);
      this.report(err, 'could not write spans to the outbox');
    }
  }

  private pruneDelivered(): void {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    try {
      this.outbox.pruneDelivered(now - this.dedupWindowMs);
    } catch (err) {
      this.report(err, 'could not prune delivered keys');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      // The sender never keeps the process alive: the outbox is durable, the next start delivers.
      timer.unref();
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wakeSleep === done) self.wakeSleep = undefined;
        resolve();
      }
      this.wakeSleep = done;
    });
  }

  private wake(): void {
    this.wakeSleep?.();
  }

  private waitForProgress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const waiters = this.progressWaiters;
      function done(): void {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  private notifyProgress(): void {
    for (const w of [...this.progressWaiters]) w();
  }

  private report(err: unknown, context: string): void {
    try {
      this.onError(new Error(`cascade exporter: ${context}`, { cause: err }));
    } catch {
      // The callback failing must not stop delivery.
    }
  }
}

/** Delay before the next attempt after `failures` consecutive failures: exponential, capped, jittered. */
export function backoffDelay(failures: number, policy: RetryPolicy = DEFAULT_RETRY, random: () => number = Math.random): number {
  const exp = policy.initialMs * Math.pow(policy.multiplier, Math.max(0, failures - 1));
  const base = Math.min(policy.maxMs, exp);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(base * (1 - jitter) + base * jitter * random());
}

/** A stored span as the OpenTelemetry SDK's ReadableSpan, so its OTLP exporter can serialise it. */
export function toReadableSpan(span: SpanRecord, resource: Resource): ReadableSpan {
  const context: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED };
  const start = millisToHrTime(span.startTime);
  const end = millisToHrTime(span.endTime);
  const readable: ReadableSpan = {
    name: span.name,
    kind: span.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL,
    spanContext: () => context,
    startTime: start,
    endTime: end,
    duration: millisToHrTime(Math.max(0, span.endTime - span.startTime)),
    status:
      span.status.code === 'error'
        ? { code: SpanStatusCode.ERROR, ...(span.status.message !== undefined ? { message: span.status.message } : {}) }
        : { code: span.status.code === 'ok' ? SpanStatusCode.OK : SpanStatusCode.UNSET },
    attributes: span.attributes as Attributes,
    links: [],
    events: span.events.map((e) => ({ name: e.name, time: millisToHrTime(e.time), attributes: e.attributes as Attributes })),
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
  if (span.parentSpanId !== undefined) {
    return { ...readable, parentSpanContext: { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED } };
  }
  return readable;
}

function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}

function httpStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function describeError(error: unknown, status: number | undefined): string {
  const base = error instanceof Error ? error.message || error.name : 'export failed';
  const cause = (error as { code?: unknown } | undefined)?.code;
  if (status !== undefined) return `HTTP ${status}: ${base}`;
  return typeof cause === 'string' ? `${cause}: ${base}` : base;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
