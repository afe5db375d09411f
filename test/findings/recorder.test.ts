import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/events/types.js';
import type { Finding } from '../../src/findings/finding.js';
import { FindingsRecorder } from '../../src/findings/recorder.js';
import type { RecordedEvaluation } from '../../src/findings/recorder.js';
import { SqliteFindingStore } from '../../src/findings/sqlite-store.js';
import { decision, sampleRun, tempDir, violation } from './helpers.js';
import { freePort, OtlpReceiver } from './otlp-receiver.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function evaluationFor(event: StreamEvent, partial: Partial<RecordedEvaluation> = {}): RecordedEvaluation {
  return {
    event,
    decision: decision(),
    runMode: 'enforce',
    latencyMs: 0.2,
    startTime: (event.time ?? 0) + 1,
    recentReasoning: ['the user wants a refund'],
    lastMessages: [{ role: 'user', content: 'refund my order' }],
    relatedSpanIds: { llm: [], tool: [] },
    ...partial,
  };
}

describe('FindingsRecorder', () => {
  it('turns a run into stored runs, spans and findings, and exported spans in the run trace', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const receiver = new OtlpReceiver(await freePort());
    await receiver.up();
    cleanups.unshift(() => receiver.down());
    const seen: Finding[] = [];
    const recorder = FindingsRecorder.open({
      project: 'demo',
      store: { path: join(dir.path, 'cascade.db'), exitHooks: false },
      exporter: { endpoint: receiver.url, apiKey: 'k', outboxPath: join(dir.path, 'outbox.db'), exitHooks: false, idlePollMs: 50 },
      auditAllows: true,
      onFinding: (f) => seen.push(f),
    });
    cleanups.unshift(() => recorder.shutdown());

    const runId = randomUUID();
    const traceId = runId.replace(/-/g, '');
    const events = sampleRun(runId);
    recorder.runStarted({ runId, name: 'support', agentId: 'support-agent', traceId, mode: 'enforce', startedAt: events[0]?.time ?? 0, metadata: {} });
    for (const e of events) {
      recorder.event(e);
      if (e.kind === 'llm.request') recorder.evaluation(evaluationFor(e));
      if (e.kind === 'tool.call') {
        recorder.evaluation(evaluationFor(e, { decision: decision({ outcome: 'block', violations: [violation()] }), relatedSpanIds: { llm: [`${runId}-llm-1`], tool: [] } }));
      }
    }
    recorder.runEnded({ runId, endedAt: 1_700_000_000_310, status: 'ok' });
    // Nothing happened on the caller's stack: all of it is queued.
    expect(recorder.queued).toBe(events.length + 4);
    expect(recorder.store?.pendingWrites).toBe(0);

    expect(await recorder.flushDetailed(10_000)).toEqual({ ok: true });
    const store = recorder.store as SqliteFindingStore;
    expect(store.getRun(runId)).toMatchObject({ project: 'demo', name: 'support', status: 'ok', traceId, findingCount: 2, interventionCount: 1, spanCount: 5 });
    const findings = store.listFindings({ runId, order: 'asc' }).items;
    expect(findings.map((f) => f.outcome)).toEqual(['allowed', 'blocked']);
    expect(findings[1]?.context.recentReasoning).toEqual(['the user wants a refund']);
    expect(seen.map((f) => f.id)).toEqual(findings.map((f) => f.id));
    expect(store.verifyChain()).toMatchObject({ ok: true, count: 2 });
    const around = store.spansAroundFinding(findings[1]?.id ?? '');
    expect(around?.guardrail).toHaveLength(1);
    expect(around?.related.map((s) => s.operation).sort()).toEqual(['chat', 'execute_tool']);

    expect(receiver.accepted.size).toBe(5);
    expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    expect(receiver.spans.filter((s) => s.name.startsWith('run_guardrail')).length).toBe(2);
  });

  it('keeps going after a malformed record and reports it', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const errors: Error[] = [];
    const recorder = FindingsRecorder.open({ project: 'p', store: { path: join(dir.path, 'c.db'), exitHooks: false }, onError: (e) => errors.push(e) });
    cleanups.unshift(() => recorder.shutdown());
    recorder.evaluation({ ...evaluationFor(sampleRun()[3] as StreamEvent), decision: null as never });
    recorder.evaluation(evaluationFor(sampleRun()[3] as StreamEvent, { decision: decision({ outcome: 'block', violations: [violation()] }) }));
    await recorder.flush();
    expect(errors[0]?.message).toContain('could not process a evaluation record');
    expect(recorder.store?.countFindings().total).toBe(1);
  });

  it('stores everything when the process exits in the same tick it was handed over', () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'cascade.db');
    const child = fileURLToPath(new URL('./fixtures/recorder-child.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--import', 'tsx', child, path], { encoding: 'utf8', timeout: 30_000 });
    expect(JSON.parse(out.trim()).queued).toBe(10);
    const store = SqliteFindingStore.open({ path, exitHooks: false });
    try {
      expect(store.getRun('exit-run')).toMatchObject({ status: 'ok', findingCount: 1, spanCount: 4 });
    } finally {
      store.close();
    }
  });
});
