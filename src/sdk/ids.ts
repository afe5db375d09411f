// Identifiers: runs are UUIDs whose hex doubles as the OpenTelemetry trace id, spans are 16 hex
// digits, so a run, its trace and its spans line up in every backend without a mapping table.

import { randomBytes, randomUUID } from 'node:crypto';

export function newRunId(): string {
  return randomUUID();
}

export function traceIdOf(runId: string): string {
  const hex = runId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? hex : randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  let id = randomBytes(8).toString('hex');
  while (id === '0000000000000000') id = randomBytes(8).toString('hex');
  return id;
}

export function newCallId(): string {
  return `call_cascade_${randomBytes(9).toString('base64url')}`;
}
