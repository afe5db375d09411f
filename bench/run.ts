// `npm run bench`: runs the benchmark suites and prints a table.
//   --json      one JSON object per line: { suite, engine, rules, ctx, p50_ns, p99_ns, ops_per_s }
//               for the timing suites, then a `memory` and a `targets` line of their own shape
//   --quick     a smoke run of a few seconds (few samples; figures are not meaningful)
//   --markdown  the tables as Markdown, for bench/RESULTS.md
// Progress and agreement checks go to stderr, so stdout is only the requested output.

import { availableParallelism, cpus, loadavg } from 'node:os';
import { FULL, QUICK, fmtNs, runEngineSuites, type Report, type Row } from './engine/run.js';

const argv = new Set(process.argv.slice(2));
for (const a of argv)
  if (!['--json', '--quick', '--markdown'].includes(a)) {
    process.stderr.write(`unknown option \`${a}\`; use --json, --quick or --markdown\n`);
    process.exit(2);
  }
const json = argv.has('--json');
const markdown = argv.has('--markdown');
const quick = argv.has('--quick');

const KERNEL_MEMORY_LIMIT = 4 * 1024 * 1024;

interface Target {
  ctx: string;
  name: string;
  measured: string;
  goal: string;
  met: boolean;
}

function find(report: Report, suite: string, engine: string, rules: number, ctx: string): Row | undefined {
  return report.rows.find((r) => r.row.suite === suite && r.row.engine === engine && r.row.rules === rules && r.row.ctx === ctx)?.row;
}

/** the targets: cascade, 100 rules, allow path incl. projection */
function targets(report: Report): Target[] {
  const out: Target[] = [];
  for (const ctx of ['small', '1kb']) {
    const c = find(report, 'allow', 'cascade', 100, ctx);
    const h = find(report, 'allow', 'hand-js', 100, ctx);
    const cw = find(report, 'allow', 'cedar-wasm', 100, ctx);
    const jre = find(report, 'allow', 'json-rules-engine', 100, ctx);
    if (!c?.p50_ns || !c.p99_ns || !h?.p50_ns || !cw?.p50_ns || !jre?.p50_ns) continue;
    const vsHand = c.p50_ns / h.p50_ns;
    const vsCedar = cw.p50_ns / c.p50_ns;
    const vsJre = jre.p50_ns / c.p50_ns;
    out.push(
      { ctx, name: 'p50 vs hand-written JS', measured: `${vsHand.toFixed(1)}× slower`, goal: 'within 3×', met: vsHand <= 3 },
      { ctx, name: 'p50 vs cedar-wasm', measured: `${vsCedar.toFixed(0)}× faster`, goal: '≥ 100× faster', met: vsCedar >= 100 },
      { ctx, name: 'p50 vs json-rules-engine', measured: `${vsJre.toFixed(0)}× faster`, goal: '≥ 500× faster', met: vsJre >= 500 },
      { ctx, name: 'p99', measured: fmtNs(c.p99_ns), goal: '≤ 10 µs', met: c.p99_ns <= 10_000 },
    );
  }
  const m = report.memory;
  out.push({
    ctx: '1kb',
    name: `kernel memory, ${m.policies} rules`,
    measured: `${(m.linearMemoryBytes / 1048576).toFixed(2)} MiB committed (${(m.laidOutBytes / 1048576).toFixed(2)} MiB laid out)`,
    goal: '≤ 4 MiB',
    met: m.linearMemoryBytes <= KERNEL_MEMORY_LIMIT && (m.engineLinearMemoryBytes ?? 0) <= KERNEL_MEMORY_LIMIT,
  });
  return out;
}

