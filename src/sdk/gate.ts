// The gate: one synchronous check of one event against the engine, and what the run's mode makes
// of the decision. Every capture path (tool guards, wrappers, streams, responses) goes through
// here, so streaming and non-streaming share one code path. In enforce mode nothing proceeds until
// the engine has answered; an engine fault or a latency-budget overrun fails closed unless the SDK
// was told `onError: 'allow'`. Observe never evaluates; detect evaluates and records but never
// intervenes, whatever the decision says.

import type { Decision, Mode, Outcome, Violation } from '../engine/decision.js';
import { defaultDirection, type JsonValue, type StreamEvent } from '../events/types.js';
import { askApprover, policyVersionsKey, type Approver, type ApprovalResult } from './approvals.js';
import { digestOf } from './canonical.js';
import { SYSTEM_POLICY, type Denial } from './denial.js';
import type { ApplyModifications, GuardEngine } from './engine-port.js';
import { RunHaltedError } from './errors.js';
import { newApprovalId } from './ids.js';
import type { ApprovalStatus, Recorder } from './recorder.js';
import type { Run } from './run-context.js';

export interface GateSettings {
  engine: GuardEngine;
  applyModifications: ApplyModifications;
  recorder: Recorder;
  /** the hash of the bundle in use, for decisions the SDK makes itself (engine faults) */
  bundleHash: () => string;
  onError: 'block' | 'allow';
  latencyBudgetMs: number | undefined;
  approver: Approver | undefined;
  approvalTimeoutMs: number;
}

export type Verdict =
  /** proceed with `event` (rewritten when `modified`) */
  | { behavior: 'allow'; event: StreamEvent; modified: boolean; decision: Decision | undefined }
  /** proceed only after approval; `event` is what would proceed */
  | { behavior: 'approval'; event: StreamEvent; original: StreamEvent; modified: boolean; decision: Decision; policies: Violation[]; latencyMs: number; startTime: number }
  /** do not proceed */
  | { behavior: 'deny'; denial: Denial; decision: Decision | undefined };

export interface CheckOptions {
  /**
   * A look at a partial event (a stream in progress): the engine's run state is rolled back right
   * away and nothing is recorded unless the check intervenes.
   */
  probe?: boolean;
}

const OUTCOME_OF_ACTION: Record<Violation['action'], Outcome> = {
  allow: 'allow',
  block: 'block',
  modify: 'modify',
  prevent_response: 'prevent_response',
  halt: 'halt',
  require_approval: 'require_approval',
};

/** The violation that produced `outcome`: the first enforcing one with that action. */
export function decidingViolation(decision: Decision, outcome: Outcome): Violation | undefined {
  return (
    decision.violations.find((v) => !v.shadow && OUTCOME_OF_ACTION[v.action] === outcome) ??
    decision.violations.find((v) => !v.shadow) ??
    decision.violations[0]
  );
}

function reasonOf(v: Violation | undefined, fallback: string): string {
  return v?.message && v.message.trim() !== '' ? v.message : fallback;
}

/**
 * Fills the fields every event carries from the run it happens in, on the event itself (callers
 * pass a fresh object; copying it would cost more than the check). `runId` is the run's own id (a
 * child run's, for a sub-agent); the gate swaps in the root's id for the engine.
 */
export function stamp<E extends StreamEvent>(run: Run, event: E, spanId: string | undefined, parentSpanId: string | undefined): E {
  event.runId = run.runId;
  event.time ??= Date.now();
  event.direction ??= defaultDirection(event.kind);
  if (run.agentId !== undefined) event.agentId = run.agentId;
  if (run.hasMetadata) event.metadata = run.metadata;
  if (spanId !== undefined) event.spanId = spanId;
  if (parentSpanId !== undefined) event.parentSpanId = parentSpanId;
  return event;
}

/** The event as the engine sees it: under the root run, whose state sub-agents share. */
function forEngine(run: Run, event: StreamEvent): StreamEvent {
  return event.runId === run.engineRunId ? event : { ...event, runId: run.engineRunId };
}

/** The event as it is recorded: under the run it happened in. */
function forRecord(run: Run, event: StreamEvent): StreamEvent {
  return event.runId === run.runId ? event : { ...event, runId: run.runId };
}

export class Gate {
  constructor(private readonly settings: GateSettings) {}

