// A/B of this tree's sandbox host against another revision's, in one process: the same policies,
// contexts of several sizes, calls interleaved in blocks of 25 and timed one by one.
//   mkdir -p /tmp/base && git archive <rev> src package.json | tar -x -C /tmp/base
//   ln -s "$PWD/node_modules" /tmp/base/node_modules
//   node --no-node-snapshot --import tsx bench/sandbox/compare.ts /tmp/base
// Prints markdown; results are recorded by hand in bench/RESULTS-sandbox.md.

import { pathToFileURL } from 'node:url';
import { join, resolve } from 'node:path';
import type { StreamEvent } from '../../src/events/types.js';
import { createSandboxHost, type RunContextForPolicies } from '../../src/sandbox/index.js';
import { contextOfSize, event, POLICY_CTX_SOURCE, POLICY_HISTORY_SOURCE, POLICY_SOURCE } from './workload.js';

const other = process.argv[2];
if (other === undefined) {
  console.error('usage: compare.ts <directory holding the other revision (its src/ and a node_modules link)>');
  process.exit(2);
}
const ROUNDS = process.argv.includes('--quick') ? 40 : 400;
const BLOCK = 25;

const POLICY = POLICY_SOURCE;
const POLICY_CTX = POLICY_CTX_SOURCE;

interface HostLike {
  loadTenantPolicies(tenant: string, sources: { name: string; code: string }[]): { ok: boolean };
  evaluate(tenant: string, policy: string, event: StreamEvent, context: RunContextForPolicies): { status: string };
  dispose(): void;
}

async function main(): Promise<void> {
  const url = pathToFileURL(join(resolve(other!), 'src', 'sandbox', 'index.ts')).href;
  const base = (await import(url)) as { createSandboxHost: (o: object) => HostLike };
  const hosts: Record<'base' | 'this', HostLike> = {
    base: base.createSandboxHost({ timeoutMs: 50, quarantineAfter: 1e9 }),
    this: createSandboxHost({ timeoutMs: 50, quarantineAfter: 1e9 }) as HostLike,
  };
  for (const h of Object.values(hosts)) {
    if (!h.loadTenantPolicies('bench', [{ name: 'refund', code: POLICY }, { name: 'refund-ctx', code: POLICY_CTX }, { name: 'refund-history', code: POLICY_HISTORY_SOURCE }]).ok) throw new Error('load failed');
  }
  console.log(`# sandbox A/B: this tree vs ${other}\n\np50 / mean per call, µs (${ROUNDS} rounds × ${BLOCK} calls per variant, interleaved)\n`);
  console.log('| context | base, context not read | this, context not read | base, policy reads `context.mode` | this, policy reads `context.mode` | base, policy reads all of `context.history` | this, policy reads all of `context.history` |\n|---|---|---|---|---|---|---|');
  let failures = 0;
  for (const size of [0, 400, 1024, 16 * 1024]) {
    const ctx = contextOfSize(size);
    const variants: [string, () => void][] = [];
    for (const policy of ['refund', 'refund-ctx', 'refund-history']) {
      for (const which of ['base', 'this'] as const) {
        variants.push([`${which} ${policy}`, () => {
          if (hosts[which].evaluate('bench', policy, event, ctx).status !== 'ok') failures++;
        }]);
      }
    }
    const samples = new Map<string, number[]>(variants.map(([k]) => [k, []]));
    for (const [, fn] of variants) for (let i = 0; i < 2000; i++) fn();
    for (let r = 0; r < (size > 4096 ? ROUNDS / 4 : ROUNDS); r++) {
      for (const [k, fn] of variants) {
        const s = samples.get(k)!;
        for (let i = 0; i < BLOCK; i++) {
          const t = process.hrtime.bigint();
          fn();
          s.push(Number(process.hrtime.bigint() - t));
        }
      }
    }
    const cell = (k: string): string => {
      const s = samples.get(k)!.sort((a, b) => a - b);
      const mean = s.reduce((a, b) => a + b, 0) / s.length;
      return `${(s[s.length >> 1]! / 1000).toFixed(2)} / ${(mean / 1000).toFixed(2)}`;
    };
    const label = size === 0 ? '0 B' : size < 1024 ? `${size} B` : `${size / 1024} KB`;
    console.log(`| ${label} | ${cell('base refund')} | ${cell('this refund')} | ${cell('base refund-ctx')} | ${cell('this refund-ctx')} | ${cell('base refund-history')} | ${cell('this refund-history')} |`);
  }
  if (failures > 0) console.log(`\nfailed evaluations (timeouts under load): ${failures}`);
  for (const h of Object.values(hosts)) h.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
