// Micro-benchmark of the built-in frameworks on the enforce path:
//  1. all recommended packs on a guarded tool call with ~1 KB of arguments (p50/p99 per call),
//     check only (what gates the call) and check + record (advancing run state);
//  2. the declarative token table scanned by TokenScanner vs the same patterns as one V8 RegExp
//     alternation, over the same 1 KB text (interleaved A/B, percentiles, plus the benchmark package).
// Writes bench/RESULTS-frameworks.md (machine, date). Run: node --import tsx bench/frameworks/run.ts

import Benchmark from 'benchmark';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamEvent } from '../../src/events/types.js';
import { eventTexts } from '../../src/frameworks/event-text.js';
import { createFrameworks } from '../../src/frameworks/registry.js';
import type { FrameworkFinding } from '../../src/frameworks/types.js';
import { PROVIDER_PATTERNS } from '../../src/frameworks/secrets/provider-patterns.js';
import { KernelTokenScanner } from '../../src/frameworks/scan/kernel-scanner.js';
import { tableAsRegExp, TokenScanner } from '../../src/frameworks/scan/token-scanner.js';

const here = dirname(fileURLToPath(import.meta.url));
const json = process.argv.includes('--json');

function percentiles(samples: number[]): { p50: number; p99: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length * 0.5)] as number, p99: s[Math.floor(s.length * 0.99)] as number, mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

// ~1 KB of ordinary arguments: an email with prose, an address, a link, numbers, an id
const BODY =
  'Hi Dana, following up on yesterday\u2019s call about the Q3 logistics review. The revised schedule moves the ' +
  'warehouse audit to the 14th and the carrier negotiation to the week after, so we have time to compare the ' +
  'three quotes side by side. I attached the spreadsheet with the lane-by-lane costs; the totals differ by about ' +
  '4.5 percent, mostly because of fuel surcharges on the northern routes. Could you check whether the numbers for ' +
  'the Rotterdam lane match what finance has on file? The dashboard is at https://reports.example.com/q3/logistics?view=summary ' +
  'and the ticket for the audit is OPS-20417. If anything looks off, flag it in the sheet and I will update the ' +
  'forecast before Friday. Thanks again for pulling the carrier data together so quickly, it saved the team a lot ' +
  'of back and forth. Best regards, Sam (ops planning, ext. 4471)';
const ARGS = { to: 'dana.ruiz@example.com', cc: 'ops-team@example.com', subject: 'Q3 logistics review: revised schedule', body: BODY, priority: 'normal' };

function history(fw: ReturnType<typeof createFrameworks>, runId: string) {
  const run = fw.createRunState(runId);
  fw.evaluate({ kind: 'run.start', runId, input: 'Email Dana (dana.ruiz@example.com, cc ops-team@example.com) the revised Q3 logistics schedule.' }, run);
  fw.evaluate({ kind: 'tool.call', runId, tool: 'read_file', args: { path: 'notes/q3-logistics.md' }, callId: 'c0' }, run);
  fw.evaluate({ kind: 'tool.result', runId, tool: 'read_file', callId: 'c0', result: 'Q3 logistics: warehouse audit moved to the 14th; carrier negotiation the week after; quotes in the sheet.' }, run);
  return run;
}

function benchPacks(iterations: number): { check: ReturnType<typeof percentiles>; evaluate: ReturnType<typeof percentiles>; argBytes: number; findings: number } {
  const fw = createFrameworks(['recommended']);
  const event: StreamEvent = { kind: 'tool.call', runId: 'bench', tool: 'send_email', args: ARGS, callId: 'c1', time: 1_700_000_000_000 };
  let run = history(fw, 'bench');
  for (let i = 0; i < 5000; i++) fw.check(event, run);
  const check: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    fw.check(event, run);
    check.push(Number(process.hrtime.bigint() - t0));
  }
  const evaluate: number[] = [];
  for (let i = 0; i < iterations; i++) {
    if (i % 50 === 0) run = history(fw, `bench-${i}`);
    const e = { ...event, callId: `c${i}`, time: 1_700_000_000_000 + i * 1000 } as StreamEvent;
    const t0 = process.hrtime.bigint();
    fw.evaluate(e, run);
    evaluate.push(Number(process.hrtime.bigint() - t0));
  }
  return { check: percentiles(check), evaluate: percentiles(evaluate), argBytes: Buffer.byteLength(JSON.stringify(ARGS)), findings: fw.check(event, history(fw, 'x')).length };
}

interface ScanBench {
  bytes: number;
  table: ReturnType<typeof percentiles>;
  everyPosition: ReturnType<typeof percentiles>;
  kernel: ReturnType<typeof percentiles>;
  regexp: ReturnType<typeof percentiles>;
  agree: boolean;
  ops: Record<'table' | 'every' | 'kernel' | 'regexp', number>;
}

