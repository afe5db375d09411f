// Where capture output goes: every event the SDK observes (in every mode, so observe still yields
// traces), every evaluation with what the SDK knew around it, and the runs themselves. The SDK
// hands these over on the agent's hot path without waiting; the findings layer turns them into
// spans and findings, stores them and exports them.

import type { Decision, Mode } from '../engine/decision.js';
import type { ChatMessage, JsonValue, StreamEvent } from '../events/types.js';

export type ApprovalStatus = 'approved' | 'denied' | 'timeout';

/** One engine evaluation. `event.runId` is the run the event happened in (a child run's own id). */
export interface EvaluationRecord {
  event: StreamEvent;
  decision: Decision;
  runMode: Mode;
  /** the event after the decision's rewrite, when it was rewritten */
  rewrittenEvent?: StreamEvent;
  latencyMs: number;
  /** ms since the epoch when the evaluation started */
  startTime: number;
  approval?: ApprovalStatus;
  recentReasoning: readonly string[];
  lastMessages: readonly ChatMessage[];
  relatedSpanIds: { llm: readonly string[]; tool: readonly string[] };
}

export interface RunStartRecord {
  runId: string;
  name: string;
  agentId?: string;
  parentRunId?: string;
  traceId: string;
  mode: Mode;
  startedAt: number;
  metadata: Record<string, JsonValue>;
}

export interface RunEndRecord {
  runId: string;
  endedAt: number;
  status: 'ok' | 'error' | 'halted';
  error?: string;
}

export interface Recorder {
  runStarted(run: RunStartRecord): void;
  runEnded(end: RunEndRecord): void;
  event(event: StreamEvent): void;
  evaluation(record: EvaluationRecord): void;
  /** resolves when everything handed over so far is stored and, with an endpoint, delivered */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Keeps nothing; for `store: false` without an endpoint. */
export const discardingRecorder: Recorder = {
  runStarted() {},
  runEnded() {},
  event() {},
  evaluation() {},
  flush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
