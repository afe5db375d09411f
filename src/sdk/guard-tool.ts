// Guarded tools: the gate in front of a tool function. The `tool.call` check runs synchronously
// when the guarded function is invoked, before any await, so a batch started with Promise.all
// reserves its rate and budget counters one call at a time and can never overshoot a limit. The
// tool result is checked before it is handed back, because that is where the model's context
// takes in untrusted content (indirect prompt injection arrives in tool output).

import type { ToolCallEvent, ToolResultEvent } from '../events/types.js';
import { digestOf, toJsonObject, toJsonValue } from './canonical.js';
import { SYSTEM_POLICY, toolDenial, type Denial, type ToolDenial } from './denial.js';
import { PolicyViolationError } from './errors.js';
import { stamp, type Verdict } from './gate.js';
import { newCallId, newSpanId } from './ids.js';
import type { CallRecord } from './call-ledger.js';
import { currentRunState, type Run, type RunHandle } from './run-context.js';
import { activeTracer, type Tracer } from './tracer.js';

export interface ToolContext {
  callId: string;
  tool: string;
  /** aborted when the run is halted */
  signal: AbortSignal;
  run: RunHandle;
}

export interface GuardToolOptions {
  name: string;
  description?: string;
  /** what a denied call does: give the model a denial to read (default) or throw `PolicyViolationError` */
  onDeny?: 'return' | 'throw';
}

export interface ToolInvocationOptions {
  /** the model's tool call id; binds the call to what the model asked for and to any approval */
  callId?: string;
}

export type GuardedTool<A, R> = ((args: A, options?: ToolInvocationOptions) => Promise<R | ToolDenial>) & {
  readonly toolName: string;
  readonly description: string | undefined;
};
export type StrictGuardedTool<A, R> = ((args: A, options?: ToolInvocationOptions) => Promise<R>) & {
  readonly toolName: string;
  readonly description: string | undefined;
};

let warnedUninitialised = false;

/**
 * Wraps a tool function so that every call is checked before it runs and its result is checked
 * before it reaches the model. Returns the result, a rewritten (redacted) result as JSON data, or
 * a `ToolDenial` the model can read ("not executed: denied by policy X").
 */
export function guardTool<A, R>(fn: (args: A, context: ToolContext) => R | Promise<R>, options: GuardToolOptions & { onDeny: 'throw' }): StrictGuardedTool<A, R>;
export function guardTool<A, R>(fn: (args: A, context: ToolContext) => R | Promise<R>, options: GuardToolOptions): GuardedTool<A, R>;
export function guardTool<A, R>(fn: (args: A, context: ToolContext) => R | Promise<R>, options: GuardToolOptions): GuardedTool<A, R> {
  if (typeof fn !== 'function') throw new TypeError('guardTool: `fn` must be a function');
  if (typeof options?.name !== 'string' || options.name === '') throw new TypeError('guardTool: `name` must be a non-empty string');
  const guarded = (args: A, invocation?: ToolInvocationOptions): Promise<R | ToolDenial> => {
    const tracer = activeTracer();
    if (!tracer) {
      if (!warnedUninitialised) {
        warnedUninitialised = true;
        process.emitWarning('cascade-runtime: a guarded tool ran before initTracing(); it runs unguarded', 'CascadeWarning');
      }
      const run = currentRunState();
      const ctx: ToolContext = { callId: invocation?.callId ?? newCallId(), tool: options.name, signal: run?.signal ?? new AbortController().signal, run: run ? run.handle : detachedHandle() };
      return Promise.resolve().then(() => fn(args, ctx));
    }
    return runGuardedTool(tracer, currentRunState() ?? tracer.defaultRun(), options, args, invocation?.callId, fn);
  };
  return Object.assign(guarded, { toolName: options.name, description: options.description });
}

function detachedHandle(): RunHandle {
  return { runId: '', rootRunId: '', traceId: '', name: '', mode: 'observe', agentId: undefined, metadata: {}, signal: new AbortController().signal, halted: undefined, parent: undefined };
}

