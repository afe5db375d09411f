// `cascade replay <trace.jsonl>`: evaluates a recorded trace offline with run state, through the
// same engine (policies + frameworks) the SDK uses live: "what would this policy set have done".

import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { decodeTraceLine } from '../events/jsonl.js';
import { createEngine, type Engine } from '../engine/engine.js';
import type { Decision, Mode, Outcome } from '../engine/decision.js';
import { compilePolicies, formatDiagnostics, loadPolicySources, type Bundle } from '../policy/index.js';
import { createFrameworks, parseFrameworkList, type FrameworkSet } from '../frameworks/index.js';

export interface ReplayFinding {
  policy: string;
  framework?: string;
  severity: string;
  classification?: string;
}

export interface ReplayDecision {
  line: number;
  runId: string;
  kind: string;
  tool?: string;
  outcome: Outcome;
  findings: ReplayFinding[];
}

export interface ReplaySummary {
  events: number;
  runs: number;
  mode: Mode;
  outcomes: Partial<Record<Outcome, number>>;
  /** per policy or `framework/rule`: how many events it would have flagged, blocked, ... */
  policies: Record<string, Partial<Record<Outcome | 'shadow', number>>>;
  errors: { line: number; message: string }[];
}

export interface ReplayResult {
  summary: ReplaySummary;
  decisions: ReplayDecision[];
}

export interface ReplayOptions {
  mode?: Mode;
  bundle?: Bundle;
  frameworks?: FrameworkSet;
  onProgress?: (bytes: number) => void;
}

/** Replays lines (from any source) and collects decisions. Never throws on bad lines. */
export async function replayLines(lines: AsyncIterable<string> | Iterable<string>, opts: ReplayOptions): Promise<ReplayResult> {
  const mode = opts.mode ?? 'enforce';
  const bundle = opts.bundle ?? emptyBundle();
  const engine: Engine = createEngine(bundle, { ...(opts.frameworks ? { frameworks: opts.frameworks } : {}), maxRuns: 1 << 16 });
  const halted = new Set<string>();
  const runs = new Set<string>();
  const decisions: ReplayDecision[] = [];
  const summary: ReplaySummary = { events: 0, runs: 0, mode, outcomes: {}, policies: {}, errors: [] };
  let line = 0;
  let bytes = 0;
  for await (const text of lines) {
    line++;
    bytes += text.length + 1;
    if (opts.onProgress && line % 2000 === 0) opts.onProgress(bytes);
    const r = decodeTraceLine(text, line);
    if (!r) continue;
    if ('error' in r) {
      summary.errors.push(r.error);
      continue;
    }
    const event = r.event;
    summary.events++;
    runs.add(event.runId);
    const tool = typeof (event as { tool?: unknown }).tool === 'string' ? (event as { tool: string }).tool : undefined;
    let outcome: Outcome;
    let d: Decision | undefined;
    if (halted.has(event.runId)) outcome = 'halt';
    else {
      d = engine.evaluate(event, { mode });
      outcome = d.outcome;
      if (outcome === 'halt') halted.add(event.runId);
    }
    summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
    const findings: ReplayFinding[] = [];
    for (const v of d?.violations ?? []) {
      const f: ReplayFinding = { policy: v.policy, severity: v.severity };
      if (v.framework) f.framework = v.framework;
      if (v.classification) f.classification = v.classification;
      findings.push(f);
      const per = (summary.policies[v.policy] ??= {});
      const key: Outcome | 'shadow' = v.shadow ? 'shadow' : v.effectiveMode === 'enforce' ? actionOutcome(v.action) : 'flag';
      per[key] = (per[key] ?? 0) + 1;
    }
    for (const e of d?.errors ?? []) summary.errors.push({ line, message: `evaluation error: ${e.message}` });
    decisions.push({ line, runId: event.runId, kind: event.kind, ...(tool !== undefined ? { tool } : {}), outcome, findings });
  }
  summary.runs = runs.size;
  return { summary, decisions };
}

function actionOutcome(a: string): Outcome {
  return a === 'allow' ? 'flag' : (a as Outcome);
}

function emptyBundle(): Bundle {
  const r = compilePolicies([]);
  if (!r.ok) throw new Error('internal: empty bundle');
  return r.bundle;
}

