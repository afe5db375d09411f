// The part of the engine the SDK depends on. Kept as an interface so the SDK states exactly what it
// relies on: synchronous evaluation with run state (committed when the event may proceed, deferred
// for approvals), commit and rollback of those updates, end of run, and rewriting an event by a
// decision's modifications.

import type { Decision, Mode } from '../engine/decision.js';
import type { StreamEvent } from '../events/types.js';

export interface GuardEngine {
  evaluate(event: StreamEvent, options?: { mode?: Mode }): Decision;
  /** applies the run-state updates a decision deferred (an approved `require_approval`) */
  commit(decision: Decision): void;
  /** undoes the run-state updates of an event that was let through but never happened */
  rollback(decision: Decision): void;
  endRun(runId: string): void;
}

export type ApplyModifications = (event: StreamEvent, decision: Decision) => StreamEvent;
