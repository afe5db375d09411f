import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolCallEvent } from '../../src/events/types.js';
import { buildFindings } from '../../src/findings/finding.js';
import type { OtlpExporterOptions } from '../../src/findings/otlp-exporter.js';
import { backoffDelay, OtlpExporter } from '../../src/findings/otlp-exporter.js';
import { SqliteOutbox } from '../../src/findings/outbox.js';
import { mapEventsToSpans } from '../../src/findings/span-mapping.js';
import { otelSpanId } from '../../src/findings/span-record.js';
import { decision, sampleRun, sleep, tempDir, violation } from './helpers.js';
import { freePort, OtlpReceiver, syntheticSpans } from './otlp-receiver.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(options: Partial<OtlpExporterOptions> = {}, receiverUp = true): Promise<{ receiver: OtlpReceiver; exporter: OtlpExporter; outboxPath: string; errors: Error[] }> {
  const dir = tempDir();
  const receiver = new OtlpReceiver(await freePort());
  if (receiverUp) await receiver.up();
  const outboxPath = join(dir.path, 'outbox.db');
  const errors: Error[] = [];
  const exporter = OtlpExporter.open({
    endpoint: receiver.url,
    apiKey: 'secret-key',
    outboxPath,
    exitHooks: false,
    requestTimeoutMs: 1_000,
    retry: { initialMs: 50, maxMs: 200 },
    idlePollMs: 50,
    onError: (e) => errors.push(e),
    ...options,
  });
  cleanups.unshift(async () => {
    await exporter.close({ timeoutMs: 100 });
    await receiver.down();
    dir.cleanup();
  });
  return { receiver, exporter, outboxPath, errors };
}

