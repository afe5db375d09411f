// Runs one attack in this (fresh) process and prints a JSON report as the last stdout line.
// usage: node --no-node-snapshot --import tsx test/security/driver.ts <attack-file> <inline|child>

import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createSandboxHost, type SandboxHost, type SandboxIncident, type SandboxVerdict } from '../../src/sandbox/index.js';
import type { Attack } from './attack.js';

const VICTIM = `
const secret = 'victim-secret-7d1f';
export function evaluate(event) {
  if (event.kind === 'tool.call' && event.args.amount > 500) {
    return { violation: true, message: 'refund of ' + event.args.amount + ' exceeds the limit', severity: 'high' };
  }
  return { violation: secret.length === 0 };
}`;

const refund = (amount: number, note = 'victim-data') => ({
  kind: 'tool.call' as const,
  runId: 'run-1',
  tool: 'issue_refund',
  callId: 'c1',
  args: { amount, note },
  time: 1_700_000_000_000,
});

async function main(): Promise<void> {
  const [file, mode] = process.argv.slice(2) as [string, 'inline' | 'child'];
  const attack = ((await import(pathToFileURL(file).href)) as { default: Attack }).default;
  const incidents: SandboxIncident[] = [];
  const host: SandboxHost = createSandboxHost({
    timeoutMs: 100,
    quarantineAfter: 100,
    ...attack.host,
    process: mode,
    onIncident: (i) => incidents.push(i),
  });
  if (host.process === 'child') await host.ready();

  const protoKeysBefore = Reflect.ownKeys(Object.prototype).length;
  const victimLoad = await host.loadTenantPoliciesAsync('victim', [{ name: 'refund', code: VICTIM }]);
  const load = await host.loadTenantPoliciesAsync('attacker', [{ name: 'attack', code: attack.code }]);

  const event = attack.event ?? refund(900, 'attacker-data');
  const context = attack.context ?? { runId: 'run-1', mode: 'enforce' as const, metadata: { tenant: 'attacker' } };
  const eventSnapshot = structuredClone(event);
  const contextSnapshot = structuredClone(context);

  let verdict: SandboxVerdict | undefined;
  const started = performance.now();
  if (load.ok) {
    verdict =
      host.process === 'inline'
        ? host.evaluate('attacker', 'attack', event, context)
        : await host.evaluateAsync('attacker', 'attack', event, context);
  }
  const elapsedMs = performance.now() - started;

  // the host process: responsive, its data untouched, its prototypes clean
  const lagStart = performance.now();
  await new Promise((r) => setImmediate(r));
  const eventLoopLagMs = performance.now() - lagStart;
  if (host.process === 'child') await host.ready();
  const victim =
    host.process === 'inline'
      ? host.evaluate('victim', 'refund', refund(900), context)
      : await host.evaluateAsync('victim', 'refund', refund(900), context);
  const victimPass =
    host.process === 'inline'
      ? host.evaluate('victim', 'refund', refund(10), context)
      : await host.evaluateAsync('victim', 'refund', refund(10), context);

  const report = {
    mode,
    victimLoad,
    load: load.ok ? { ok: true } : { ok: false, codes: load.diagnostics.map((d) => d.code), messages: load.diagnostics.map((d) => d.message) },
    verdict:
      verdict === undefined
        ? null
        : verdict.status === 'error'
          ? { status: 'error', code: verdict.error.code, message: verdict.error.message, onError: verdict.onError }
          : verdict.violation
            ? { status: 'ok', violation: true, message: verdict.message }
            : { status: 'ok', violation: false },
    incidents: incidents.map((i) => ({ type: i.type, code: i.type === 'fault' ? i.error.code : undefined, tenantId: 'tenantId' in i ? i.tenantId : undefined })),
    victim: victim.status === 'ok' && victim.violation ? victim.message : victim,
    victimPass: victimPass.status === 'ok' ? victimPass.violation : victimPass,
    elapsedMs,
    eventLoopLagMs,
    hostDataIntact: isDeepStrictEqual(event, eventSnapshot) && isDeepStrictEqual(context, contextSnapshot),
    prototypesClean:
      Reflect.ownKeys(Object.prototype).length === protoKeysBefore &&
      ({} as Record<string, unknown>)['polluted'] === undefined &&
      ([] as unknown as Record<string, unknown>)['polluted'] === undefined,
    leakedVictimSecret: JSON.stringify(verdict ?? '').includes('victim-secret') || JSON.stringify(verdict ?? '').includes('victim-data'),
    restarts: host.process === 'child' ? host.restarts : 0,
  };
  await host.dispose();
  process.stdout.write(`\n${JSON.stringify(report)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`driver failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(3);
  },
);
