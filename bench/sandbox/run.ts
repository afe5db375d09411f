// Sandbox benchmarks: per-call latency (p50/p99) by context size and marshal format through the
// real host, against the same policy as plain in-process JS; where one call's time goes; several
// policies on one event (encoded once); isolate creation; warm vs cold; batch throughput; the
// child-process round trip.
//   node --no-node-snapshot --import tsx bench/sandbox/run.ts [--quick]
// Prints markdown; results are recorded by hand in bench/RESULTS-sandbox.md.

import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import Benchmark from 'benchmark';
import type { StreamEvent } from '../../src/events/types.js';
import ivm from '../../src/native/isolated-vm.js';
import { createSandboxHost, MARSHAL_FORMATS, type InlineSandboxHost, type MarshalFormat, type RunContextForPolicies } from '../../src/sandbox/index.js';
import {
  contextOfSize,
  event,
  eventWithArgsOfSize,
  POLICY_BODY,
  POLICY_CTX_SOURCE,
  POLICY_HISTORY_SOURCE,
  POLICY_ITEMS_SOURCE,
  POLICY_RESULT_TEXT_SOURCE,
  POLICY_RESULT_TOOL_SOURCE,
  POLICY_SOURCE,
  toolResultOfSize,
} from './workload.js';

const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 40 : 400;
const BLOCK = 25;

// the same policy as ordinary in-process JS, the baseline
const inProcess = new Function('event', 'context', POLICY_BODY) as (e: StreamEvent, c: RunContextForPolicies) => { violation: boolean };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
const us = (ns: number): string => (ns / 1000).toFixed(2);

/** Interleaved timing: every round runs a block of each variant, so drift hits all alike. */
function timeInterleaved(variants: Record<string, () => unknown>, rounds = ROUNDS): Record<string, { p50: number; p99: number; n: number }> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) for (let i = 0; i < 200; i++) fn(); // warm up
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const s = samples[name]!;
      for (let i = 0; i < BLOCK; i++) {
        const t = process.hrtime.bigint();
        fn();
        s.push(Number(process.hrtime.bigint() - t));
      }
    }
  }
  const out: Record<string, { p50: number; p99: number; n: number }> = {};
  for (const [name, s] of Object.entries(samples)) {
    s.sort((a, b) => a - b);
    out[name] = { p50: percentile(s, 0.5), p99: percentile(s, 0.99), n: s.length };
  }
  return out;
}

function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = execSync("grep -m1 'model name' /proc/cpuinfo", { encoding: 'utf8' }).split(':')[1]!.trim();
  } catch {
    // not linux
  }
  const nproc = execSync('nproc', { encoding: 'utf8' }).trim();
  return `${new Date().toISOString().slice(0, 10)} · nproc ${nproc} · node ${process.version} · ${model}`;
}

