import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadBetterSqlite3 } from '../../src/native/better-sqlite3.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings/finding.js';
import { buildFindings } from '../../src/findings/finding.js';
import { mapEventsToSpans } from '../../src/findings/span-mapping.js';
import type { SpanRecord } from '../../src/findings/span-record.js';
import { otelSpanId } from '../../src/findings/span-record.js';
import { DEFAULT_STORE_PATH, SqliteFindingStore } from '../../src/findings/sqlite-store.js';
import { decision, sampleRun, sleep, tempDir, toolCall, violation } from './helpers.js';

type Raw = { prepare(sql: string): { get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] }; pragma(s: string, o?: { simple: boolean }): unknown; close(): void };
// the build the store itself uses (better-sqlite3 12.x aborts on Node 24 when statements are collected)
const Database = loadBetterSqlite3() as new (path: string, options?: { readonly?: boolean }) => Raw;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dbPath(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return join(dir.path, 'nested', 'cascade.db');
}

function open(path: string, options: Parameters<typeof SqliteFindingStore.open>[0] = {}): SqliteFindingStore {
  const store = SqliteFindingStore.open({ path, exitHooks: false, ...options });
  cleanups.unshift(() => store.close());
  return store;
}

function countRows(path: string, table: string): number {
  const raw = new Database(path, { readonly: true });
  try {
    return (raw.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    raw.close();
  }
}

function makeFindings(n: number, partial: Parameters<typeof violation>[0] = {}, runId = 'run-1'): Finding[] {
  return Array.from({ length: n }, (_, i) =>
    buildFindings(toolCall({ runId, callId: `c-${i}`, time: 1_700_000_000_000 + i }), decision({ outcome: 'block', violations: [violation(partial)] }), {
      project: 'demo',
      runMode: 'enforce',
      now: 0,
    }),
  ).flat();
}

describe('SqliteFindingStore files and modes', () => {
  it('defaults to .cascade/cascade.db under the working directory, in WAL mode', () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const before = process.cwd();
    process.chdir(dir.path);
    try {
      const store = SqliteFindingStore.open({ exitHooks: false });
      store.close();
    } finally {
      process.chdir(before);
    }
    expect(DEFAULT_STORE_PATH).toBe(join('.cascade', 'cascade.db'));
    const file = join(dir.path, '.cascade', 'cascade.db');
    expect(existsSync(file)).toBe(true);
    const raw = new Database(file);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });
});

describe('SqliteFindingStore batching', () => {
  it('queues writes off the caller and writes them on a short timer', async () => {
    const path = dbPath();
    const store = open(path, { flushIntervalMs: 30 });
    store.recordFindings(makeFindings(10));
    expect(store.pendingWrites).toBe(10);
    expect(countRows(path, 'findings')).toBe(0);
    await sleep(120);
    expect(store.pendingWrites).toBe(0);
    expect(countRows(path, 'findings')).toBe(10);
  });

  it('writes a full batch on the next tick, without waiting for the timer', async () => {
    const path = dbPath();
    const store = open(path, { flushIntervalMs: 60_000, batchSize: 100 });
    store.recordFindings(makeFindings(99));
    await new Promise((r) => setImmediate(r));
    expect(countRows(path, 'findings')).toBe(0);
    store.recordFindings(makeFindings(1, {}, 'run-2'));
    expect(countRows(path, 'findings')).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(countRows(path, 'findings')).toBe(100);
  });

  it('writes synchronously once the queue reaches maxQueued (back-pressure, nothing dropped)', () => {
    const path = dbPath();
    const store = open(path, { flushIntervalMs: 60_000, batchSize: 10, maxQueued: 25 });
    store.recordFindings(makeFindings(25));
    expect(countRows(path, 'findings')).toBe(25);
  });

  it('flush() and close() write synchronously', () => {
    const path = dbPath();
    const store = open(path, { flushIntervalMs: 60_000 });
    store.recordFindings(makeFindings(3));
    store.flush();
    expect(countRows(path, 'findings')).toBe(3);
    store.recordFindings(makeFindings(2, {}, 'run-2'));
    store.close();
    expect(countRows(path, 'findings')).toBe(5);
  });

  for (const how of ['drain', 'exit'] as const) {
    it(`loses nothing when the process ends without close() (${how === 'drain' ? 'event loop runs dry' : 'process.exit'})`, () => {
      const path = dbPath();
      const child = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));
      const out = execFileSync(process.execPath, ['--import', 'tsx', child, path, how, '500'], { encoding: 'utf8', timeout: 30_000 });
      expect(JSON.parse(out.trim())).toEqual({ queued: 1_001 });
      expect(countRows(path, 'findings')).toBe(500);
      expect(countRows(path, 'spans')).toBe(500);
      expect(countRows(path, 'runs')).toBe(1);
    });
  }

  it('control: without the exit hooks the same child loses its queued records', () => {
    const path = dbPath();
    const child = fileURLToPath(new URL('./fixtures/store-child.ts', import.meta.url));
    execFileSync(process.execPath, ['--import', 'tsx', child, path, 'nohook', '50'], { encoding: 'utf8', timeout: 30_000 });
    expect(countRows(path, 'findings')).toBe(0);
  });
});