  /** Checks one event. Throws `RunHaltedError` when the decision halts the run (enforce only). */
  check(run: Run, recordedEvent: StreamEvent, options: CheckOptions = {}): Verdict {
    const mode = run.mode;
    const s = this.settings;
    // Nothing proceeds in a halted run; only its end is still recorded.
    const halted = run.halted;
    if (halted && recordedEvent.kind !== 'run.end') throw halted;
    if (mode === 'observe') {
      if (!options.probe) this.emit(recordedEvent);
      return { behavior: 'allow', event: recordedEvent, modified: false, decision: undefined };
    }
    const event = forEngine(run, recordedEvent);
    const started = performance.now();
    const startTime = Date.now();
    let decision: Decision;
    let faulted = false;
    try {
      decision = s.engine.evaluate(event, { mode });
    } catch (e) {
      faulted = true;
      decision = this.faultDecision(mode, `the engine failed: ${(e as Error)?.message ?? String(e)}`);
    }
    const latencyMs = performance.now() - started;
    if (!faulted && s.latencyBudgetMs !== undefined && latencyMs > s.latencyBudgetMs) {
      safeRollback(s.engine, decision);
      decision = this.faultDecision(mode, `evaluation took ${latencyMs.toFixed(2)} ms, over the ${s.latencyBudgetMs} ms budget`);
      faulted = true;
    }
    // The recorded event is the one that proceeds (rewritten when the decision rewrote it).
    const record = (rewritten?: StreamEvent): void => {
      this.emit(rewritten ?? recordedEvent);
      this.record(run, recordedEvent, decision, latencyMs, startTime, rewritten);
    };

    // Detect (and anything below enforce) never changes behaviour, whatever the decision says.
    if (mode !== 'enforce') {
      if (options.probe) safeRollback(s.engine, decision);
      else record();
      return { behavior: 'allow', event: recordedEvent, modified: false, decision };
    }

    switch (decision.outcome) {
      case 'allow':
      case 'flag':
      case 'modify':
      case 'require_approval': {
        let out = recordedEvent;
        let modified = false;
        if (decision.modifications.length > 0) {
          try {
            out = forRecord(run, s.applyModifications(event, decision));
            modified = true;
          } catch (e) {
            // A rewrite that cannot be applied must not let the original through.
            safeRollback(s.engine, decision);
            const fault = this.faultDecision(mode, `the rewrite could not be applied: ${(e as Error)?.message ?? String(e)}`);
            this.emit(recordedEvent);
            this.record(run, recordedEvent, fault, latencyMs, startTime);
            return this.denyFor(fault, 'error');
          }
        }
        if (decision.outcome === 'require_approval') {
          const policies = decision.violations.filter((v) => !v.shadow && v.action === 'require_approval');
          if (options.probe) safeRollback(s.engine, decision);
          else this.emit(out);
          return { behavior: 'approval', event: out, original: recordedEvent, modified, decision, policies, latencyMs, startTime };
        }
        if (options.probe) safeRollback(s.engine, decision);
        else record(modified ? out : undefined);
        return { behavior: 'allow', event: out, modified, decision };
      }
      case 'block':
      case 'prevent_response': {
        record();
        return this.denyFor(decision, faulted ? 'error' : decision.outcome);
      }
      case 'halt': {
        record();
        const v = decidingViolation(decision, 'halt');
        const policy = v?.policy ?? SYSTEM_POLICY.engine;
        throw run.halt(
          new RunHaltedError({
            runId: run.engineRunId,
            policy,
            message: `run halted by policy ${policy}: ${reasonOf(v, 'the policy halts the run')}`,
            violations: decision.violations,
          }),
        );
      }
    }
  }

  /**
   * Resolves an `approval` verdict with the approver. Approved: the grant is bound to the run,
   * call, tool, argument digest and policy versions, and recorded. Denied or silent: the engine's
   * reservation is given back.
   */
  async approve(
    run: Run,
    verdict: Extract<Verdict, { behavior: 'approval' }>,
    subject: { kind: StreamEvent['kind']; tool?: string; callId?: string; args: JsonValue },
  ): Promise<{ verdict: Extract<Verdict, { behavior: 'allow' | 'deny' }>; result: ApprovalResult; policyVersions: string }> {
    const s = this.settings;
    const policies = verdict.policies.map((v) => ({ name: v.policy, version: v.policyVersion, message: v.message }));
    const policyVersions = policyVersionsKey(policies);
    const request = {
      id: newApprovalId(),
      runId: run.engineRunId,
      kind: subject.kind,
      args: subject.args,
      argsDigest: digestOf(subject.args),
      policies,
      bundleHash: verdict.decision.bundleHash,
      ...(run.agentId !== undefined ? { agentId: run.agentId } : {}),
      ...(subject.tool !== undefined ? { tool: subject.tool } : {}),
      ...(subject.callId !== undefined ? { callId: subject.callId } : {}),
    };
    const result = await askApprover(s.approver, request, s.approvalTimeoutMs, run.signal);
    const status: ApprovalStatus = result.status;
    this.record(run, verdict.original, verdict.decision, verdict.latencyMs, verdict.startTime, verdict.modified ? verdict.event : undefined, status);
    if (result.status === 'approved' && !run.halted) {
      // The engine deferred this event's run-state updates until the approval; apply them now.
      safeCommit(s.engine, verdict.decision);
      return { verdict: { behavior: 'allow', event: verdict.event, modified: verdict.modified, decision: verdict.decision }, result, policyVersions };
    }
    safeRollback(s.engine, verdict.decision);
    const v = verdict.policies[0];
    return {
      verdict: {
        behavior: 'deny',
        denial: { policy: v?.policy ?? SYSTEM_POLICY.approval, reason: `${reasonOf(v, 'approval required')} (${result.status === 'approved' ? 'run halted' : result.reason})`, outcome: 'require_approval', violations: verdict.decision.violations },
        decision: verdict.decision,
      },
      result,
      policyVersions,
    };
  }