async function main(): Promise<void> {
  console.log(`# sandbox benchmark\n\n${machine()}${QUICK ? ' · QUICK' : ''}\n`);
  const formats: readonly MarshalFormat[] = MARSHAL_FORMATS;
  const hosts = Object.fromEntries(
    formats.map((f) => {
      const h = createSandboxHost({ marshal: f, ...(f === 'on-demand' ? {} : { batchMarshal: f }), timeoutMs: 50, quarantineAfter: 1e9 });
      const r = h.loadTenantPolicies('bench', [
        { name: 'refund', code: POLICY_SOURCE },
        { name: 'refund-ctx', code: POLICY_CTX_SOURCE },
        { name: 'refund-history', code: POLICY_HISTORY_SOURCE },
        { name: 'refund-items', code: POLICY_ITEMS_SOURCE },
        { name: 'result-tool', code: POLICY_RESULT_TOOL_SOURCE },
        { name: 'result-text', code: POLICY_RESULT_TEXT_SOURCE },
        ...[1, 2, 3, 4, 5, 6, 7].map((i) => ({ name: `refund-${i}`, code: POLICY_SOURCE })),
        ...[1, 2, 3, 4, 5, 6, 7].map((i) => ({ name: `refund-ctx-${i}`, code: POLICY_CTX_SOURCE })),
      ]);
      if (!r.ok) throw new Error(JSON.stringify(r));
      return [f, h];
    }),
  ) as Record<MarshalFormat, InlineSandboxHost>;

  const failures: Record<string, number> = {};
  // ---- 1. per-call latency by payload size, what the policy reads, and marshal format ----
  console.log('## per-call latency, warm isolate (µs, p50 / p99)\n');
  console.log('The refund-limit policy, gated on: nothing more (reads 4 event fields), `context.mode`, every entry of `context.history`;');
  console.log('"1 KB in the event": a refund with ~1 KB of line items in its arguments and a small context, gated on `args.amount` alone or on every item;');
  console.log('"16 KB tool result text": a fetched page as one string, a policy on which tool answered, and one searching the text.\n');
  console.log(`| payload | policy reads | JSON bytes | in-process JS | ${formats.join(' | ')} |`);
  console.log(`|---|---|---|---|${formats.map(() => '---|').join('')}`);
  const rows: { label: string; reads: string; policy: string; body: string; ev: StreamEvent; ctx: RunContextForPolicies }[] = [];
  const readsOf = { refund: '4 event fields', 'refund-ctx': '+ `context.mode`', 'refund-history': '+ all of `context.history`' } as const;
  for (const size of [0, 1024, 16 * 1024]) {
    const ctx = contextOfSize(size);
    const label = size === 0 ? '0 B context' : size === 1024 ? '1 KB context' : '16 KB context';
    for (const policy of ['refund', 'refund-ctx', 'refund-history'] as const) {
      const body = policy === 'refund' ? POLICY_BODY : policy === 'refund-ctx' ? POLICY_CTX_SOURCE : POLICY_HISTORY_SOURCE;
      rows.push({ label, reads: readsOf[policy], policy, body, ev: event, ctx });
    }
  }
  const ev1k = eventWithArgsOfSize(1024);
  const smallCtx: RunContextForPolicies = { runId: 'run-1', mode: 'enforce' };
  rows.push({ label: '1 KB in the event', reads: '`args.amount`', policy: 'refund', body: POLICY_BODY, ev: ev1k, ctx: smallCtx });
  rows.push({ label: '1 KB in the event', reads: '+ every `args.items[i].qty`', policy: 'refund-items', body: POLICY_ITEMS_SOURCE, ev: ev1k, ctx: smallCtx });
  const page = toolResultOfSize(16 * 1024);
  rows.push({ label: '16 KB tool result text', reads: '`kind`, `tool`', policy: 'result-tool', body: POLICY_RESULT_TOOL_SOURCE, ev: page, ctx: smallCtx });
  rows.push({ label: '16 KB tool result text', reads: '+ searches `result`', policy: 'result-text', body: POLICY_RESULT_TEXT_SOURCE, ev: page, ctx: smallCtx });
  for (const row of rows) {
    const bytes = JSON.stringify(row.ev).length + JSON.stringify(row.ctx).length;
    // the policy body as plain JS in this process (module text → function body)
    const js = row.body === POLICY_BODY ? inProcess : (new Function('event', 'context', row.body.replace(/^export function evaluate\(event, context\) \{/, '').replace(/\}\s*$/, '')) as typeof inProcess);
    const variants: Record<string, () => unknown> = { inproc: () => js(row.ev, row.ctx) };
    for (const f of formats) {
      const name = `${f} ${row.label} ${row.policy}`;
      variants[f] = () => {
        const v = hosts[f].evaluate('bench', row.policy, row.ev, row.ctx);
        // a wall-clock timeout under load is a sample, not a crash; counted and reported
        if (v.status !== 'ok') failures[name] = (failures[name] ?? 0) + 1;
      };
    }
    const r = timeInterleaved(variants, bytes > 4096 ? Math.ceil(ROUNDS / 4) : ROUNDS);
    const cell = (k: string): string => `${us(r[k]!.p50)} / ${us(r[k]!.p99)}`;
    console.log(`| ${row.label} | ${row.reads} | ${bytes} | ${cell('inproc')} | ${formats.map((f) => cell(f)).join(' | ')} |`);
  }

  if (Object.keys(failures).length > 0) console.log(`\nfailed evaluations (timeouts under load): ${JSON.stringify(failures)}`);

  // ---- 1b. the same at 1 KB with the benchmark package (ops/s, for the throughput view) ----
  console.log('\n## ops/s at 1 KB context, policy reads `context.mode` (benchmark.js)\n');
  const ctx1k = contextOfSize(1024);
  await new Promise<void>((resolve) => {
    const suite = new Benchmark.Suite();
    suite.add('in-process JS', () => inProcess(event, ctx1k));
    for (const f of formats) suite.add(`sandbox ${f}`, () => hosts[f].evaluate('bench', 'refund-ctx', event, ctx1k));
    suite.on('cycle', (e: Benchmark.Event) => console.log(`- ${String(e.target)}`));
    suite.on('complete', () => resolve());
    suite.run({ async: false });
  });

  // ---- 2. where the time goes at 1 KB (json) ----
  console.log('\n## anatomy of one call at 1 KB (µs, p50)\n');
  {
    const h = hosts.json;
    const trivial = createSandboxHost({ timeoutMs: 50 });
    trivial.loadTenantPolicies('bench', [{ name: 'noop', code: 'export function evaluate() { return { violation: false }; }' }]);
    const empty: RunContextForPolicies = { runId: 'r', mode: 'enforce' };
    const tiny: StreamEvent = { kind: 'reasoning', runId: 'r', text: '' };
    // isolated-vm alone: the fixed cost of entering an isolate, with and without its per-call timer
    const iso = new ivm.Isolate({ memoryLimit: 16 });
    const ictx = iso.createContextSync();
    const noopRef = ictx.evalClosureSync('return function () { return 0; }', [], { result: { reference: true } }) as ivm.Reference;
    const event1k = eventWithArgsOfSize(1024);
    const r = timeInterleaved({
      stringify: () => JSON.stringify(event) + JSON.stringify(ctx1k),
      rawNoTimer: () => noopRef.applySync(undefined, []),
      rawTimer: () => noopRef.applySync(undefined, [], { timeout: 50 }),
      noopPolicyTinyInput: () => trivial.evaluate('bench', 'noop', tiny, empty),
      fullCall: () => h.evaluate('bench', 'refund', event, ctx1k),
      fullCallCtx: () => h.evaluate('bench', 'refund-ctx', event, ctx1k),
      fullCallEvent1k: () => h.evaluate('bench', 'refund', event1k, empty),
      demandCall: () => hosts['on-demand'].evaluate('bench', 'refund', event, ctx1k),
      demandCallCtx: () => hosts['on-demand'].evaluate('bench', 'refund-ctx', event, ctx1k),
      demandCallHistory: () => hosts['on-demand'].evaluate('bench', 'refund-history', event, ctx1k),
      demandCallEvent1k: () => hosts['on-demand'].evaluate('bench', 'refund', event1k, empty),
    });
    const row = (label: string, k: string): void => console.log(`| ${label} | ${us(r[k]!.p50)} | ${us(r[k]!.p99)} |`);
    console.log('| step | p50 | p99 |\n|---|---|---|');
    row('host JSON.stringify of event + 1 KB context', 'stringify');
    row('isolated-vm: empty applySync, no timeout', 'rawNoTimer');
    row('isolated-vm: empty applySync with `timeout` (arms and disarms its timer)', 'rawTimer');
    row('whole call, no-op policy, ~50 B input (host bookkeeping + isolate entry + timer + result)', 'noopPolicyTinyInput');
    row('whole call, refund policy, 1 KB (context not read: never decoded)', 'fullCall');
    row('whole call, refund policy reading `context.mode`, 1 KB (context decoded)', 'fullCallCtx');
    row('whole call, refund policy, 1 KB event (tool arguments), small context: what the engine passes', 'fullCallEvent1k');
    row('on-demand: whole call, refund policy, 1 KB context (not read: never sent)', 'demandCall');
    row('on-demand: whole call, refund policy reading `context.mode`, 1 KB context (history not read: never sent)', 'demandCallCtx');
    row('on-demand: whole call, refund policy reading all of `context.history` (one fetch)', 'demandCallHistory');
    row('on-demand: whole call, refund policy, 1 KB event, reads `args.amount` (items never sent)', 'demandCallEvent1k');
    noopRef.release();
    ictx.release();
    iso.dispose();
    trivial.dispose();
  }

  // ---- 2b. pack once per event: one tenant's N policies on the same event ----
  console.log('\n## N policies of one tenant on one event, 1 KB context, on-demand (µs per policy, p50 of the whole call / N)\n');
  {
    const h = hosts['on-demand'];
    console.log('| policies per event | N × evaluate | evaluatePolicies (encoded once) | N × evaluate, policies read context | evaluatePolicies, policies read context |\n|---|---|---|---|---|');
    for (const n of [1, 4, 8]) {
      const names = ['refund', ...[1, 2, 3, 4, 5, 6, 7].map((i) => `refund-${i}`)].slice(0, n);
      const ctxNames = ['refund-ctx', ...[1, 2, 3, 4, 5, 6, 7].map((i) => `refund-ctx-${i}`)].slice(0, n);
      const r = timeInterleaved(
        {
          separate: () => {
            for (const p of names) h.evaluate('bench', p, event, ctx1k);
          },
          together: () => h.evaluatePolicies('bench', names, event, ctx1k),
          separateCtx: () => {
            for (const p of ctxNames) h.evaluate('bench', p, event, ctx1k);
          },
          togetherCtx: () => h.evaluatePolicies('bench', ctxNames, event, ctx1k),
        },
        Math.ceil(ROUNDS / 2),
      );
      const cell = (k: string): string => us(r[k]!.p50 / n);
      console.log(`| ${n} | ${cell('separate')} | ${cell('together')} | ${cell('separateCtx')} | ${cell('togetherCtx')} |`);
    }
  }

  // ---- 3. isolate creation and warm reuse ----
  console.log('\n## isolate creation and warm-pool reuse (ms)\n');
  {
    const h = createSandboxHost({ timeoutMs: 50 });
    const creations: number[] = [];
    for (let i = 0; i < (QUICK ? 10 : 60); i++) {
      const t = process.hrtime.bigint();
      const r = h.loadTenantPolicies(`t${i}`, [{ name: 'refund', code: POLICY_SOURCE }]);
      creations.push(Number(process.hrtime.bigint() - t));
      if (!r.ok) throw new Error('load failed');
      h.unloadTenant(`t${i}`);
    }
    creations.sort((a, b) => a - b);
    // maxWarmTenants 1 and two tenants alternating: every call is a cold rebuild
    const cold = createSandboxHost({ timeoutMs: 50, maxWarmTenants: 1 });
    cold.loadTenantPolicies('a', [{ name: 'refund', code: POLICY_SOURCE }]);
    cold.loadTenantPolicies('b', [{ name: 'refund', code: POLICY_SOURCE }]);
    const coldSamples: number[] = [];
    for (let i = 0; i < (QUICK ? 10 : 60); i++) {
      const t = process.hrtime.bigint();
      cold.evaluate(i % 2 === 0 ? 'a' : 'b', 'refund', event, ctx1k);
      coldSamples.push(Number(process.hrtime.bigint() - t));
    }
    coldSamples.sort((a, b) => a - b);
    const warm = timeInterleaved({ warm: () => hosts['on-demand'].evaluate('bench', 'refund', event, ctx1k) }, QUICK ? 20 : 100)['warm']!;
    console.log('| what | p50 | p99 |\n|---|---|---|');
    console.log(`| new isolate + hardening + compile 1 policy (loadTenantPolicies) | ${(percentile(creations, 0.5) / 1e6).toFixed(2)} | ${(percentile(creations, 0.99) / 1e6).toFixed(2)} |`);
    console.log(`| evaluation on an evicted tenant (cold rebuild + call, 1 KB) | ${(percentile(coldSamples, 0.5) / 1e6).toFixed(2)} | ${(percentile(coldSamples, 0.99) / 1e6).toFixed(2)} |`);
    console.log(`| evaluation on a warm isolate (1 KB) | ${(warm.p50 / 1e6).toFixed(4)} | ${(warm.p99 / 1e6).toFixed(4)} |`);
    h.dispose();
    cold.dispose();
  }

  // ---- 4. batch throughput (replay) ----
  console.log('\n## batch throughput, 1 KB context (evaluations/s)\n');
  {
    const n = 1000;
    const reqs = Array.from({ length: n }, (_, i) => ({ policy: 'refund', event: { ...event, args: { amount: i } } as StreamEvent, context: ctx1k }));
    console.log('| format | single calls | one evaluateBatch of 1000 | in-process JS loop |\n|---|---|---|---|');
    for (const f of formats) {
      const h = hosts[f];
      const best = (fn: () => void): number => {
        let bestNs = Infinity;
        for (let k = 0; k < (QUICK ? 3 : 10); k++) {
          const t = process.hrtime.bigint();
          fn();
          bestNs = Math.min(bestNs, Number(process.hrtime.bigint() - t));
        }
        return n / (bestNs / 1e9);
      };
      const single = best(() => {
        for (const r of reqs) h.evaluate('bench', r.policy, r.event, r.context);
      });
      const batch = best(() => {
        h.evaluateBatch('bench', reqs);
      });
      const js = best(() => {
        for (const r of reqs) inProcess(r.event, r.context);
      });
      console.log(`| ${f} | ${Math.round(single).toLocaleString('en')} | ${Math.round(batch).toLocaleString('en')} | ${Math.round(js).toLocaleString('en')} |`);
    }
  }

  // ---- 5. child-process round trip ----
  console.log('\n## child-process mode, evaluateAsync round trip (µs)\n');
  {
    const child = createSandboxHost({ process: 'child', timeoutMs: 50 });
    await child.ready();
    await child.loadTenantPoliciesAsync('bench', [{ name: 'refund', code: POLICY_SOURCE }]);
    const s: number[] = [];
    for (let i = 0; i < (QUICK ? 200 : 3000); i++) {
      const t = process.hrtime.bigint();
      await child.evaluateAsync('bench', 'refund', event, ctx1k);
      s.push(Number(process.hrtime.bigint() - t));
    }
    s.sort((a, b) => a - b);
    const inlineAsync: number[] = [];
    for (let i = 0; i < (QUICK ? 200 : 3000); i++) {
      const t = process.hrtime.bigint();
      await hosts.json.evaluateAsync('bench', 'refund', event, ctx1k);
      inlineAsync.push(Number(process.hrtime.bigint() - t));
    }
    inlineAsync.sort((a, b) => a - b);
    console.log('| path | p50 | p99 |\n|---|---|---|');
    console.log(`| child process (msgpack over a pipe, 1 KB) | ${us(percentile(s, 0.5))} | ${us(percentile(s, 0.99))} |`);
    console.log(`| inline evaluateAsync (isolated-vm thread pool, 1 KB) | ${us(percentile(inlineAsync, 0.5))} | ${us(percentile(inlineAsync, 0.99))} |`);
    await child.dispose();
  }

  for (const h of Object.values(hosts)) h.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