describe('SqliteFindingStore queries', () => {
  function seeded(): { store: SqliteFindingStore; spans: SpanRecord[]; findings: Finding[] } {
    const store = open(dbPath());
    const events = sampleRun('run-a');
    const call = events.find((e) => e.kind === 'tool.call');
    if (call === undefined) throw new Error('no tool call');
    const d = decision({ outcome: 'block', violations: [violation(), violation({ policy: 'audit-log', severity: 'low', action: 'allow' })] });
    const findings = buildFindings(call, d, { project: 'demo', runMode: 'enforce', now: 0, relatedSpanIds: { llm: ['run-a-llm-1'] } });
    const spans = mapEventsToSpans(events, [{ event: call, decision: d, findings, runMode: 'enforce', latencyMs: 0.5 }], { project: 'demo' });
    store.recordRunStart({ runId: 'run-a', project: 'demo', name: 'support', agentId: 'support-agent', mode: 'enforce', startedAt: 1_700_000_000_000, metadata: { user: 'u1' } });
    store.recordSpans(spans);
    store.recordFindings(findings);
    store.recordRunEnd({ runId: 'run-a', endedAt: 1_700_000_000_310, status: 'ok' });
    store.recordRunStart({ runId: 'run-b', project: 'other', startedAt: 1_700_000_100_000 });
    store.recordFindings(makeFindings(7, { severity: 'medium', policy: 'pii', action: 'modify' }, 'run-b'));
    store.flush();
    return { store, spans, findings };
  }

  it('lists runs newest first with finding counts, interventions and worst severity', () => {
    const { store } = seeded();
    const page = store.listRuns();
    expect(page.total).toBe(2);
    expect(page.items.map((r) => r.runId)).toEqual(['run-b', 'run-a']);
    const a = store.getRun('run-a');
    expect(a).toMatchObject({
      project: 'demo',
      name: 'support',
      agentId: 'support-agent',
      mode: 'enforce',
      status: 'ok',
      endedAt: 1_700_000_000_310,
      findingCount: 2,
      interventionCount: 1,
      maxSeverity: 'high',
      spanCount: 4,
      metadata: { user: 'u1' },
    });
    expect(store.listRuns({ project: 'other' }).items.map((r) => r.runId)).toEqual(['run-b']);
    expect(store.listRuns({ limit: 1 })).toMatchObject({ total: 2, nextOffset: 1 });
  });

  it('filters findings by run, severity, outcome and policy, with paging', () => {
    const { store } = seeded();
    expect(store.listFindings({ runId: 'run-a' }).total).toBe(2);
    expect(store.listFindings({ severity: 'medium' }).total).toBe(7);
    expect(store.listFindings({ minSeverity: 'medium' }).total).toBe(8);
    expect(store.listFindings({ severity: ['low', 'high'] }).total).toBe(2);
    expect(store.listFindings({ outcome: 'modified' }).total).toBe(7);
    expect(store.listFindings({ outcome: ['blocked', 'flagged'] }).total).toBe(2);
    expect(store.listFindings({ policy: 'audit-log' }).items[0]).toMatchObject({ outcome: 'flagged', severity: 'low' });
    const first = store.listFindings({ runId: 'run-b', limit: 3 });
    const second = store.listFindings({ runId: 'run-b', limit: 3, offset: first.nextOffset ?? 0 });
    const third = store.listFindings({ runId: 'run-b', limit: 3, offset: second.nextOffset ?? 0 });
    expect([first.items.length, second.items.length, third.items.length]).toEqual([3, 3, 1]);
    expect(third.nextOffset).toBeNull();
    const ids = [...first.items, ...second.items, ...third.items].map((f) => f.id);
    expect(new Set(ids).size).toBe(7);
    expect(store.countFindings()).toEqual({
      total: 9,
      bySeverity: { high: 1, low: 1, medium: 7 },
      byOutcome: { blocked: 1, flagged: 1, modified: 7 },
    });
  });

  it('returns the spans around a finding: its span, ancestors, related LLM span, guardrail span, neighbours', () => {
    const { store, findings } = seeded();
    const f = findings[0] as Finding;
    expect(store.getFinding(f.id)).toEqual(store.listFindings({ policy: 'refund-limit' }).items[0]);
    const around = store.spansAroundFinding(f.id, { windowMs: 1_000 });
    expect(around?.span).toMatchObject({ operation: 'execute_tool', spanId: otelSpanId('run-a-tool-1') });
    expect(around?.ancestors.map((s) => s.operation)).toEqual(['invoke_agent']);
    expect(around?.related.map((s) => s.operation).sort()).toEqual(['chat', 'execute_tool']);
    expect(around?.guardrail).toHaveLength(1);
    expect(around?.guardrail[0]?.parentSpanId).toBe(otelSpanId('run-a-tool-1'));
    expect(around?.nearby.length).toBe(4);
    expect(store.spansAroundFinding('nope')).toBeUndefined();
    const spans = store.listSpans('run-a');
    expect(spans.total).toBe(4);
    expect(spans.items.slice(0, 2).map((s) => s.operation)).toEqual(['invoke_agent', 'chat']);
  });

  it('creates a run row for spans and findings of a run it never saw start', () => {
    const store = open(dbPath());
    store.recordFindings(makeFindings(1, {}, 'orphan-run'));
    store.flush();
    expect(store.getRun('orphan-run')).toMatchObject({ status: 'running', findingCount: 1, project: 'demo' });
  });
});