describe('OtlpExporter delivery', () => {
  it('sends GenAI spans as OTLP JSON with the api key, and empties the outbox', async () => {
    const { receiver, exporter } = await setup({ serviceName: 'support-bot' });
    const events = sampleRun();
    const call = events.find((e): e is ToolCallEvent => e.kind === 'tool.call');
    if (call === undefined) throw new Error('no call');
    const d = decision({ outcome: 'block', violations: [violation({ classification: 'OWASP-LLM06' })] });
    const findings = buildFindings(call, d, { project: 'demo', runMode: 'enforce', now: 0 });
    const spans = mapEventsToSpans(events, [{ event: call, decision: d, findings, runMode: 'enforce', latencyMs: 0.1 }], { project: 'demo' });
    exporter.enqueue(spans);
    expect(await exporter.flush({ timeoutMs: 5_000 })).toEqual({ ok: true });

    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['chat gpt-test', 'execute_tool issue_refund', 'invoke_agent support', 'run_guardrail cascade-runtime']);
    expect(receiver.headers[0]?.['x-api-key']).toBe('secret-key');
    expect(receiver.headers[0]?.['content-type']).toContain('application/json');
    const byName = new Map(receiver.spans.map((s) => [s.name, s]));
    const tool = byName.get('execute_tool issue_refund');
    const guard = byName.get('run_guardrail cascade-runtime');
    expect(tool?.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'issue_refund', 'gen_ai.tool.call.id': 'call-1' });
    expect(byName.get('chat gpt-test')?.kind).toBe(3); // OTLP SPAN_KIND_CLIENT
    expect(guard?.parentSpanId).toBe(tool?.spanId);
    expect(guard?.attributes).toMatchObject({ 'gen_ai.security.verdict.type': 'deny', 'gen_ai.security.risk.category': 'OWASP-LLM06' });
    expect(guard?.events.map((e) => e.name)).toEqual(['gen_ai.security.finding', 'gen_ai.evaluation.result']);
    expect(guard?.resource['service.name']).toBe('support-bot');
    expect(exporter.outboxCounts()).toMatchObject({ pending: 0, leased: 0, delivered: 4 });
    expect(exporter.stats()).toMatchObject({ enqueued: 4, appended: 4, delivered: 4 });
  });

  it('sends the key as a bearer token when the header is authorization', async () => {
    const { receiver, exporter } = await setup({ apiKeyHeader: 'authorization' });
    exporter.enqueue(syntheticSpans(1, 'bearer'));
    expect(await exporter.flush({ timeoutMs: 5_000 })).toEqual({ ok: true });
    expect(receiver.headers[0]?.['authorization']).toBe('Bearer secret-key');
  });

  it('retries through 503s and delivers each span once', async () => {
    const { receiver, exporter } = await setup({ batchSize: 10 });
    let calls = 0;
    receiver.respond = () => (++calls <= 3 ? 503 : 200);
    exporter.enqueue(syntheticSpans(35, 'retry'));
    expect(await exporter.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(receiver.statuses.filter((s) => s === 503).length).toBe(3);
    expect(receiver.accepted.size).toBe(35);
    expect(receiver.duplicates).toBe(0);
  });

  it('never re-sends a span id it already delivered', async () => {
    const { receiver, exporter } = await setup();
    const spans = syntheticSpans(20, 'dedup');
    exporter.enqueue(spans);
    expect(await exporter.flush({ timeoutMs: 5_000 })).toEqual({ ok: true });
    exporter.enqueue(spans);
    exporter.enqueue(spans.slice(0, 5));
    expect(await exporter.flush({ timeoutMs: 5_000 })).toEqual({ ok: true });
    expect(receiver.accepted.size).toBe(20);
    expect(receiver.duplicates).toBe(0);
    expect(exporter.stats()).toMatchObject({ enqueued: 45, appended: 20, delivered: 20 });
  });

  it('splits a refused batch to isolate a poison span, sets it aside, delivers the rest', async () => {
    const { receiver, exporter, errors } = await setup({ batchSize: 16, maxRejectAttempts: 2 });
    const poison = otelSpanId('poison-7');
    receiver.respond = (spans) => (spans.some((s) => s.spanId === poison) ? 400 : 200);
    exporter.enqueue(syntheticSpans(16, 'poison'));
    expect(await exporter.flush({ timeoutMs: 10_000 })).toEqual({ ok: true });
    expect(receiver.accepted.size).toBe(15);
    expect(receiver.accepted.has(poison)).toBe(false);
    expect(exporter.outboxCounts()).toMatchObject({ pending: 0, rejected: 1 });
    expect(errors.some((e) => e.message.includes('set aside'))).toBe(true);
  });
});

describe('OtlpExporter while the endpoint is down', () => {
  it('flush() times out with the pending count and keeps the spans in the outbox', async () => {
    const { exporter, outboxPath, errors } = await setup({}, false);
    exporter.enqueue(syntheticSpans(12, 'down'));
    // wait for the first failed attempt, however slow the machine is
    for (let i = 0; i < 400 && exporter.stats().failedRequests === 0; i++) await sleep(25);
    const result = await exporter.flush({ timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: 'timeout', pending: 12 });
    expect(result.ok ? '' : result.lastError).toMatch(/ECONNREFUSED/);
    expect(errors[0]?.message).toContain('spans stay in the outbox');
    await exporter.close({ timeoutMs: 100 });
    const outbox = SqliteOutbox.open(outboxPath);
    expect(outbox.counts()).toMatchObject({ pending: 12, leased: 0 });
    outbox.close();
  });

  it('reports spans enqueued after close() instead of throwing', async () => {
    const { exporter, errors } = await setup();
    await exporter.close();
    expect(() => exporter.enqueue(syntheticSpans(1, 'late'))).not.toThrow();
    expect(errors.at(-1)?.message).toContain('after close()');
    expect(await exporter.flush()).toMatchObject({ ok: false, reason: 'closed' });
  });
});

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 5_000, multiplier: 2, jitter: 0.5 };
  it('grows exponentially up to the cap', () => {
    const top = (n: number): number => backoffDelay(n, policy, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(top)).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
  });
  it('jitters within [base × (1 − jitter), base]', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, policy);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});
