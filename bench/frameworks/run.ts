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

function benchScan(iterations: number): { table: ReturnType<typeof percentiles>; everyPosition: ReturnType<typeof percentiles>; regexp: ReturnType<typeof percentiles>; patterns: number; alternatives: number; agree: boolean; opsTable: number; opsEvery: number; opsRegexp: number } {
  const scanner = new TokenScanner(PROVIDER_PATTERNS);
  const re = tableAsRegExp(PROVIDER_PATTERNS);
  const text = JSON.stringify(ARGS);
  const scanTable = (): number => scanner.scan(text).length;
  // the same scanner without its run prefilter: every position dispatched
  const scanEvery = (): number => scanner.scanRange(text, 0, text.length).length;
  const scanRegexp = (): number => {
    re.lastIndex = 0;
    let n = 0;
    while (re.exec(text) !== null) n++;
    return n;
  };
  for (let i = 0; i < 5000; i++) {
    scanTable();
    scanEvery();
    scanRegexp();
  }
  const a: number[] = [];
  const e: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // interleave the variants so drift hits all of them
    let t0 = process.hrtime.bigint();
    scanTable();
    a.push(Number(process.hrtime.bigint() - t0));
    t0 = process.hrtime.bigint();
    scanEvery();
    e.push(Number(process.hrtime.bigint() - t0));
    t0 = process.hrtime.bigint();
    scanRegexp();
    b.push(Number(process.hrtime.bigint() - t0));
  }
  // the benchmark package for ops/s
  let opsTable = 0;
  let opsEvery = 0;
  let opsRegexp = 0;
  new Benchmark.Suite()
    .add('table', scanTable)
    .add('every', scanEvery)
    .add('regexp', scanRegexp)
    .on('cycle', (ev: Benchmark.Event) => {
      const t = ev.target as Benchmark.Target & { name?: string; hz?: number };
      if (t.name === 'table') opsTable = t.hz ?? 0;
      else if (t.name === 'every') opsEvery = t.hz ?? 0;
      else opsRegexp = t.hz ?? 0;
    })
    .run({ async: false });
  const alternatives = PROVIDER_PATTERNS.reduce((n, p) => n + p.prefixes.length, 0);
  return { table: percentiles(a), everyPosition: percentiles(e), regexp: percentiles(b), patterns: PROVIDER_PATTERNS.length, alternatives, agree: scanTable() === scanRegexp() && scanTable() === scanEvery(), opsTable, opsEvery, opsRegexp };
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
const scan = benchScan(20_000);
if (json) {
  console.log(JSON.stringify({ suite: 'frameworks', engine: 'cascade', case: 'recommended-packs-1kb-tool-call-check', p50_ns: packs.check.p50, p99_ns: packs.check.p99, ops_per_s: Math.round(1e9 / packs.check.mean) }));
  console.log(JSON.stringify({ suite: 'frameworks', engine: 'cascade', case: 'recommended-packs-1kb-tool-call-evaluate', p50_ns: packs.evaluate.p50, p99_ns: packs.evaluate.p99, ops_per_s: Math.round(1e9 / packs.evaluate.mean) }));
  console.log(JSON.stringify({ suite: 'frameworks', engine: 'token-table', case: 'scan-1kb', p50_ns: scan.table.p50, p99_ns: scan.table.p99, ops_per_s: Math.round(scan.opsTable) }));
  console.log(JSON.stringify({ suite: 'frameworks', engine: 'token-table-every-position', case: 'scan-1kb', p50_ns: scan.everyPosition.p50, p99_ns: scan.everyPosition.p99, ops_per_s: Math.round(scan.opsEvery) }));
  console.log(JSON.stringify({ suite: 'frameworks', engine: 'v8-regexp-alternation', case: 'scan-1kb', p50_ns: scan.regexp.p50, p99_ns: scan.regexp.p99, ops_per_s: Math.round(scan.opsRegexp) }));
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
  `The secrets pack's provider table (${scan.patterns} patterns, ${scan.alternatives} literal prefixes) over the same 1 KB text. TokenScanner first steps over the text looking only for runs of characters a match can contain that are at least as long as the shortest possible match (probing the last character of each window, so short words are mostly skipped unread), then inside those runs dispatches on the first two characters of each position (one flag-table load per character, word boundary checked once) and reads each body once; the RegExp is the same table as one alternation with a leading word-boundary lookbehind (\`tableAsRegExp\`). Same match count on this text (all three): ${scan.agree ? 'yes' : 'no'}. The run prefilter pays off on prose and JSON; on short texts that are mostly one long token (the secrets corpus, 79 characters on average) it reads those characters twice and cost about 8 % more than dispatching every position when measured on that corpus while writing it.`,
  '',
  '| scanner | p50 | p99 | ops/s (benchmark package) |',
  '|---|---|---|---|',
  `| TokenScanner (table) | ${us(scan.table.p50)} | ${us(scan.table.p99)} | ${Math.round(scan.opsTable).toLocaleString('en-US')} |`,
  `| TokenScanner, every position (\`scanRange\`, no run prefilter) | ${us(scan.everyPosition.p50)} | ${us(scan.everyPosition.p99)} | ${Math.round(scan.opsEvery).toLocaleString('en-US')} |`,
  `| V8 RegExp alternation | ${us(scan.regexp.p50)} | ${us(scan.regexp.p99)} | ${Math.round(scan.opsRegexp).toLocaleString('en-US')} |`,
  '',
  'The Wasm kernel\u2019s linear-time matchers are not part of this run: the packs are pure TypeScript today; the table is plain data so the engine owner can compile it into the kernel later and compare in the same harness.',
  '',
];
writeFileSync(join(here, '..', 'RESULTS-frameworks.md'), lines.join('\n'));
if (!json) console.log(lines.join('\n'));
