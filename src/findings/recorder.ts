// FindingsRecorder: the findings layer behind the SDK's recorder port (src/sdk/recorder.ts
// `Recorder`, matched structurally so neither layer imports the other). The SDK calls it on the
// agent's hot path; every call only appends to an in-memory queue. On the next turn of the event
// loop the queue is turned into spans (SpanAssembler), findings (buildFindings) and guardrail
// spans, which go to the store and the exporter, themselves batched. `flush()` and `shutdown()`
// do all of that at once; process exit does the synchronous part.

import type { Decision, Mode } from '../engine/decision.js';
import type { ChatMessage, JsonValue, StreamEvent } from '../events/types.js';
import { onProcessExit } from './exit-hooks.js';
import type { Finding } from './finding.js';
import { buildFindings } from './finding.js';
import type { GuardrailConventionVersion } from './guardrail-conventions.js';
import type { FlushResult, OtlpExporterOptions } from './otlp-exporter.js';
import { OtlpExporter } from './otlp-exporter.js';
import { SpanAssembler } from './span-mapping.js';
import type { SpanRecord } from './span-record.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import { SqliteFindingStore } from './sqlite-store.js';

export interface RecordedRunStart {
  runId: string;
  name?: string;
  agentId?: string;
  parentRunId?: string;
  traceId?: string;
  mode: Mode;
  startedAt: number;
  metadata?: Record<string, JsonValue>;
}

export interface RecordedRunEnd {
  runId: string;
  endedAt: number;
  status: 'ok' | 'error' | 'halted';
  error?: string;
}

export interface RecordedEvaluation {
  event: StreamEvent;
  decision: Decision;
  runMode: Mode;
  rewrittenEvent?: StreamEvent;
  latencyMs: number;
  startTime: number;
  approval?: 'approved' | 'denied' | 'timeout';
  recentReasoning: readonly string[];
  lastMessages: readonly ChatMessage[];
  relatedSpanIds: { llm: readonly string[]; tool: readonly string[] };
}

export interface FindingsRecorderOptions {
  project: string;
  /** an open store, options to open one, or false for none (default: `.cascade/cascade.db`) */
  store?: SqliteFindingStore | SqliteStoreOptions | false;
  /** an open exporter or options to open one; none by default */
  exporter?: OtlpExporter | OtlpExporterOptions;
  /** record prompts, responses, arguments and results on spans (default false) */
  captureContent?: boolean;
  /** audit allows: true, or a sampling rate in [0, 1] */
  auditAllows?: boolean | number;
  /** masks secrets/PII in the free text findings keep */
  redactText?: (text: string) => string;
  guardrailConvention?: GuardrailConventionVersion;
  /** called for every finding (the detect-mode alert hook); errors are reported, never thrown */
  onFinding?: (finding: Finding) => void;
  /** how long `flush()` waits for the endpoint (default 30 s); what is left stays in the outbox */
  flushTimeoutMs?: number;
  /** how long `shutdown()` tries to deliver (default 5 s) */
  shutdownTimeoutMs?: number;
  onError?: (error: Error) => void;
}

type Entry =
  | { kind: 'run-start'; run: RecordedRunStart }
  | { kind: 'run-end'; end: RecordedRunEnd }
  | { kind: 'event'; event: StreamEvent }
  | { kind: 'evaluation'; record: RecordedEvaluation };

/** Entries processed per turn of the event loop before yielding. */
const SLICE = 2_000;

