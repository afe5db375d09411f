// Stress: the scan kernel runs inside users' agents on every guarded call, so it must survive
// millions of calls with mixed inputs (empty, two-byte, huge, match-dense) without crashing the
// process. Node 20's V8 has aborted in hot JS→Wasm loops; the child runs without the flag that
// avoided it, as an agent's process would. 300,000 scans here, 3,000,000 with CASCADE_DEEP=1.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CALLS = process.env['CASCADE_DEEP'] === '1' ? 3_000_000 : 300_000;

describe('scan kernel stress', () => {
  it(`survives ${CALLS} mixed scans in a process without --no-turbo-inline-js-wasm-calls, agreeing with TypeScript`, () => {
    const child = fileURLToPath(new URL('./scan-stress-child.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, String(CALLS)], { encoding: 'utf8', timeout: 600_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { calls: number; matches: number; mismatches: number };
    expect(out.calls).toBe(CALLS);
    expect(out.mismatches).toBe(0);
    expect(out.matches).toBeGreaterThan(CALLS * 20);
  }, 660_000);
});
