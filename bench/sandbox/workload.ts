// The sandbox benchmarks' shared workload: one refund-limit policy (as tenant module text and as
// its plain-JS body), the same check gated on the context, one tool-call event, and run contexts
// grown to a given size with a reasoning history.

import type { StreamEvent } from '../../src/events/types.js';
import type { RunContextForPolicies } from '../../src/sandbox/index.js';

export const POLICY_BODY = `
  if (event.kind === 'tool.call' && event.tool === 'issue_refund' && event.args.amount > 500) {
    return { violation: true, message: 'refund over limit', severity: 'high' };
  }
  return { violation: false };`;
export const POLICY_SOURCE = `export function evaluate(event, context) {${POLICY_BODY}\n}`;
/** the same check, gated on the context: the policy touches the context, so the isolate decodes it */
export const POLICY_CTX_SOURCE = POLICY_SOURCE.replace("event.kind === 'tool.call'", "context.mode === 'enforce'");

/** the same check, gated on how often the run's history mentions a refund: it reads every entry */
export const POLICY_HISTORY_SOURCE = POLICY_SOURCE.replace(
  "event.kind === 'tool.call'",
  "(context.history || []).filter((h) => h.kind === 'reasoning' && h.text.includes('refund')).length < 3",
);
/** the same check, gated on the order's line items: it reads every item of a large argument */
export const POLICY_ITEMS_SOURCE = POLICY_SOURCE.replace("event.kind === 'tool.call'", "event.args.items.every((i) => i.qty > 0)");

export const event: StreamEvent = { kind: 'tool.call', runId: 'run-1', spanId: 's1', tool: 'issue_refund', callId: 'c1', args: { amount: 100, orderId: 'A-17' }, time: 1_700_000_000_000 };

/** A run context whose JSON is at least `bytes` long (0: just the run id and mode). */
export function contextOfSize(bytes: number): RunContextForPolicies {
  const ctx: RunContextForPolicies = { runId: 'run-1', mode: 'enforce' };
  if (bytes === 0) return ctx;
  const history: StreamEvent[] = [];
  ctx.metadata = { agent_id: 'support' };
  ctx.history = history;
  while (JSON.stringify(ctx).length < bytes) {
    history.push({ kind: 'reasoning', runId: 'run-1', text: `looking up order A-${history.length} for the customer` });
  }
  return ctx;
}

/**
 * What the engine hands a custom policy: the event itself carries the kilobyte (a refund with
 * line items in its arguments), the run context is small.
 */
export function eventWithArgsOfSize(bytes: number): StreamEvent {
  const items: { sku: string; qty: number; note: string }[] = [];
  const e = { ...event, args: { amount: 100, orderId: 'A-17', items } } as StreamEvent;
  while (JSON.stringify(e).length < bytes) items.push({ sku: `SKU-${items.length}`, qty: 1, note: 'gift wrap please' });
  return e;
}

/** A tool result carrying a page of text, as a fetch or search tool returns it. */
export function toolResultOfSize(bytes: number): StreamEvent {
  const lines: string[] = [];
  while (lines.join('\n').length < bytes) lines.push(`Line ${lines.length}: shipping policy, returns within 30 days, "free" over 50 EUR.`);
  return { kind: 'tool.result', runId: 'run-1', spanId: 's2', tool: 'fetch_page', callId: 'c2', result: lines.join('\n'), time: 1_700_000_000_001 } as StreamEvent;
}
/** Two policies on tool results: one looks at which tool answered, one searches the text. */
export const POLICY_RESULT_TOOL_SOURCE = `export function evaluate(event, context) {
  if (event.kind === 'tool.result' && event.tool === 'read_secrets') return { violation: true, message: 'secret store read', severity: 'high' };
  return { violation: false };
}`;
export const POLICY_RESULT_TEXT_SOURCE = `export function evaluate(event, context) {
  if (event.kind === 'tool.result' && typeof event.result === 'string' && event.result.includes('IGNORE ALL PREVIOUS')) return { violation: true, message: 'injected instruction', severity: 'high' };
  return { violation: false };
}`;