describe('SqliteFindingStore bad input', () => {
  it('stores huge strings, odd Unicode and deep nesting bounded, with truncation markers', () => {
    const path = dbPath();
    const errors: Error[] = [];
    const store = open(path, { onError: (e) => errors.push(e) });
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    const huge = 'A'.repeat(2_000_000);
    const [base] = makeFindings(1);
    const finding = { ...(base as Finding), message: huge + '\uD800', classification: 'emoji 🧪 and lone \uDC00 surrogate' };
    store.recordFinding(finding);
    store.recordSpan({
      traceId: 'not-hex',
      spanId: 'also not hex',
      runId: 'run-1',
      operation: 'execute_tool',
      name: 'n'.repeat(10_000),
      kind: 'internal',
      startTime: Number.NaN,
      endTime: Number.POSITIVE_INFINITY,
      status: { code: 'error', message: huge },
      attributes: {
        big: huge,
        deep: deep as never,
        cyclic: cyclic as never,
        list: Array.from({ length: 100_000 }, (_, i) => `item-${i}`),
        nan: Number.NaN,
        odd: 'zero\u0000width\u200bjoiner\uD83D',
      },
      events: Array.from({ length: 1_000 }, (_, i) => ({ name: `e${i}`, time: i, attributes: { v: huge } })),
    });
    store.recordRunStart({ runId: 'run-1', startedAt: 1, metadata: { cyclic: cyclic as never, huge } });
    expect(() => store.flush()).not.toThrow();
    expect(errors).toEqual([]);

    const stored = store.getFinding(finding.id) as Finding;
    expect(stored.message.length).toBeLessThanOrEqual(8_192);
    expect(stored.message).toContain('…[truncated');
    expect(stored.classification).toBe('emoji 🧪 and lone \uFFFD surrogate');
    const [span] = store.listSpans('run-1').items;
    expect(span?.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span?.name.length).toBeLessThanOrEqual(256);
    expect(span?.attributes['cascade.truncated']).toBe(true);
    expect(String(span?.attributes['big']).length).toBeLessThanOrEqual(8_192);
    expect(String(span?.attributes['deep'])).toContain('…[truncated');
    expect(String(span?.attributes['cyclic'])).toContain('[circular]');
    expect((span?.attributes['list'] as string[]).length).toBe(128);
    expect(span?.attributes['odd']).toBe('zero\u0000width\u200bjoiner\uFFFD');
    expect(span?.events.length).toBe(128);
    expect(Number.isFinite(span?.startTime)).toBe(true);
    const raw = new Database(path, { readonly: true });
    const meta = raw.prepare('SELECT length(metadata) AS n FROM runs').get() as { n: number };
    raw.close();
    expect(meta.n).toBeLessThan(70_000);
  });

  it('reports a record it cannot store and keeps storing the others', () => {
    const path = dbPath();
    const errors: Error[] = [];
    const store = open(path, { onError: (e) => errors.push(e) });
    const good = makeFindings(3);
    store.recordFinding(good[0] as Finding);
    store.recordFinding({ ...(good[1] as Finding), id: '' });
    store.recordFinding(good[2] as Finding);
    store.flush();
    expect(countRows(path, 'findings')).toBe(2);
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors.at(-1)?.message)).toContain('could not store a finding record');
  });

  it('reports records that arrive after close() instead of throwing', () => {
    const errors: Error[] = [];
    const store = SqliteFindingStore.open({ path: dbPath(), exitHooks: false, onError: (e) => errors.push(e) });
    store.close();
    expect(() => store.recordFinding(makeFindings(1)[0] as Finding)).not.toThrow();
    expect(errors[0]?.message).toContain('after close()');
    store.close();
  });
});
