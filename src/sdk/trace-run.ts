// traceRun: the scope of one agent run. Everything the callback starts, awaited or not, runs in
// the run's AsyncLocalStorage context. A nested traceRun is a child run: its own span and identity,
// the root's engine state, halt and signal, and a mode that can only be as strict or stricter.

import type { Mode } from '../engine/decision.js';
import type { JsonValue, RunEndEvent, RunStartEvent } from '../events/types.js';
import { toJsonValue } from './canonical.js';
import { denialText, SYSTEM_POLICY, type Denial } from './denial.js';
import { PolicyViolationError, RunHaltedError } from './errors.js';
import { stamp } from './gate.js';
import { currentRunState, Run, runInScope, type RunHandle } from './run-context.js';
import type { RunEndRecord, RunStartRecord } from './recorder.js';
import { activeTracer, parseMode, stricterMode, type Tracer } from './tracer.js';

export interface RunMetadata {
  /** the agent's id, recorded on every event and finding of the run */
  agent_id?: string;
  /** overrides the global mode for this run only (`observe`, `detect` or `enforce`) */
  enforcement_mode?: Mode;
  [key: string]: JsonValue | undefined;
}

export interface TraceRunOptions {
  metadata?: RunMetadata;
  /** the user's request that starts the run: trusted input, recorded as the run's `run.start` */
  input?: string;
}

let warnedUninitialised = false;

/**
 * Runs `fn` as an agent run. Rejects with `RunHaltedError` when a policy halted the run, whatever
 * `fn` itself did with the error.
 */
export function traceRun<T>(name: string, fn: (run: RunHandle) => T | Promise<T>): Promise<T>;
export function traceRun<T>(name: string, options: TraceRunOptions, fn: (run: RunHandle) => T | Promise<T>): Promise<T>;
export function traceRun<T>(
  name: string,
  optionsOrFn: TraceRunOptions | ((run: RunHandle) => T | Promise<T>),
  maybeFn?: (run: RunHandle) => T | Promise<T>,
): Promise<T> {
  const options: TraceRunOptions = typeof optionsOrFn === 'function' ? {} : (optionsOrFn ?? {});
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (typeof fn !== 'function') return Promise.reject(new TypeError('traceRun: the last argument must be the run function'));
  const tracer = activeTracer();
  const parent = currentRunState();
  let run: Run;
  try {
    if (!tracer) {
      if (!warnedUninitialised) {
        warnedUninitialised = true;
        process.emitWarning('cascade-runtime: traceRun() before initTracing(); the run is not traced', 'CascadeWarning');
      }
      run = new Run({ name, mode: 'observe', metadata: {}, ...(parent ? { parent } : {}) });
      return runInScope(run, () => Promise.resolve().then(() => fn(run.handle)));
    }
    run = openRun(tracer, name, options, parent);
  } catch (e) {
    return Promise.reject(e);
  }
  return runInScope(run, () => execute(tracer, run, options, fn));
}

function openRun(tracer: Tracer, name: string, options: TraceRunOptions, parent: Run | undefined): Run {
  const where = `traceRun(\`${name}\`)`;
  const requested = options.metadata?.enforcement_mode !== undefined ? parseMode(options.metadata.enforcement_mode, where) : undefined;
  // A sub-agent never escapes its parent's policy: it may tighten the mode, never loosen it.
  const mode = parent ? stricterMode(parent.mode, requested ?? parent.mode) : (requested ?? tracer.settings.mode);
  tracer.assertEnforceable(mode, where);
  if (parent) parent.assertActive();
  const metadata: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(options.metadata ?? {})) if (v !== undefined) metadata[k] = toJsonValue(v);
  metadata['enforcement_mode'] = mode;
  const agentId = typeof options.metadata?.agent_id === 'string' ? options.metadata.agent_id : undefined;
  return new Run({ name, mode, metadata, ...(agentId !== undefined ? { agentId } : {}), ...(parent ? { parent } : {}) });
}

