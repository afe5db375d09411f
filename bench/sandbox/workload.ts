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