/** The provider table over `text`: TokenScanner (with and without its run prefilter), the Wasm scan kernel, one RegExp. */
function benchScan(text: string, iterations: number): ScanBench {
  const scanner = new TokenScanner(PROVIDER_PATTERNS);
  const kernelScanner = new KernelTokenScanner(scanner);
  const re = tableAsRegExp(PROVIDER_PATTERNS);
  const scanTable = (): number => scanner.scan(text).length;
  // the same scanner without its run prefilter: every position dispatched
  const scanEvery = (): number => scanner.scanRange(text, 0, text.length).length;
  const scanKernel = (): number => kernelScanner.scan(text).length;
  const scanRegexp = (): number => {
    re.lastIndex = 0;
    let n = 0;
    while (re.exec(text) !== null) n++;
    return n;
  };
  const variants = { table: scanTable, every: scanEvery, kernel: scanKernel, regexp: scanRegexp } as const;
  for (let i = 0; i < 5000; i++) for (const f of Object.values(variants)) f();
  const samples: Record<keyof typeof variants, number[]> = { table: [], every: [], kernel: [], regexp: [] };
  for (let i = 0; i < iterations; i++) {
    // interleave the variants so drift hits all of them
    for (const [k, f] of Object.entries(variants) as [keyof typeof variants, () => number][]) {
      const t0 = process.hrtime.bigint();
      f();
      samples[k].push(Number(process.hrtime.bigint() - t0));
    }
  }
  // the benchmark package for ops/s
  const ops = { table: 0, every: 0, kernel: 0, regexp: 0 };
  const suite = new Benchmark.Suite();
  for (const [k, f] of Object.entries(variants)) suite.add(k, f);
  suite
    .on('cycle', (ev: Benchmark.Event) => {
      const t = ev.target as Benchmark.Target & { name?: string; hz?: number };
      ops[t.name as keyof typeof ops] = t.hz ?? 0;
    })
    .run({ async: false });
  const n = scanTable();
  return {
    bytes: text.length,
    table: percentiles(samples.table),
    everyPosition: percentiles(samples.every),
    kernel: percentiles(samples.kernel),
    regexp: percentiles(samples.regexp),
    agree: n === scanRegexp() && n === scanEvery() && n === scanKernel(),
    ops,
  };
}

const us = (ns: number): string => `${(ns / 1000).toFixed(2)} µs`;

/** CPU time per call (process.cpuUsage over many calls): less sensitive than wall time to other load on the machine. */
function cpuPerCall(f: () => void, n: number): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const c1 = process.cpuUsage(c0);
  return ((c1.user + c1.system) * 1000) / n;
}

/** A reference loop (sum of char codes over 1 KB) to scale the figures to another machine. */
function sumCodes(s: string): number {
  let t = 0;
  for (let j = 0; j < s.length; j++) t += s.charCodeAt(j);
  return t;
}

function calibration(): number {
  const s = 'x'.repeat(1024);
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += sumCodes(s);
  const c0 = process.cpuUsage();
  for (let i = 0; i < 100_000; i++) sink += sumCodes(s);
  const c1 = process.cpuUsage(c0);
  return sink > 0 ? ((c1.user + c1.system) * 1000) / 100_000 : 0;
}

const load = loadavg();
const calib = calibration();
const packs = benchPacks(20_000);
const cpuCheck = (() => {
  const fw = createFrameworks(['recommended']);
  const run = history(fw, 'cpu');
  const event: StreamEvent = { kind: 'tool.call', runId: 'cpu', tool: 'send_email', args: ARGS, callId: 'c1', time: 1_700_000_000_000 };
  cpuPerCall(() => fw.check(event, run), 5_000);
  return cpuPerCall(() => fw.check(event, run), 50_000);
})();
/** CPU time per pack on the same call (each pack's check alone, texts extracted once). */
const perPack = (() => {
  const fw = createFrameworks(['recommended']);
  const run = history(fw, 'per-pack');
  const event: StreamEvent = { kind: 'tool.call', runId: 'per-pack', tool: 'send_email', args: ARGS, callId: 'c1', time: 1_700_000_000_000 };
  const texts = eventTexts(event);
  const out: FrameworkFinding[] = [];
  return fw.packs.map((p) => {
    const once = (): void => {
      out.length = 0;
      p.check(event, texts, run, out);
    };
    cpuPerCall(once, 5_000);
    return { name: p.name, ns: cpuPerCall(once, 50_000) };
  });
})();
const scanText = JSON.stringify(ARGS);
const scans = [benchScan(scanText, 20_000), benchScan(Array.from({ length: 16 }, () => scanText).join('\n'), 4_000)];
const scanAlternatives = PROVIDER_PATTERNS.reduce((n, p) => n + p.prefixes.length, 0);
if (json) {
  console.log(JSON.stringify({ suite: 'frameworks', engine: 'cascade', case: 'recommended-packs-1kb-tool-call-check', p50_ns: packs.check.p50, p99_ns: packs.check.p99, ops_per_s: Math.round(1e9 / packs.check.mean) }));
  console.log(JSON.stringify({ suite: 'frameworks', engine: 'cascade', case: 'recommended-packs-1kb-tool-call-evaluate', p50_ns: packs.evaluate.p50, p99_ns: packs.evaluate.p99, ops_per_s: Math.round(1e9 / packs.evaluate.mean) }));
  for (const x of scans) {
    const c = x.bytes < 2048 ? 'scan-1kb' : 'scan-16kb';
    for (const [engine, p, ops] of [
      ['token-table', x.table, x.ops.table],
      ['token-table-every-position', x.everyPosition, x.ops.every],
      ['wasm-scan-kernel', x.kernel, x.ops.kernel],
      ['v8-regexp-alternation', x.regexp, x.ops.regexp],
    ] as const) {
      console.log(JSON.stringify({ suite: 'frameworks', engine, case: c, p50_ns: p.p50, p99_ns: p.p99, ops_per_s: Math.round(ops) }));
    }
  }
}

