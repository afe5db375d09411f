// What a guarded call gives back instead of running: a denial the model can read ("not executed:
// denied by policy X") that code can tell apart from a tool that ran and failed.

import type { Violation } from '../engine/decision.js';

export type DenialOutcome = 'block' | 'prevent_response' | 'require_approval' | 'halt' | 'error';

/** Why something did not happen. `policy` is the deciding policy or a `cascade/...` pseudo-policy. */
export interface Denial {
  policy: string;
  reason: string;
  outcome: DenialOutcome;
  violations: readonly Violation[];
}

/** Pseudo-policies for denials no user policy made. */
export const SYSTEM_POLICY = {
  engine: 'cascade/engine',
  approval: 'cascade/approval',
  streamIntegrity: 'cascade/stream-integrity',
  invalidArguments: 'cascade/invalid-arguments',
  runHalted: 'cascade/run-halted',
  runEnded: 'cascade/run-ended',
} as const;

const TOOL_DENIAL = Symbol.for('cascade-runtime.tool-denial');

/**
 * Returned by a guarded tool instead of its result. `status: 'denied'`: the tool did not run;
 * `status: 'withheld'`: it ran, but a policy kept its result from the model. Serialises to JSON a
 * model can read; pass it back as the tool result.
 */
export interface ToolDenial {
  readonly status: 'denied' | 'withheld';
  /** the text the model should see */
  readonly error: string;
  readonly policy: string;
  readonly reason: string;
  readonly tool: string;
  readonly callId: string;
}

export function denialText(denial: Denial, status: ToolDenial['status'] = 'denied'): string {
  const head = status === 'denied' ? 'not executed: denied by policy' : 'executed, but the result was withheld by policy';
  return `${head} ${denial.policy}: ${denial.reason}`;
}

export function toolDenial(denial: Denial, tool: string, callId: string, status: ToolDenial['status'] = 'denied'): ToolDenial {
  const value: ToolDenial = { status, error: denialText(denial, status), policy: denial.policy, reason: denial.reason, tool, callId };
  Object.defineProperty(value, TOOL_DENIAL, { value: true, enumerable: false });
  return Object.freeze(value);
}

/** True for what a guarded tool returns in place of a result it was not allowed to produce. */
export function isToolDenial(value: unknown): value is ToolDenial {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TOOL_DENIAL] === true;
}