async function execute<T>(tracer: Tracer, run: Run, options: TraceRunOptions, fn: (run: RunHandle) => T | Promise<T>): Promise<T> {
  const record: RunStartRecord = { runId: run.runId, name: run.name, traceId: run.traceId, mode: run.mode, startedAt: run.startTime, metadata: run.metadata };
  if (run.agentId !== undefined) record.agentId = run.agentId;
  if (run.parent) record.parentRunId = run.parent.runId;
  tracer.recorder.runStarted(record);
  let status: NonNullable<RunEndEvent['status']> = 'ok';
  let failure: unknown;
  try {
    const start: RunStartEvent = stamp(run, { kind: 'run.start', runId: run.runId, name: run.name, ...(options.input !== undefined ? { input: options.input } : {}) }, run.spanId, run.parent?.spanId);
    let verdict = tracer.gate.check(run, start);
    if (verdict.behavior === 'approval') verdict = (await tracer.gate.approve(run, verdict, { kind: 'run.start', args: options.input ?? null })).verdict;
    if (verdict.behavior === 'deny') {
      throw new PolicyViolationError({
        message: `run not started: denied by policy ${verdict.denial.policy}: ${verdict.denial.reason}`,
        policy: verdict.denial.policy,
        outcome: verdict.denial.outcome,
        point: 'run.start',
        violations: verdict.denial.violations,
        runId: run.engineRunId,
      });
    }
    const value = await fn(run.handle);
    if (run.halted) throw run.halted;
    return value;
  } catch (e) {
    failure = run.halted ?? e;
    status = RunHaltedError.isInstance(failure) ? 'halted' : 'error';
    throw failure;
  } finally {
    close(tracer, run, status, failure);
  }
}

function close(tracer: Tracer, run: Run, status: NonNullable<RunEndEvent['status']>, failure: unknown): void {
  const end: RunEndEvent = stamp(run, { kind: 'run.end', runId: run.runId, status }, run.spanId, run.parent?.spanId);
  if (failure !== undefined) end.error = (failure as Error)?.message ?? String(failure);
  if (run.root === run) {
    try {
      tracer.gate.check(run, end);
    } catch {
      // Nothing is left to stop at the end of a run; the decision is recorded all the same.
    }
  } else {
    // The engine drops a run's state at its `run.end`: a child's end is recorded, not evaluated,
    // so that it does not end the state its root still uses.
    tracer.gate.emitOnly(end);
  }
  run.ended = true;
  // Calls decided for this run but never executed give their reserved counters back, and are
  // remembered so that a later request carrying them gets a tool result saying so.
  for (const reservation of run.unexecutedReservations()) tracer.gate.rollback(reservation);
  const halted = run.halted;
  for (const call of run.calls.values()) {
    if (call.state === 'executing' || call.state === 'executed') {
      // A halt can cut a run between a tool's execution and the delivery of its result.
      if (halted) {
        const error = `executed, but the run was halted by policy ${halted.policy} before the result was delivered`;
        tracer.rememberUnanswered(call.callId, JSON.stringify({ status: 'withheld', error, policy: halted.policy }));
      }
      continue;
    }
    const denial: Denial =
      call.denial ??
      (halted
        ? { policy: halted.policy, reason: 'the run was halted before the call ran', outcome: 'halt', violations: [] }
        : { policy: SYSTEM_POLICY.runEnded, reason: 'the run ended before the call ran', outcome: 'block', violations: [] });
    tracer.rememberUnanswered(call.callId, JSON.stringify({ status: 'denied', error: denialText(denial), policy: denial.policy }));
  }
  if (run.root === run) {
    try {
      tracer.settings.engine.endRun(run.engineRunId);
    } catch {
      // The engine may already have dropped the run.
    }
  }
  const ended: RunEndRecord = { runId: run.runId, endedAt: Date.now(), status };
  if (end.error !== undefined) ended.error = end.error;
  tracer.recorder.runEnded(ended);
}