const lines = [
  '# Framework packs: benchmark results',
  '',
  'Produced by `node --no-node-snapshot --import tsx bench/frameworks/run.ts` (to be merged into bench/RESULTS.md). Percentiles from 20,000 timed calls after 5,000 warm-up calls, `process.hrtime.bigint` around each call.',
  '',
  `- date: ${new Date().toISOString()}`,
  `- machine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}`,
  `- node: ${process.version}`,
  `- load average while measuring (1/5/15 min): ${load.map((x) => x.toFixed(2)).join(' / ')} on ${cpus().length} cores (other work shared the machine; wall-clock percentiles include that contention)`,
  `- calibration: a 1 KB char-code loop takes ${us(calib)} of CPU here`,
  '',
  `## All recommended packs (${createFrameworks(['recommended']).names.length}) on one guarded tool call`,
  '',
  `\`send_email\` with ${packs.argBytes} bytes of JSON arguments (prose body, addresses, a URL, an id), run state holding a user request and one tool result. Findings on this call: ${packs.findings}.`,
  '',
  '| path | p50 | p99 | mean | target |',
  '|---|---|---|---|---|',
  `| check (gates the call; pure) | ${us(packs.check.p50)} | ${us(packs.check.p99)} | ${us(packs.check.mean)} | p50 ≤ 20 µs: ${packs.check.p50 <= 20_000 ? 'met' : '**missed**'} |`,
  `| evaluate (check + record into run state) | ${us(packs.evaluate.p50)} | ${us(packs.evaluate.p99)} | ${us(packs.evaluate.mean)} | |`,
  '',
  `CPU time per check (mean over 50,000 calls, \`process.cpuUsage\`): ${us(cpuCheck)}.`,
  '',
  'CPU time per pack on the same call (each pack alone, mean over 50,000 calls; the texts are extracted once, as FrameworkSet does):',
  '',
  '| pack | CPU per call |',
  '|---|---|',
  ...perPack.map((p) => `| ${p.name} | ${us(p.ns)} |`),
  '',
  '## Pattern scanning: declarative token table vs one V8 RegExp alternation',
  '',
  `The secrets pack's provider table (${PROVIDER_PATTERNS.length} patterns, ${scanAlternatives} literal prefixes) over the guarded call's 1 KB argument text, and over 16 copies of it (16 KB, a long tool result). TokenScanner first steps over the text looking only for runs of characters a match can contain that are at least as long as the shortest possible match (probing the last character of each window, so short words are mostly skipped unread), then inside those runs dispatches on the first two characters of each position (one flag-table load per character, word boundary checked once) and reads each body once. The Wasm scan kernel (\`assembly/scan.ts\`, \`KernelTokenScanner\`) runs the same compiled table, step for step, after the text is copied into its memory as UTF-16 code units (a native copy); the time includes that copy. The RegExp is the same table as one alternation with a leading word-boundary lookbehind (\`tableAsRegExp\`). Same match count on both texts (all four): ${scans.every((x) => x.agree) ? 'yes' : 'no'}.`,
  '',
  '| text | scanner | p50 | p99 | ops/s (benchmark package) |',
  '|---|---|---|---|---|',
  ...scans.flatMap((x) => {
    const size = x.bytes < 2048 ? `${x.bytes} B` : `${(x.bytes / 1024).toFixed(1)} KB`;
    const row = (name: string, p: ReturnType<typeof percentiles>, ops: number): string => `| ${size} | ${name} | ${us(p.p50)} | ${us(p.p99)} | ${Math.round(ops).toLocaleString('en-US')} |`;
    return [
      row('TokenScanner (table, TypeScript)', x.table, x.ops.table),
      row('TokenScanner, every position (`scanRange`, no run prefilter)', x.everyPosition, x.ops.every),
      row('Wasm scan kernel (same table)', x.kernel, x.ops.kernel),
      row('V8 RegExp alternation', x.regexp, x.ops.regexp),
    ];
  }),
  '',
];
writeFileSync(join(here, '..', 'RESULTS-frameworks.md'), lines.join('\n'));
if (!json) console.log(lines.join('\n'));
