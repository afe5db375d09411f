// Capture of what the agent thinks and what it answers: reasoning steps (recorded, and able to
// halt the run) and the final response the user would receive (checked, and replaced or refused
// when a policy prevents it).

import type { AgentResponseEvent, ReasoningEvent } from '../events/types.js';
import { PolicyViolationError } from './errors.js';
import { stamp } from './gate.js';
import { currentRunState, type Run } from './run-context.js';
import { newSpanId } from './ids.js';
import { activeTracer, type Tracer } from './tracer.js';

function scope(): { tracer: Tracer; run: Run } | undefined {
  const tracer = activeTracer();
  if (!tracer) return undefined;
  return { tracer, run: currentRunState() ?? tracer.defaultRun() };
}

/**
 * Records a reasoning step of the current run. Reasoning has already happened, so the only
 * intervention is a halt: then this throws `RunHaltedError` and the run stops.
 */
export function captureReasoning(text: string): void {
  const s = scope();
  if (!s) return;
  const { tracer, run } = s;
  run.assertActive();
  run.rememberReasoning(text);
  const event: ReasoningEvent = stamp(run, { kind: 'reasoning', runId: run.runId, text }, newSpanId(), run.spanId);
  tracer.gate.check(run, event);
}

export interface RecordResponseOptions {
  /** `replace` (default from initTracing) returns the safe message; `throw` raises `PolicyViolationError` */
  onPrevented?: 'replace' | 'throw';
  /** the text that replaces a prevented response */
  safeResponse?: string;
}

/**
 * Checks the final response of the current run before the user sees it, and returns what the user
 * should see: the response, a rewritten (redacted) response, or the safe message.
 */
export async function recordResponse(content: string, options: RecordResponseOptions = {}): Promise<string> {
  const s = scope();
  if (!s) return content;
  const { tracer, run } = s;
  run.assertActive();
  const event: AgentResponseEvent = stamp(run, { kind: 'agent.response', runId: run.runId, content }, newSpanId(), run.spanId);
  let verdict = tracer.gate.check(run, event);
  if (verdict.behavior === 'approval') verdict = (await tracer.gate.approve(run, verdict, { kind: 'agent.response', args: content })).verdict;
  if (verdict.behavior === 'allow') return verdict.modified ? (verdict.event as AgentResponseEvent).content : content;
  if ((options.onPrevented ?? tracer.settings.onResponsePrevented) === 'throw') {
    throw new PolicyViolationError({
      message: `response prevented by policy ${verdict.denial.policy}: ${verdict.denial.reason}`,
      policy: verdict.denial.policy,
      outcome: verdict.denial.outcome,
      point: 'agent.response',
      violations: verdict.denial.violations,
      runId: run.engineRunId,
    });
  }
  return options.safeResponse ?? tracer.settings.safeResponse;
}
