// Identifiers: runs are UUIDs whose hex doubles as the OpenTelemetry trace id, spans are 16 hex
// digits, so a run, its trace and its spans line up in every backend without a mapping table.
// Span and call ids come from a pool of random bytes refilled in bulk: one guarded call takes a
// few of them, and a system call per id would be a measurable share of the SDK's overhead.

import { randomFillSync, randomUUID } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

function randomSlice(bytes: number): Buffer {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + bytes);
  offset += bytes;
  return out;
}

export function newRunId(): string {
  return randomUUID();
}

export function traceIdOf(runId: string): string {
  const hex = runId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? hex : randomSlice(16).toString('hex');
}

export function newSpanId(): string {
  let id = randomSlice(8).toString('hex');
  while (id === '0000000000000000') id = randomSlice(8).toString('hex');
  return id;
}

export function newCallId(): string {
  return `call_cascade_${randomSlice(9).toString('base64url')}`;
}

export function newApprovalId(): string {
  return `apr_${randomSlice(12).toString('hex')}`;
}