/** Decides one call (before any await), asks for approval if needed, runs it, checks the result. */
export function runGuardedTool<A, R>(
  tracer: Tracer,
  run: Run,
  options: GuardToolOptions,
  args: A,
  requestedCallId: string | undefined,
  fn: (args: A, context: ToolContext) => R | Promise<R>,
): Promise<R | ToolDenial> {
  const tool = options.name;
  try {
    run.assertActive();
  } catch (e) {
    return Promise.reject(e);
  }
  const jsonArgs = toJsonObject(args);
  // Only calls decided ahead (when the model's answer arrived) are matched; the digest is taken
  // only when there is something to match it against.
  let argsDigest: string | undefined;
  let record: CallRecord | undefined;
  if (requestedCallId !== undefined) record = run.calls.get(requestedCallId);
  else if (run.calls.hasAheadFor(tool)) record = run.calls.aheadFor(tool, (argsDigest = digestOf(jsonArgs)));
  const callId = requestedCallId ?? record?.callId ?? newCallId();
  if (record) {
    // A decision made ahead still holds if this is the same call, unchanged. A call whose
    // arguments could never be read (broken stream, malformed JSON) stays denied whatever
    // arguments are presented for it later.
    const unreadable = record.state === 'denied' && (record.denial?.policy === SYSTEM_POLICY.streamIntegrity || record.denial?.policy === SYSTEM_POLICY.invalidArguments);
    const waiting = record.state === 'allowed' || record.state === 'approved' || record.state === 'denied';
    const reusable = record.tool === tool && record.decidedAhead === true && (unreadable || (waiting && record.argsDigest === (argsDigest ??= digestOf(jsonArgs))));
    if (!reusable) {
      // An edited or repeated call is a new call: give back what the old decision reserved.
      if (record.state === 'allowed' || record.state === 'approved') tracer.gate.rollback(record.reservation);
      record = undefined;
    }
  }
  // The execute_tool span id was reserved when the model's answer was decided; a repeat gets its own.
  const spanId = record !== undefined && record.state !== 'denied' ? record.spanId : newSpanId();
  run.rememberSpan('tool', spanId);

  let verdict: Verdict;
  if (record) {
    verdict = record.state === 'denied' ? { behavior: 'deny', denial: record.denial!, decision: undefined } : { behavior: 'allow', event: toolCallEvent(run, record), modified: false, decision: undefined };
  } else {
    const event: ToolCallEvent = stamp(run, { kind: 'tool.call', runId: run.runId, tool, args: jsonArgs, callId }, spanId, run.spanId);
    try {
      verdict = tracer.gate.check(run, event);
    } catch (e) {
      return Promise.reject(e);
    }
    record = {
      callId,
      tool,
      args: jsonArgs,
      state: verdict.behavior === 'deny' ? 'denied' : verdict.behavior === 'approval' ? 'pending' : 'allowed',
      spanId,
      resultRecorded: false,
    };
    run.calls.set(record);
  }
  return proceed(tracer, run, options, record, verdict, args, fn);
}

function toolCallEvent(run: Run, record: CallRecord): ToolCallEvent {
  return { kind: 'tool.call', runId: run.runId, tool: record.tool, args: record.args, callId: record.callId };
}

async function proceed<A, R>(
  tracer: Tracer,
  run: Run,
  options: GuardToolOptions,
  record: CallRecord,
  first: Verdict,
  args: A,
  fn: (args: A, context: ToolContext) => R | Promise<R>,
): Promise<R | ToolDenial> {
  let verdict = first;
  if (verdict.behavior === 'approval') {
    verdict = (await tracer.gate.approve(run, verdict, { kind: 'tool.call', tool: record.tool, callId: record.callId, args: (verdict.event as ToolCallEvent).args })).verdict;
  } else if (record.state === 'approved') {
    // Granted when the model's answer arrived: usable once, for exactly this call, before it expires.
    const ok = run.approvals.consume({ runId: run.engineRunId, callId: record.callId, tool: record.tool, argsDigest: record.argsDigest ?? '', policyVersions: record.approvalPolicies ?? '' });
    if (!ok) {
      tracer.gate.rollback(record.reservation);
      run.calls.delete(record.callId);
      return runGuardedTool(tracer, run, options, args, record.callId, fn);
    }
  }

  if (verdict.behavior === 'deny') {
    record.denial = verdict.denial;
    run.calls.transition(record, 'denied');
    return deny(tracer, run, options, record, verdict.denial);
  }
  const halted = run.halted;
  if (halted) {
    // A sibling halted the run while this call waited: it never starts.
    tracer.gate.rollback(verdict.decision);
    tracer.gate.rollback(record.reservation);
    record.denial = { policy: halted.policy, reason: 'the run was halted', outcome: 'halt', violations: halted.violations };
    run.calls.transition(record, 'denied');
    throw halted;
  }
  let callArgs = args;
  if (verdict.modified) {
    record.args = (verdict.event as ToolCallEvent).args;
    callArgs = record.args as unknown as A;
  }
  delete record.reservation;
  run.calls.transition(record, 'executing');

  const started = performance.now();
  let result: R;
  try {
    result = await fn(callArgs, { callId: record.callId, tool: record.tool, signal: run.signal, run: run.handle });
  } catch (err) {
    run.calls.transition(record, 'executed');
    const message = (err as Error)?.message ?? String(err);
    const resultEvent: ToolResultEvent = stamp(
      run,
      { kind: 'tool.result', runId: run.runId, tool: record.tool, callId: record.callId, error: message, durationMs: performance.now() - started },
      record.spanId,
      run.spanId,
    );
    record.resultRecorded = true;
    // Checked for the record (and a halt); the tool's own error is what the caller gets.
    tracer.gate.check(run, resultEvent);
    throw err;
  }
  run.calls.transition(record, 'executed');
  const resultEvent: ToolResultEvent = stamp(
    run,
    { kind: 'tool.result', runId: run.runId, tool: record.tool, callId: record.callId, result: toJsonValue(result), durationMs: performance.now() - started },
    record.spanId,
    run.spanId,
  );
  record.resultRecorded = true;
  let resultVerdict = tracer.gate.check(run, resultEvent);
  if (resultVerdict.behavior === 'approval') {
    resultVerdict = (await tracer.gate.approve(run, resultVerdict, { kind: 'tool.result', tool: record.tool, callId: record.callId, args: resultEvent.result ?? null })).verdict;
  }
  if (resultVerdict.behavior === 'deny') return deny(tracer, run, options, record, resultVerdict.denial, 'withheld');
  if (resultVerdict.modified) return (resultVerdict.event as ToolResultEvent).result as R;
  return result;
}