export interface ReplayCliOptions {
  policies?: string[];
  frameworks?: string;
  mode?: string;
  json?: boolean;
}

export async function replayCommand(file: string, o: ReplayCliOptions, io: { out: (s: string) => void; err: (s: string) => void; isTTY: boolean }): Promise<number> {
  const mode = (o.mode ?? 'enforce') as Mode;
  if (mode !== 'detect' && mode !== 'enforce') {
    io.err(`cascade replay: \`--mode\` must be detect or enforce, got \`${o.mode}\`\n`);
    return 2;
  }
  let bundle: Bundle | undefined;
  if (o.policies && o.policies.length > 0) {
    const { sources, missing } = loadPolicySources(o.policies);
    if (missing.length > 0) {
      io.err(`cascade replay: no policy file at ${missing.map((m) => `\`${m}\``).join(', ')}\n`);
      return 2;
    }
    const r = compilePolicies(sources);
    if (!r.ok) {
      io.err(formatDiagnostics(r.diagnostics, new Map(sources.map((s) => [s.file, s.text]))));
      return 1;
    }
    bundle = r.bundle;
  }
  let frameworks: FrameworkSet | undefined;
  if (o.frameworks) {
    const p = parseFrameworkList(o.frameworks);
    if (!p.ok) {
      io.err(`cascade replay: ${p.message}\n`);
      return 2;
    }
    frameworks = createFrameworks(p.names);
  }
  if (!bundle && !frameworks) {
    io.err('cascade replay: give `--policies <paths>` and/or `--frameworks <names>` (e.g. `--frameworks recommended`)\n');
    return 2;
  }
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    io.err(`cascade replay: cannot read \`${file}\`\n`);
    return 2;
  }
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  const progress = io.isTTY && size > 1 << 20 ? (b: number) => io.err(`\r${bar(b / size)} ${Math.min(100, Math.round((100 * b) / size))}%`) : undefined;
  const result = await replayLines(rl, { mode, ...(bundle ? { bundle } : {}), ...(frameworks ? { frameworks } : {}), ...(progress ? { onProgress: progress } : {}) });
  if (progress) io.err(`\r${bar(1)} 100%\n`);
  if (o.json) io.out(JSON.stringify(result) + '\n');
  else io.out(humanSummary(result));
  for (const e of result.summary.errors.slice(0, 20)) io.err(`${file}:${e.line}: ${e.message}\n`);
  if (result.summary.errors.length > 20) io.err(`... ${result.summary.errors.length - 20} more errors\n`);
  return result.summary.errors.some((e) => !e.message.startsWith('evaluation error')) ? 1 : 0;
}

function bar(f: number): string {
  const n = Math.round(Math.min(1, f) * 30);
  return `[${'#'.repeat(n)}${'.'.repeat(30 - n)}]`;
}

function humanSummary(r: ReplayResult): string {
  const s = r.summary;
  const lines = [`replayed ${s.events} events from ${s.runs} runs in ${s.mode} mode`];
  const order: Outcome[] = ['allow', 'flag', 'modify', 'require_approval', 'prevent_response', 'block', 'halt'];
  lines.push('outcomes: ' + order.filter((o) => s.outcomes[o]).map((o) => `${o} ${s.outcomes[o]}`).join(', '));
  const names = Object.keys(s.policies).sort();
  if (names.length > 0) {
    const width = Math.max(...names.map((n) => n.length), 6);
    lines.push('', `${'policy'.padEnd(width)}  would: flag  modify  approve  prevent  block  halt  shadow`);
    for (const n of names) {
      const p = s.policies[n]!;
      const c = (k: Outcome | 'shadow', w: number) => String(p[k] ?? 0).padStart(w);
      lines.push(`${n.padEnd(width)}  ${c('flag', 11)}  ${c('modify', 6)}  ${c('require_approval', 7)}  ${c('prevent_response', 7)}  ${c('block', 5)}  ${c('halt', 4)}  ${c('shadow', 6)}`);
    }
  }
  if (s.errors.length > 0) lines.push('', `${s.errors.length} line(s) could not be evaluated (see stderr)`);
  return lines.join('\n') + '\n';
}
