// The hostile-code corpus: every file in ./attacks runs in a fresh node process (driver.ts), at
// most two at a time, so that an attack that takes a process down cannot take vitest with it.
// For each: the host survived and answered, the verdict failed closed (or is the documented
// outcome), a fault/diagnostic records why, the victim tenant still evaluates correctly, time is
// bounded, host data and prototypes are untouched.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Attack } from './attack.js';

const here = dirname(fileURLToPath(import.meta.url));
const attacksDir = join(here, 'attacks');
const driver = join(here, 'driver.ts');
const files = readdirSync(attacksDir).filter((f) => f.endsWith('.ts')).sort();
const CONCURRENCY = 2;
const PROCESS_BOUND_MS = 30_000;

let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

interface Run {
  code: number | null;
  signal: string | null;
  report: Record<string, any> | null;
  stderr: string;
  wallMs: number;
}

function runDriver(file: string, mode: string): Promise<Run> {
  return slot(
    () =>
      new Promise<Run>((resolve) => {
        const started = Date.now();
        const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', driver, join(attacksDir, file), mode], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, NODE_OPTIONS: '' },
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
        const timer = setTimeout(() => child.kill('SIGKILL'), PROCESS_BOUND_MS);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          const last = out.trim().split('\n').pop() ?? '';
          let report: Run['report'] = null;
          try {
            report = JSON.parse(last) as Record<string, unknown>;
          } catch {
            report = null;
          }
          resolve({ code, signal, report, stderr: err, wallMs: Date.now() - started });
        });
      }),
  );
}

const attacks = await Promise.all(
  files.map(async (f) => ({ file: f, attack: ((await import(join(attacksDir, f))) as { default: Attack }).default })),
);

describe('hostile-code corpus', () => {
  it('has at least 25 attacks, one per file', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(25);
    for (const { file, attack } of attacks) {
      expect(attack.description.length, file).toBeGreaterThan(10);
      if (!(attack.modes ?? ['inline']).includes('inline')) expect(attack.inlineExcluded, file).toBeTruthy();
    }
  });

  for (const { file, attack } of attacks) {
    for (const mode of attack.modes ?? ['inline']) {
      it.concurrent(`${file} [${mode}]: ${attack.description}`, async () => {
        const run = await runDriver(file, mode);
        // the host process lived and reported
        expect(run.signal, run.stderr).toBeNull();
        expect(run.code, run.stderr).toBe(0);
        const r = run.report!;
        expect(r, run.stderr).not.toBeNull();
        const x = attack.expect;
        if ('load' in x) {
          expect(r['load'].ok).toBe(false);
          expect(x.codes).toEqual(expect.arrayContaining(r['load'].codes));
          expect(r['incidents']).toContainEqual(expect.objectContaining({ type: 'load_failed', tenantId: 'attacker' }));
        } else {
          expect(r['load']).toEqual({ ok: true });
          if (x.verdict === 'error') {
            expect(r['verdict'].status, JSON.stringify(r['verdict'])).toBe('error');
            expect(x.codes, JSON.stringify(r['verdict'])).toContain(r['verdict'].code);
            expect(r['verdict'].onError).toBe('block');
            if (x.message) expect(r['verdict'].message).toMatch(x.message);
            // a finding records why
            expect(r['incidents']).toContainEqual(expect.objectContaining({ type: 'fault', code: r['verdict'].code, tenantId: 'attacker' }));
          } else {
            expect(r['verdict']).toMatchObject({ status: 'ok', violation: true });
            expect(r['verdict'].message).toMatch(x.message);
          }
          expect(r['elapsedMs']).toBeLessThan(attack.boundMs ?? 5000);
        }
        // the other tenant is unaffected
        expect(r['victimLoad']).toEqual({ ok: true });
        expect(r['victim']).toBe('refund of 900 exceeds the limit');
        expect(r['victimPass']).toBe(false);
        expect(r['hostDataIntact']).toBe(true);
        expect(r['prototypesClean']).toBe(true);
        expect(r['leakedVictimSecret']).toBe(false);
        expect(r['eventLoopLagMs']).toBeLessThan(1000);
        expect(run.wallMs).toBeLessThan(PROCESS_BOUND_MS);
      });
    }
  }
});