  /**
   * Records a failure the SDK detected itself (an unreadable tool call, a broken stream) as an
   * evaluation error attributed to a `cascade/...` pseudo-policy. Nothing is recorded in observe.
   */
  recordFault(run: Run, event: StreamEvent, policy: string, message: string): void {
    if (run.mode === 'observe') return;
    const decision: Decision = {
      outcome: run.mode === 'enforce' ? 'block' : 'flag',
      violations: [],
      modifications: [],
      bundleHash: this.settings.bundleHash(),
      errors: [{ policy, message }],
    };
    this.emit(event);
    this.record(run, event, decision, 0, Date.now());
  }

  /** Records an event that is not evaluated (a child run's end). */
  emitOnly(event: StreamEvent): void {
    this.emit(event);
  }

  /** Gives back the counter reservation of an event that was let through but never happened. */
  rollback(decision: Decision | undefined): void {
    if (decision) safeRollback(this.settings.engine, decision);
  }

  private denyFor(decision: Decision, outcome: Denial['outcome']): Extract<Verdict, { behavior: 'deny' }> {
    if (outcome === 'error') {
      const message = decision.errors[0]?.message ?? 'evaluation failed';
      return { behavior: 'deny', denial: { policy: decision.errors[0]?.policy ?? SYSTEM_POLICY.engine, reason: `${message}; failed closed`, outcome: 'error', violations: decision.violations }, decision };
    }
    const v = decidingViolation(decision, outcome);
    if ((v === undefined || v.shadow || OUTCOME_OF_ACTION[v.action] !== outcome) && decision.errors.length > 0) return this.denyFor(decision, 'error');
    return {
      behavior: 'deny',
      denial: { policy: v?.policy ?? SYSTEM_POLICY.engine, reason: reasonOf(v, `the policy says ${outcome}`), outcome, violations: decision.violations },
      decision,
    };
  }

  private faultDecision(mode: Mode, message: string): Decision {
    const failClosed = mode === 'enforce' && this.settings.onError === 'block';
    return { outcome: failClosed ? 'block' : 'allow', violations: [], modifications: [], bundleHash: this.settings.bundleHash(), errors: [{ message }] };
  }

  private emit(event: StreamEvent): void {
    try {
      this.settings.recorder.event(event);
    } catch {
      // Recording is best effort on the hot path; the recorder reports its own failures.
    }
  }

  private record(run: Run, event: StreamEvent, decision: Decision, latencyMs: number, startTime: number, rewritten?: StreamEvent, approval?: ApprovalStatus): void {
    try {
      this.settings.recorder.evaluation({
        event,
        decision,
        runMode: run.mode,
        latencyMs,
        startTime,
        recentReasoning: run.recentReasoning,
        lastMessages: run.lastMessages,
        relatedSpanIds: { llm: run.llmSpanIds, tool: run.toolSpanIds },
        ...(rewritten !== undefined ? { rewrittenEvent: rewritten } : {}),
        ...(approval !== undefined ? { approval } : {}),
      });
    } catch {
      // Recording is best effort on the hot path; the recorder reports its own failures.
    }
  }
}

function safeCommit(engine: GuardEngine, decision: Decision): void {
  try {
    engine.commit(decision);
  } catch {
    // A decision the engine no longer knows has nothing to apply.
  }
}

function safeRollback(engine: GuardEngine, decision: Decision): void {
  try {
    engine.rollback(decision);
  } catch {
    // A decision the engine no longer knows (run ended, bundle swapped) has nothing to give back.
  }
}
