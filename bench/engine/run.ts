// The engine benchmark suites: for each rule count and context size, build every peer from the
// same rules, prove they agree on every event, then time them interleaved on the allow path, the
// deny path and the mixed 90/10 stream, and cross-check with the `benchmark` package. Also the
// marshalling comparison and the 1,000-rule kernel memory check. Progress goes to `log` (stderr in
// bench/run.ts) so stdout stays machine-readable.

import type { ToolCallEvent } from '../../src/events/types.js';
import { checkAgreement, type Agreement } from './agreement.js';
import { breakdownSteps } from './breakdown.js';
import { runBenchmarkJs, type BenchmarkJsOptions } from './benchmarkjs.js';
import { encodedSizes, encoders, roundTripCodecs } from './marshal.js';
import { kernelMemory, type KernelMemory } from './memory.js';
import { buildPeers, cascadePeer, handJsPeer, type Contender } from './peers.js';
import { measureInterleaved, timerOverheadNs, type LatencyResult, type TimingOptions } from './timing.js';
import { generateRules, generateWorkload, type ContextSize } from './workload.js';

/** one output line; the shape `npm run bench -- --json` promises */
export interface Row {
  suite: string;
  engine: string;
  rules: number | null;
  ctx: ContextSize;
  p50_ns: number | null;
  p99_ns: number | null;
  ops_per_s: number;
}

/** how a row was measured, for the human table and RESULTS.md */
export interface RowDetail {
  method: string;
  samples: number;
}

export interface SuiteConfig {
  ruleCounts: number[];
  contexts: ContextSize[];
  events: number;
  timing: TimingOptions;
  benchmarkJs: BenchmarkJsOptions;
  memoryRules: number;
  /** rule count whose allow path is broken down into the engine's steps */
  breakdownRules: number;
}

export const FULL: SuiteConfig = {
  ruleCounts: [10, 100],
  contexts: ['small', '1kb'],
  events: 2000,
  timing: { rounds: 60, blockMs: 5, warmupPasses: 3, warmupCapMs: 1500 },
  benchmarkJs: { maxTimeS: 0.5, minSamples: 5 },
  memoryRules: 1000,
  breakdownRules: 100,
};

export const QUICK: SuiteConfig = {
  ruleCounts: [10, 100],
  contexts: ['small', '1kb'],
  events: 200,
  timing: { rounds: 2, blockMs: 1, warmupPasses: 1, warmupCapMs: 20 },
  benchmarkJs: { maxTimeS: 0.005, minSamples: 1 },
  memoryRules: 1000,
  breakdownRules: 100,
};

export interface WorkloadReport {
  rules: number;
  ctx: ContextSize;
  agreement: Agreement;
  meanArgsBytes: number;
}

export interface Report {
  rows: { row: Row; detail: RowDetail }[];
  workloads: WorkloadReport[];
  timerOverheadNs: number;
  marshalSizes: { json: number; msgpack: number };
  memory: KernelMemory & { agreeingWithHandJs: number; events: number };
}

const round = (x: number): number => Math.round(x);

function latencyRow(suite: string, rules: number | null, ctx: ContextSize, r: LatencyResult): { row: Row; detail: RowDetail } {
  return {
    row: { suite, engine: r.engine, rules, ctx, p50_ns: round(r.p50Ns), p99_ns: round(r.p99Ns), ops_per_s: round(r.opsPerS) },
    detail: {
      method: r.method === 'single' ? 'single call' : `p50 ${r.method}, p99 single call`,
      samples: r.method === 'single' ? r.singleSamples : r.batchSamples,
    },
  };
}