function deny(tracer: Tracer, run: Run, options: GuardToolOptions, record: CallRecord, denial: Denial, status: ToolDenial['status'] = 'denied'): Promise<ToolDenial> {
  const value = toolDenial(denial, record.tool, record.callId, status);
  if (options.onDeny === 'throw' || (options.onDeny === undefined && tracer.settings.onToolDenied === 'throw')) {
    return Promise.reject(
      new PolicyViolationError({
        message: value.error,
        policy: denial.policy,
        outcome: denial.outcome,
        point: status === 'denied' ? 'tool.call' : 'tool.result',
        violations: denial.violations,
        runId: run.engineRunId,
        callId: record.callId,
      }),
    );
  }
  return Promise.resolve(value);
}

export interface GuardMethodsOptions<K extends string> {
  /** tool name per method; defaults to the method name */
  names?: Partial<Record<K, string>>;
  descriptions?: Partial<Record<K, string>>;
  onDeny?: 'return' | 'throw';
}

type MethodKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T] & string;

type GuardedMethods<T, K extends keyof T> = Omit<T, K> & {
  [P in K]: T[P] extends (args: infer A, ...rest: never[]) => infer R ? (args: A, options?: ToolInvocationOptions) => Promise<Awaited<R> | ToolDenial> : never;
};

/**
 * The class equivalent of `guardTool`, without decorators: returns a view of `instance` whose
 * listed methods are guarded tools (called with `this` bound to the instance); everything else
 * passes through unchanged.
 */
export function guardMethods<T extends object, K extends MethodKeys<T>>(instance: T, methods: readonly K[], options: GuardMethodsOptions<K> = {}): GuardedMethods<T, K> {
  const guarded = new Map<PropertyKey, unknown>();
  for (const m of methods) {
    const method = (instance as Record<string, unknown>)[m];
    if (typeof method !== 'function') throw new TypeError(`guardMethods: \`${m}\` is not a method of the instance`);
    const toolOptions: GuardToolOptions = { name: options.names?.[m] ?? m };
    const description = options.descriptions?.[m];
    if (description !== undefined) toolOptions.description = description;
    if (options.onDeny !== undefined) toolOptions.onDeny = options.onDeny;
    guarded.set(m, guardTool((args: unknown) => (method as (a: unknown) => unknown).call(instance, args), toolOptions));
  }
  return new Proxy(instance, {
    get(target, prop, receiver) {
      if (guarded.has(prop)) return guarded.get(prop);
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as GuardedMethods<T, K>;
}

/** Guards each function of a record of tools, naming each tool by its key. */
export function guardTools<T extends Record<string, (args: never, context: ToolContext) => unknown>>(
  tools: T,
  options: { onDeny?: 'return' | 'throw'; descriptions?: Partial<Record<keyof T & string, string>> } = {},
): { [K in keyof T]: GuardedTool<Parameters<T[K]>[0], Awaited<ReturnType<T[K]>>> } {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(tools)) {
    const toolOptions: GuardToolOptions = { name };
    const description = options.descriptions?.[name as keyof T & string];
    if (description !== undefined) toolOptions.description = description;
    if (options.onDeny !== undefined) toolOptions.onDeny = options.onDeny;
    out[name] = guardTool(fn as (args: unknown, context: ToolContext) => unknown, toolOptions);
  }
  return out as { [K in keyof T]: GuardedTool<Parameters<T[K]>[0], Awaited<ReturnType<T[K]>>> };
}
