// Shared builders for the findings tests: decisions, violations, events and temp folders.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision, Violation } from '../../src/engine/decision.js';
import type { StreamEvent, ToolCallEvent } from '../../src/events/types.js';

export function violation(partial: Partial<Violation> = {}): Violation {
  return {
    policy: 'refund-limit',
    policyVersion: 'v-1234',
    policyType: 'rule',
    severity: 'high',
    classification: 'financial',
    action: 'block',
    effectiveMode: 'enforce',
    shadow: false,
    message: 'refund of 900 exceeds the 500 limit',
    evidence: [{ field: 'args.amount' }],
    ...partial,
  };
}

export function decision(partial: Partial<Decision> = {}): Decision {
  return { outcome: 'allow', violations: [], modifications: [], bundleHash: 'bundle-abc', errors: [], ...partial };
}

export function toolCall(partial: Partial<ToolCallEvent> = {}): ToolCallEvent {
  return {
    kind: 'tool.call',
    runId: 'run-1',
    spanId: 'span-tool-1',
    parentSpanId: 'span-run-1',
    agentId: 'support-agent',
    time: 1_700_000_000_000,
    tool: 'issue_refund',
    callId: 'call-1',
    args: { amount: 900, orderId: 'A-17' },
    ...partial,
  };
}

/** A small complete run: request → response with a tool call → tool call → result → answer. */
export function sampleRun(runId = 'run-1', t0 = 1_700_000_000_000): StreamEvent[] {
  return [
    { kind: 'run.start', runId, spanId: `${runId}-root`, agentId: 'support-agent', name: 'support', time: t0, input: 'refund my order', metadata: { enforcement_mode: 'enforce' } },
    { kind: 'llm.request', runId, spanId: `${runId}-llm-1`, parentSpanId: `${runId}-root`, agentId: 'support-agent', time: t0 + 10, model: 'gpt-test', messages: [{ role: 'user', content: 'refund my order' }] },
    {
      kind: 'llm.response',
      runId,
      spanId: `${runId}-llm-1`,
      parentSpanId: `${runId}-root`,
      agentId: 'support-agent',
      time: t0 + 200,
      model: 'gpt-test-2025',
      content: '',
      toolCalls: [{ callId: 'call-1', tool: 'issue_refund', args: { amount: 900 } }],
      usage: { inputTokens: 12, outputTokens: 7 },
    },
    { kind: 'tool.call', runId, spanId: `${runId}-tool-1`, parentSpanId: `${runId}-root`, agentId: 'support-agent', time: t0 + 210, tool: 'issue_refund', callId: 'call-1', args: { amount: 900 } },
    { kind: 'tool.result', runId, spanId: `${runId}-tool-1`, parentSpanId: `${runId}-root`, agentId: 'support-agent', time: t0 + 260, tool: 'issue_refund', callId: 'call-1', result: { ok: true }, durationMs: 50 },
    { kind: 'agent.response', runId, agentId: 'support-agent', time: t0 + 300, content: 'done' },
    { kind: 'run.end', runId, agentId: 'support-agent', time: t0 + 310, status: 'ok' },
  ];
}

export function tempDir(prefix = 'cascade-findings-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
