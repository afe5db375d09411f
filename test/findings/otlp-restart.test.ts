// Restart durability with real processes: spans written to the outbox by one process while the
// endpoint is down are delivered by the next process that opens the same outbox.
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteOutbox } from '../../src/findings/outbox.js';
import { otelSpanId } from '../../src/findings/span-record.js';
import { tempDir } from './helpers.js';
import { freePort, OtlpReceiver } from './otlp-receiver.js';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./fixtures/exporter-child.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function node(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, ...args], { timeout: 60_000 });
  return stdout.trim();
}

function outboxCounts(path: string): ReturnType<SqliteOutbox['counts']> {
  const outbox = SqliteOutbox.open(path);
  try {
    return outbox.counts();
  } finally {
    outbox.close();
  }
}

describe('outbox across process restarts', () => {
  it('delivers on the next start what a process left behind when it exited during an outage', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const outbox = join(dir.path, 'export-outbox.db');
    const receiver = new OtlpReceiver(await freePort());
    cleanups.unshift(() => receiver.down());

    const produced = JSON.parse(await node(['produce-exit', outbox, receiver.url, '500', 'restart'])) as { enqueued: number; failedRequests: number };
    expect(produced.enqueued).toBe(500);
    expect(produced.failedRequests).toBeGreaterThan(0);
    // the last 250 were still in memory at process.exit: the exit hook wrote them; no lease is left
    expect(outboxCounts(outbox)).toMatchObject({ pending: 500, leased: 0, delivered: 0 });

    await receiver.up();
    const delivered = JSON.parse(await node(['deliver', outbox, receiver.url])) as { result: unknown; stats: { delivered: number } };
    expect(delivered.result).toEqual({ ok: true });
    expect(delivered.stats.delivered).toBe(500);
    expect(receiver.accepted.size).toBe(500);
    expect(receiver.duplicates).toBe(0);
    for (let i = 0; i < 500; i++) expect(receiver.accepted.get(otelSpanId(`restart-${i}`))).toBe(1);
    expect(receiver.headers.every((h) => h['x-api-key'] === 'restart-key')).toBe(true);
    expect(outboxCounts(outbox)).toMatchObject({ pending: 0, leased: 0, delivered: 500 });
  });

  it('recovers a batch leased by a process that was killed mid-send, once the lease expires', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const outbox = join(dir.path, 'export-outbox.db');
    // An endpoint that accepts connections and never answers: the batch stays in flight.
    const sockets = new Set<Socket>();
    const blackHole = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
    cleanups.unshift(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          blackHole.close(() => r());
        }),
    );
    const port = (blackHole.address() as AddressInfo).port;

    const producer = spawn(process.execPath, ['--import', 'tsx', child, 'produce-hang', outbox, `http://127.0.0.1:${port}`, '300', 'killed', '3000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      producer.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      producer.once('exit', (code) => reject(new Error(`producer exited early (${code})`)));
    });
    producer.kill('SIGKILL');
    await new Promise((r) => producer.once('exit', r));
    const left = outboxCounts(outbox);
    expect(left.pending + left.leased).toBe(300);
    expect(left.leased).toBeGreaterThan(0);

    const receiver = new OtlpReceiver(await freePort());
    await receiver.up();
    cleanups.unshift(() => receiver.down());
    const delivered = JSON.parse(await node(['deliver', outbox, receiver.url])) as { result: unknown };
    expect(delivered.result).toEqual({ ok: true });
    expect(receiver.accepted.size).toBe(300);
    expect(receiver.duplicates).toBe(0);
  });
});