export class FindingsRecorder {
  readonly store: SqliteFindingStore | undefined;
  readonly exporter: OtlpExporter | undefined;
  private readonly options: FindingsRecorderOptions;
  private readonly assembler: SpanAssembler;
  private readonly ownsStore: boolean;
  private readonly ownsExporter: boolean;
  private readonly onError: (error: Error) => void;
  private queue: Entry[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private removeExitHook: (() => void) | undefined;
  private closed = false;
  private lastFlush: FlushResult = { ok: true };

  private constructor(options: FindingsRecorderOptions, store: SqliteFindingStore | undefined, ownsStore: boolean, exporter: OtlpExporter | undefined, ownsExporter: boolean) {
    this.options = options;
    this.store = store;
    this.exporter = exporter;
    this.ownsStore = ownsStore;
    this.ownsExporter = ownsExporter;
    this.onError = options.onError ?? (() => undefined);
    const mapping: ConstructorParameters<typeof SpanAssembler>[0] = { project: options.project };
    if (options.captureContent !== undefined) mapping.captureContent = options.captureContent;
    if (options.guardrailConvention !== undefined) mapping.guardrailConvention = options.guardrailConvention;
    this.assembler = new SpanAssembler(mapping);
    // Registered after the store's and exporter's hooks, so it runs before them (newest first).
    this.removeExitHook = onProcessExit(() => this.drainQueue());
  }

  static open(options: FindingsRecorderOptions): FindingsRecorder {
    let store: SqliteFindingStore | undefined;
    let ownsStore = false;
    if (options.store instanceof SqliteFindingStore) store = options.store;
    else if (options.store !== false) {
      store = SqliteFindingStore.open({ ...(options.onError !== undefined ? { onError: options.onError } : {}), ...options.store });
      ownsStore = true;
    }
    let exporter: OtlpExporter | undefined;
    let ownsExporter = false;
    try {
      if (options.exporter instanceof OtlpExporter) exporter = options.exporter;
      else if (options.exporter !== undefined) {
        exporter = OtlpExporter.open({ ...(options.onError !== undefined ? { onError: options.onError } : {}), ...options.exporter });
        ownsExporter = true;
      }
    } catch (err) {
      if (ownsStore) store?.close();
      throw err;
    }
    return new FindingsRecorder(options, store, ownsStore, exporter, ownsExporter);
  }

  // ---- the SDK's recorder port (hot path: append only) ----

  runStarted(run: RecordedRunStart): void {
    this.push({ kind: 'run-start', run });
  }

  runEnded(end: RecordedRunEnd): void {
    this.push({ kind: 'run-end', end });
  }

  event(event: StreamEvent): void {
    this.push({ kind: 'event', event });
  }

  evaluation(record: RecordedEvaluation): void {
    this.push({ kind: 'evaluation', record });
  }

  /** Stores everything handed over so far and, with an endpoint, waits for its delivery. */
  async flush(): Promise<void> {
    await this.flushDetailed();
  }

  /** Like `flush()`, saying whether delivery completed in time. */
  async flushDetailed(timeoutMs: number = this.options.flushTimeoutMs ?? 30_000): Promise<FlushResult> {
    this.drainQueue();
    this.store?.flush();
    if (this.exporter === undefined) return { ok: true };
    this.lastFlush = await this.exporter.flush({ timeoutMs });
    if (!this.lastFlush.ok && this.lastFlush.reason === 'timeout') {
      this.report(new Error(this.lastFlush.lastError ?? 'endpoint did not acknowledge in time'), `${this.lastFlush.pending} spans not delivered yet; they stay in the outbox`);
    }
    return this.lastFlush;
  }

  /** Ends open spans, stores everything, tries to deliver, closes what this recorder opened. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.drainQueue();
    this.closed = true;
    this.removeExitHook?.();
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.emitSpans(this.assembler.drain());
    if (this.ownsStore) this.store?.close();
    else this.store?.flush();
    if (this.exporter !== undefined) {
      const timeoutMs = this.options.shutdownTimeoutMs ?? 5_000;
      this.lastFlush = this.ownsExporter ? await this.exporter.close({ timeoutMs }) : await this.exporter.flush({ timeoutMs });
    }
  }

  /** Entries handed over and not yet processed. */
  get queued(): number {
    return this.queue.length;
  }

  // ---- processing (off the hot path) ----

  private push(entry: Entry): void {
    if (this.closed) {
      this.report(new Error('recorder is shut down'), `a ${entry.kind} record arrived after shutdown() and was dropped`);
      return;
    }
    this.queue.push(entry);
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.processSlice();
    });
  }

  private processSlice(): void {
    const batch = this.queue.splice(0, SLICE);
    for (const entry of batch) this.process(entry);
    if (this.queue.length > 0) {
      this.scheduled ??= setImmediate(() => {
        this.scheduled = undefined;
        this.processSlice();
      });
    }
  }

  private drainQueue(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const batch = this.queue;
    this.queue = [];
    for (const entry of batch) this.process(entry);
  }

  private process(entry: Entry): void {
    try {
      switch (entry.kind) {
        case 'run-start': {
          const r = entry.run;
          if (r.traceId !== undefined) this.assembler.setRunTrace(r.runId, r.traceId);
          const run: Parameters<SqliteFindingStore['recordRunStart']>[0] = { runId: r.runId, project: this.options.project, mode: r.mode, startedAt: r.startedAt };
          if (r.name !== undefined) run.name = r.name;
          if (r.agentId !== undefined) run.agentId = r.agentId;
          if (r.parentRunId !== undefined) run.parentRunId = r.parentRunId;
          if (r.traceId !== undefined) run.traceId = r.traceId;
          if (r.metadata !== undefined) run.metadata = r.metadata;
          this.store?.recordRunStart(run);
          break;
        }
        case 'run-end': {
          const e = entry.end;
          this.store?.recordRunEnd(e.error !== undefined ? { runId: e.runId, endedAt: e.endedAt, status: e.status, error: e.error } : { runId: e.runId, endedAt: e.endedAt, status: e.status });
          break;
        }
        case 'event':
          this.emitSpans(this.assembler.onEvent(entry.event));
          break;
        case 'evaluation':
          this.processEvaluation(entry.record);
          break;
      }
    } catch (err) {
      // One malformed record must not stop the ones behind it.
      this.report(err, `could not process a ${entry.kind} record`);
    }
  }

  private processEvaluation(r: RecordedEvaluation): void {
    const ctx: Parameters<typeof buildFindings>[2] = {
      project: this.options.project,
      runMode: r.runMode,
      now: r.startTime,
      latencyMs: r.latencyMs,
      recentReasoning: r.recentReasoning,
      lastMessages: r.lastMessages,
      relatedSpanIds: r.relatedSpanIds,
    };
    if (r.rewrittenEvent !== undefined) ctx.rewrittenEvent = r.rewrittenEvent;
    if (r.approval !== undefined) ctx.approval = r.approval;
    if (this.options.auditAllows !== undefined) ctx.auditAllows = this.options.auditAllows;
    if (this.options.redactText !== undefined) ctx.redactText = this.options.redactText;
    const findings = buildFindings(r.event, r.decision, ctx);
    this.store?.recordFindings(findings);
    if (this.options.onFinding !== undefined) {
      for (const f of findings) {
        try {
          this.options.onFinding(f);
        } catch (err) {
          this.report(err, 'onFinding threw');
        }
      }
    }
    const span = this.assembler.onEvaluation({ event: r.event, decision: r.decision, findings, runMode: r.runMode, latencyMs: r.latencyMs, startTime: r.startTime });
    if (span !== undefined) this.emitSpans([span]);
  }

  private emitSpans(spans: readonly SpanRecord[]): void {
    if (spans.length === 0) return;
    this.store?.recordSpans(spans);
    this.exporter?.enqueue(spans);
  }

  private report(err: unknown, context: string): void {
    try {
      this.onError(new Error(`cascade recorder: ${context}`, { cause: err }));
    } catch {
      // never let the error callback break recording
    }
  }
}
