// Exceptional outcomes of guarded calls, as classes a caller can tell apart across copies of the
// package: each has a `name`, an optional `cause`, a `Symbol.for` marker and a static `isInstance`
// that checks the marker instead of the prototype chain.

import type { Outcome, Violation } from '../engine/decision.js';

const CASCADE_ERROR = Symbol.for('cascade-runtime.error');

function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** Base of every error the SDK throws on purpose. */
export class CascadeError extends Error {
  private readonly [CASCADE_ERROR] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CascadeError';
  }
  static isInstance(value: unknown): value is CascadeError {
    return hasMarker(value, CASCADE_ERROR);
  }
}

const POLICY_VIOLATION = Symbol.for('cascade-runtime.error.policy-violation');

/** Where in the agent's flow an intervention happened. */
export type InterventionPoint = 'llm.request' | 'llm.response' | 'tool.call' | 'tool.result' | 'agent.response' | 'reasoning' | 'run.start';

/**
 * A policy stopped something: a tool call (when the guard is set to throw), a prompt, a response
 * or a stream. `policy` names the deciding policy; `violations` lists every policy that matched.
 */
export class PolicyViolationError extends CascadeError {
  private readonly [POLICY_VIOLATION] = true;
  readonly policy: string;
  readonly outcome: Outcome | 'error';
  readonly point: InterventionPoint;
  readonly violations: readonly Violation[];
  readonly runId: string | undefined;
  readonly callId: string | undefined;
  constructor(init: {
    message: string;
    policy: string;
    outcome: Outcome | 'error';
    point: InterventionPoint;
    violations?: readonly Violation[];
    runId?: string;
    callId?: string;
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PolicyViolationError';
    this.policy = init.policy;
    this.outcome = init.outcome;
    this.point = init.point;
    this.violations = init.violations ?? [];
    this.runId = init.runId;
    this.callId = init.callId;
  }
  static override isInstance(value: unknown): value is PolicyViolationError {
    return hasMarker(value, POLICY_VIOLATION);
  }
}

const RUN_HALTED = Symbol.for('cascade-runtime.error.run-halted');

/** The run was halted by a policy; every later guarded call in it (sub-agents included) throws this. */
export class RunHaltedError extends CascadeError {
  private readonly [RUN_HALTED] = true;
  readonly runId: string;
  readonly policy: string;
  readonly violations: readonly Violation[];
  constructor(init: { runId: string; policy: string; message: string; violations?: readonly Violation[]; cause?: unknown }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'RunHaltedError';
    this.runId = init.runId;
    this.policy = init.policy;
    this.violations = init.violations ?? [];
  }
  static override isInstance(value: unknown): value is RunHaltedError {
    return hasMarker(value, RUN_HALTED);
  }
}

const ENFORCEMENT = Symbol.for('cascade-runtime.error.enforcement');

export type EnforcementErrorCode =
  /** the engine threw or overran its latency budget and the SDK failed closed */
  | 'engine_error'
  /** a streamed answer ended before a tool call was complete, or contradicted itself */
  | 'stream_integrity'
  /** enforcement was asked for without anything to enforce */
  | 'no_policies'
  /** a guarded call arrived after its run had ended */
  | 'run_ended'
  /** a tool call's arguments could not be read as a JSON object */
  | 'invalid_arguments';

/** Enforcement itself could not be carried out, so the guarded action did not happen. */
export class EnforcementError extends CascadeError {
  private readonly [ENFORCEMENT] = true;
  readonly code: EnforcementErrorCode;
  constructor(code: EnforcementErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnforcementError';
    this.code = code;
  }
  static override isInstance(value: unknown): value is EnforcementError {
    return hasMarker(value, ENFORCEMENT);
  }
}

const CONFIG = Symbol.for('cascade-runtime.error.config');

/** `initTracing` or a run was configured wrongly (unknown mode, broken policies, enforce without policies). */
export class CascadeConfigError extends CascadeError {
  private readonly [CONFIG] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CascadeConfigError';
  }
  static override isInstance(value: unknown): value is CascadeConfigError {
    return hasMarker(value, CONFIG);
  }
}
