// Shared events, contexts and policy sources for the sandbox tests.

import type { StreamEvent, ToolCallEvent } from '../../src/events/types.js';
import type { RunContextForPolicies } from '../../src/sandbox/index.js';

export const refundCall = (amount: number): ToolCallEvent => ({
  kind: 'tool.call',
  runId: 'run-1',
  spanId: 'span-1',
  tool: 'issue_refund',
  callId: 'call-1',
  args: { amount, orderId: 'A-17' },
  time: 1_700_000_000_000,
});

export const reasoning = (text: string): StreamEvent => ({ kind: 'reasoning', runId: 'run-1', text });

export const context: RunContextForPolicies = { runId: 'run-1', mode: 'enforce', metadata: { agent_id: 'support' } };

export const REFUND_LIMIT = `
export const on = ['tool.call'];
export function evaluate(event, context) {
  if (event.tool === 'issue_refund' && event.args.amount > 500) {
    return {
      violation: true,
      message: 'refund of ' + event.args.amount + ' exceeds the 500 limit',
      severity: 'high',
      classification: 'financial',
      action: 'require_approval',
      evidence: [{ field: 'args.amount' }],
    };
  }
  return { violation: false };
}
`;

export const ALWAYS_PASS = `export function evaluate() { return { violation: false }; }`;

/** Echoes what the policy saw, so tests can inspect the sandbox from the inside. */
export const ECHO = `export function evaluate(event, context) {
  return { violation: true, message: JSON.stringify({ event, context }) };
}`;

export function policy(code: string): string {
  return `export function evaluate(event, context) {\n${code}\n}`;
}
