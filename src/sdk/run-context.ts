// Run scope. A run lives in AsyncLocalStorage, so everything started inside it (sub-agents,
// handoffs, Promise.all batches, timers) finds it without being handed it. Child runs keep their
// own identity for tracing, but share the root run's engine state, halt and abort signal: a
// sub-agent counts against its parent's budgets and stops when its parent is halted.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Decision, Mode } from '../engine/decision.js';
import { CallLedger } from './call-ledger.js';
import type { ChatMessage, JsonValue } from '../events/types.js';
import { ApprovalGrants } from './approvals.js';
import { EnforcementError, RunHaltedError } from './errors.js';
import { newRunId, newSpanId, traceIdOf } from './ids.js';

const MAX_REASONING = 5;
const MAX_MESSAGES = 10;
const MAX_RELATED_SPANS = 32;

export interface RunInit {
  name: string;
  mode: Mode;
  agentId?: string;
  metadata: Record<string, JsonValue>;
  parent?: Run;
}

export class Run {
  readonly runId: string;
  readonly name: string;
  readonly mode: Mode;
  readonly agentId: string | undefined;
  readonly metadata: Record<string, JsonValue>;
  readonly hasMetadata: boolean;
  readonly parent: Run | undefined;
  readonly root: Run;
  readonly traceId: string;
  /** the run's `invoke_agent` span */
  readonly spanId: string;
  readonly startTime: number;
  readonly calls = new CallLedger();
  readonly approvals = new ApprovalGrants();
  readonly recentReasoning: string[] = [];
  lastMessages: ChatMessage[] = [];
  readonly llmSpanIds: string[] = [];
  readonly toolSpanIds: string[] = [];
  ended = false;
  private readonly controller: AbortController | undefined;
  private haltError: RunHaltedError | undefined;
  private readonly children = new Set<Run>();
  private cachedHandle: RunHandle | undefined;

  /** The read-only view agent code gets (one per run). */
  get handle(): RunHandle {
    this.cachedHandle ??= handleOf(this);
    return this.cachedHandle;
  }

  constructor(init: RunInit) {
    this.runId = newRunId();
    this.name = init.name;
    this.mode = init.mode;
    this.agentId = init.agentId ?? init.parent?.agentId;
    this.metadata = init.metadata;
    this.hasMetadata = Object.keys(init.metadata).length > 0;
    this.parent = init.parent;
    this.root = init.parent?.root ?? this;
    this.traceId = init.parent?.traceId ?? traceIdOf(this.runId);
    this.spanId = newSpanId();
    this.startTime = Date.now();
    this.controller = init.parent ? undefined : new AbortController();
    init.parent?.children.add(this);
  }

  /** The id the engine keeps run state under: the root run's, so child runs share it. */
  get engineRunId(): string {
    return this.root.runId;
  }

  /** Fires when the run (or its root) is halted. */
  get signal(): AbortSignal {
    return this.root.controller!.signal;
  }

  get halted(): RunHaltedError | undefined {
    return this.root.haltError;
  }

  /** Halts the whole run tree; the first halt wins. */
  halt(error: RunHaltedError): RunHaltedError {
    const root = this.root;
    if (root.haltError) return root.haltError;
    root.haltError = error;
    root.controller!.abort(error);
    return error;
  }

  /** Throws when guarded work may no longer start in this run. */
  assertActive(): void {
    const halted = this.halted;
    if (halted) throw halted;
    if (this.root.ended && this.mode === 'enforce') {
      throw new EnforcementError('run_ended', `run \`${this.root.name}\` (${this.root.runId}) has ended; guarded calls after its end cannot be checked against its state`);
    }
  }

  rememberReasoning(text: string): void {
    this.recentReasoning.push(text);
    if (this.recentReasoning.length > MAX_REASONING) this.recentReasoning.splice(0, this.recentReasoning.length - MAX_REASONING);
  }

  rememberMessages(messages: readonly ChatMessage[]): void {
    this.lastMessages = messages.slice(-MAX_MESSAGES);
  }

  rememberSpan(kind: 'llm' | 'tool', spanId: string): void {
    const list = kind === 'llm' ? this.llmSpanIds : this.toolSpanIds;
    list.push(spanId);
    if (list.length > MAX_RELATED_SPANS) list.splice(0, list.length - MAX_RELATED_SPANS);
  }

  /** Decided calls that never started: their counter reservations must be given back. */
  unexecutedReservations(): Decision[] {
    const out: Decision[] = [];
    for (const c of this.calls.values()) {
      if ((c.state === 'allowed' || c.state === 'approved') && c.reservation) {
        out.push(c.reservation);
        delete c.reservation;
      }
    }
    for (const child of this.children) out.push(...child.unexecutedReservations());
    return out;
  }
}

export type { CallRecord } from './call-ledger.js';

const storage = new AsyncLocalStorage<Run>();

export function currentRunState(): Run | undefined {
  return storage.getStore();
}

export function runInScope<T>(run: Run, fn: () => T): T {
  return storage.run(run, fn);
}

/** A read-only view of a run for agent code. */
export interface RunHandle {
  readonly runId: string;
  /** the root run's id (equal to `runId` for a top-level run) */
  readonly rootRunId: string;
  readonly traceId: string;
  readonly name: string;
  readonly mode: Mode;
  readonly agentId: string | undefined;
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** aborted when a policy halts the run; pass it to fetches and tools so they stop too */
  readonly signal: AbortSignal;
  /** set once the run was halted */
  readonly halted: RunHaltedError | undefined;
  readonly parent: RunHandle | undefined;
}

function handleOf(run: Run): RunHandle {
  return {
    runId: run.runId,
    rootRunId: run.root.runId,
    traceId: run.traceId,
    name: run.name,
    mode: run.mode,
    agentId: run.agentId,
    metadata: run.metadata,
    signal: run.signal,
    get halted() {
      return run.halted;
    },
    get parent() {
      return run.parent?.handle;
    },
  };
}

/** The run the caller is in, or undefined outside `traceRun`. */
export function currentRun(): RunHandle | undefined {
  return storage.getStore()?.handle;
}