export async function runEngineSuites(config: SuiteConfig, log: (line: string) => void): Promise<Report> {
  const rows: Report['rows'] = [];
  const workloads: WorkloadReport[] = [];
  const overhead = timerOverheadNs();
  log(`timer: process.hrtime.bigint() pair costs ~${overhead} ns (included in single-call samples)`);

  for (const ruleCount of config.ruleCounts) {
    const rules = generateRules(ruleCount);
    for (const ctx of config.contexts) {
      const w = generateWorkload(rules, ctx, config.events);
      const { cascade, contenders } = buildPeers(rules);
      const { agreement, isDenied } = await checkAgreement(contenders, w.events, w.crafted);
      const meanArgsBytes = round(w.events.reduce((s, e) => s + JSON.stringify(e.args).length, 0) / w.events.length);
      workloads.push({ rules: ruleCount, ctx, agreement, meanArgsBytes });
      log(
        `${ruleCount} rules, ${ctx} ctx (args ~${meanArgsBytes} B): ${agreement.denied}/${agreement.events} denied ` +
          `(${((100 * agreement.denied) / agreement.events).toFixed(1)} %); agreement with cascade: ` +
          Object.entries(agreement.agreeing)
            .map(([k, v]) => `${k} ${v}/${agreement.events}`)
            .join(', '),
      );
      // split the stream by the verdict every engine agreed on
      const allowed = w.events.filter((_, i) => !isDenied[i]);
      const denied = w.events.filter((_, i) => isDenied[i]);
      for (const [suite, events] of [
        ['allow', allowed],
        ['deny', denied],
        ['mixed', w.events],
      ] as const) {
        const results = await measureInterleaved<ToolCallEvent>(contenders, events, config.timing);
        for (const r of results) rows.push(latencyRow(suite, ruleCount, ctx, r));
        log(`  ${suite.padEnd(5)} ${results.map((r) => `${r.engine} p50 ${fmtNs(r.p50Ns)}`).join(' · ')}`);
      }
      if (ruleCount === config.breakdownRules) {
        const steps = breakdownSteps(cascade.bundle, contenders[0]!, contenders[1]!);
        if (typeof steps === 'string') log(`  breakdown skipped: ${steps}`);
        else {
          const results = await measureInterleaved<ToolCallEvent>(steps, allowed, config.timing);
          for (const r of results) rows.push(latencyRow('breakdown-allow', ruleCount, ctx, r));
          log(`  breakdown ${results.map((r) => `${r.engine} ${fmtNs(r.p50Ns)}`).join(' · ')}`);
        }
      }
      const bjs = await runBenchmarkJs<ToolCallEvent>(contenders as Contender[], w.events, config.benchmarkJs);
      for (const b of bjs)
        rows.push({
          row: { suite: 'benchmarkjs-mixed', engine: b.engine, rules: ruleCount, ctx, p50_ns: null, p99_ns: null, ops_per_s: round(b.opsPerS) },
          detail: { method: `benchmark.js ±${b.rme.toFixed(1)} %`, samples: b.samples },
        });
      log(`  benchmark.js ${bjs.map((b) => `${b.engine} ${round(b.opsPerS)} ops/s`).join(' · ')}`);
    }
  }

  // marshalling: the whole 1 KB event across a boundary vs projecting only what 100 rules read
  const marshalRules = generateRules(100);
  const big = generateWorkload(marshalRules, '1kb', config.events);
  const marshalSizes = encodedSizes(big.events);
  const { bundle } = cascadePeer(marshalRules);
  for (const r of await measureInterleaved(roundTripCodecs(), big.events, config.timing)) rows.push(latencyRow('marshal-roundtrip', null, '1kb', r));
  for (const r of await measureInterleaved(encoders(bundle), big.events, config.timing))
    rows.push(latencyRow('marshal-encode', r.engine === 'cascade-projection' ? 100 : null, '1kb', r));
  log(`marshal: 1 KB event is ${marshalSizes.json} B as JSON, ${marshalSizes.msgpack} B as msgpack`);

  // memory: 1,000 rules; drive the engine with the 1 KB stream first so any string-area growth shows
  const memRules = generateRules(config.memoryRules);
  const mem = generateWorkload(memRules, '1kb', config.events);
  const cascade = cascadePeer(memRules);
  const { agreement } = await checkAgreement([cascade.contender, handJsPeer(memRules)], mem.events, mem.crafted);
  const memory = { ...kernelMemory(cascade.bundle, cascade.engine), agreeingWithHandJs: agreement.agreeing['hand-js'] ?? 0, events: mem.events.length };
  log(`memory: ${config.memoryRules} rules, image ${memory.imageBytes} B, linear memory ${memory.linearMemoryBytes} B`);

  return { rows, workloads, timerOverheadNs: overhead, marshalSizes, memory };
}

export function fmtNs(ns: number | null): string {
  if (ns === null || Number.isNaN(ns)) return '—';
  if (ns < 1000) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}
