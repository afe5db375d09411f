// Shared test setup: a real policy set compiled by the real compiler, a fresh SQLite store per
// test in a temp folder, and reading back what was recorded.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteFindingStore } from '../../src/findings/sqlite-store.js';
import type { Finding } from '../../src/findings/finding.js';
import type { SpanRecord } from '../../src/findings/span-record.js';
import { flush, initTracing, type CascadeTracing, type InitTracingOptions } from '../../src/sdk/index.js';

export function tempStorePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'cascade-sdk-')), 'cascade.db');
}

export function init(options: Partial<InitTracingOptions> = {}): CascadeTracing & { storePath: string } {
  const store = tempStorePath();
  const tracing = initTracing({ project: 'test', store, ...options });
  return Object.assign(tracing, { storePath: store });
}

/** Everything recorded so far, read back from the SQLite file. */
export async function recorded(path: string): Promise<{ findings: Finding[]; spans: SpanRecord[]; runs: ReturnType<SqliteFindingStore['listRuns']>['items'] }> {
  await flush();
  const store = SqliteFindingStore.open({ path, exitHooks: false });
  try {
    const findings = store.listFindings({ limit: 1000, order: 'asc' }).items;
    const runs = store.listRuns({ limit: 1000 }).items;
    const spans = runs.flatMap((r) => store.listSpans(r.runId, { limit: 1000 }).items);
    return { findings, spans, runs };
  } finally {
    store.close();
  }
}

/** Findings that are not audited allows. */
export function violations(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.outcome !== 'allowed');
}

export const REFUND_POLICIES = `
name: refund-limit
type: rule
description: refunds above 500 are not allowed without a human
severity: high
classification: financial
on: tool.call
when:
  all:
    - tool: { eq: issue_refund }
    - args.amount: { gt: 500 }
action: block
message: "refund of {{args.amount}} exceeds the 500 limit"
---
name: refund-count
type: sequence
severity: medium
on: tool.call
when: { tool: issue_refund }
count: { where: { tool: issue_refund }, max: 3 }
action: block
message: at most 3 refunds per run
---
name: refund-budget
type: sequence
severity: high
on: tool.call
when: { tool: issue_refund }
sum: { field: args.amount, where: { tool: issue_refund }, max: 1000 }
action: block
message: refunds in one run may not exceed 1000
---
name: redact-api-keys
type: rule
severity: high
classification: OWASP-LLM02
on: tool.result
when: { result.note: { pattern: 'sk_live_[0-9A-Za-z]{16,}' } }
action: modify
modify:
  redact: [{ field: result, pattern: 'sk_live_[0-9A-Za-z]{16,}' }]
  replacement: '[REDACTED]'
`;

export function sources(text: string): Array<{ file: string; text: string }> {
  return [{ file: 'policies.yaml', text }];
}