function machine(): string {
  return `${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** 1-minute load average: other processes on the machine skew every figure, so it is recorded */
const load = (): string => loadavg()[0]!.toFixed(1);
const loadAtStart = load();

function table(head: string[], body: string[][], md: boolean): string {
  if (md) return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function human(report: Report, md: boolean): string {
  const ops = (n: number): string => n.toLocaleString('en-US');
  const out: string[] = [];
  const h2 = (t: string): void => void out.push('', md ? `### ${t}` : `== ${t}`, '');
  out.push(`machine: ${machine()}`);
  out.push(`load average (1 min): ${loadAtStart} at start, ${load()} at end`);
  out.push(`timer: hrtime pair ~${report.timerOverheadNs} ns, included in single-call samples`);

  h2('per-evaluation latency (interleaved A/B; cascade includes projection of the raw event)');
  const timing = report.rows.filter((r) => ['allow', 'deny', 'mixed'].includes(r.row.suite));
  out.push(
    table(
      ['suite', 'rules', 'ctx', 'engine', 'p50', 'p99', 'ops/s', 'method', 'samples'],
      timing.map(({ row, detail }) => [row.suite, String(row.rules), row.ctx, row.engine, fmtNs(row.p50_ns), fmtNs(row.p99_ns), ops(row.ops_per_s), detail.method, String(detail.samples)]),
      md,
    ),
  );

  const steps = report.rows.filter((r) => r.row.suite === 'breakdown-allow');
  if (steps.length > 0) {
    h2('where cascade spends the allow path (100 rules; each step includes the ones above it)');
    const body: string[][] = [];
    let prev: number | null = null;
    let prevCtx = '';
    for (const { row } of steps) {
      if (row.ctx !== prevCtx) prev = null;
      const step = row.engine.startsWith('step') || row.engine.startsWith('engine');
      const d = step && prev !== null && row.p50_ns !== null ? row.p50_ns - prev : null;
      const delta = d === null ? '' : d >= 0 ? `+${fmtNs(d)}` : `−${fmtNs(-d)}`;
      body.push([row.ctx, row.engine, fmtNs(row.p50_ns), delta]);
      if (step) prev = row.p50_ns;
      prevCtx = row.ctx;
    }
    out.push(table(['ctx', 'step', 'p50', 'added by the step'], body, md));
  }

  h2('benchmark.js ops/s on the mixed 90/10 stream (not interleaved)');
  const bjs = report.rows.filter((r) => r.row.suite === 'benchmarkjs-mixed');
  out.push(table(['rules', 'ctx', 'engine', 'ops/s', 'margin', 'samples'], bjs.map(({ row, detail }) => [String(row.rules), row.ctx, row.engine, ops(row.ops_per_s), detail.method.replace('benchmark.js ', ''), String(detail.samples)]), md));

  h2(`marshalling the 1 KB event (${report.marshalSizes.json} B JSON, ${report.marshalSizes.msgpack} B msgpack)`);
  const marshal = report.rows.filter((r) => r.row.suite.startsWith('marshal'));
  out.push(table(['suite', 'engine', 'p50', 'p99', 'ops/s', 'method'], marshal.map(({ row, detail }) => [row.suite, row.engine, fmtNs(row.p50_ns), fmtNs(row.p99_ns), ops(row.ops_per_s), detail.method]), md));

  h2('agreement before timing (every peer vs cascade, verdict and violated rules)');
  out.push(
    table(
      ['rules', 'ctx', 'args', 'denied', 'agreeing'],
      report.workloads.map((w) => [
        String(w.rules),
        w.ctx,
        `~${w.meanArgsBytes} B`,
        `${w.agreement.denied}/${w.agreement.events} (${((100 * w.agreement.denied) / w.agreement.events).toFixed(1)} %)`,
        Object.entries(w.agreement.agreeing)
          .filter(([k]) => k !== 'cascade')
          .map(([k, v]) => `${k} ${v}/${w.agreement.events}`)
          .join(', '),
      ]),
      md,
    ),
  );

  const m = report.memory;
  h2(`kernel memory, ${m.policies} rules (cascade and hand-js agree on ${m.agreeingWithHandJs}/${m.events} events)`);
  const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;
  out.push(
    table(
      ['area', 'bytes'],
      [
        ['kernel static data + stack', kib(m.staticBytes)],
        ['program image (bundle.program.image)', kib(m.imageBytes)],
        ['input: slot table, 4096 value records, output, pending', kib(m.inputBytes)],
        ['run state (4096 runs; stateless rules)', kib(m.stateBytes)],
        ['string area', kib(m.stringBytes)],
        ['laid out in total', kib(m.laidOutBytes)],
        ['committed linear memory (standalone instance)', kib(m.linearMemoryBytes)],
        ['committed linear memory (engine, after the 1 KB stream)', m.engineLinearMemoryBytes === undefined ? 'not readable' : kib(m.engineLinearMemoryBytes)],
      ],
      md,
    ),
  );

  h2('targets (cascade, 100 rules, allow path incl. projection)');
  out.push(table(['ctx', 'target', 'measured', 'goal', 'status'], targets(report).map((t) => [t.ctx, t.name, t.measured, t.goal, t.met ? 'met' : 'NOT MET']), md));
  return out.join('\n');
}

const started = Date.now();
const report = await runEngineSuites(quick ? QUICK : FULL, (line) => process.stderr.write(`${line}\n`));
if (json) {
  for (const { row } of report.rows) {
    const { suite, engine, rules, ctx, p50_ns, p99_ns, ops_per_s } = row;
    process.stdout.write(`${JSON.stringify({ suite, engine, rules, ctx, p50_ns, p99_ns, ops_per_s })}\n`);
  }
  process.stdout.write(`${JSON.stringify({ suite: 'memory', engine: 'cascade', rules: report.memory.policies, ...report.memory })}\n`);
  process.stdout.write(`${JSON.stringify({ suite: 'targets', engine: 'cascade', rules: 100, machine: machine(), loadAverage: { start: Number(loadAtStart), end: Number(load()) }, targets: targets(report) })}\n`);
} else {
  process.stdout.write(`${human(report, markdown)}\n`);
}
process.stderr.write(`bench finished in ${((Date.now() - started) / 1000).toFixed(1)} s${quick ? ' (--quick: smoke run, figures not meaningful)' : ''}\n`);
