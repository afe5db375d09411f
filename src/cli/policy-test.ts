// `cascade policy test <dirs...>`: runs policy test cases. A case is a folder holding
// `policy.yaml` (or .json), `events.jsonl` and `expected.jsonl` (one `{ outcome, violations }` per
// event), optionally `case.json` with `{ "mode": "detect" }`. The same layout as our conformance corpus.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicies, formatDiagnostics } from '../policy/index.js';
import { createEngine } from '../engine/engine.js';
import { decodeTrace } from '../events/jsonl.js';
import type { Mode } from '../engine/decision.js';

export interface CaseResult {
  name: string;
  ok: boolean;
  failures: string[];
}

export function findCases(dirs: string[]): string[] {
  const out: string[] = [];
  const visit = (d: string, depth: number): void => {
    if (depth > 8) return;
    if (existsSync(join(d, 'events.jsonl')) && existsSync(join(d, 'expected.jsonl'))) {
      out.push(d);
      return;
    }
    let entries: string[] = [];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries.sort()) {
      const p = join(d, e);
      try {
        if (statSync(p).isDirectory()) visit(p, depth + 1);
      } catch {
        /* unreadable entries are skipped */
      }
    }
  };
  for (const d of dirs) visit(d, 0);
  return out;
}

export function runCase(dir: string): CaseResult {
  const failures: string[] = [];
  const policyFile = ['policy.yaml', 'policy.yml', 'policy.json'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!policyFile) return { name: dir, ok: false, failures: ['no policy.yaml or policy.json'] };
  const text = readFileSync(policyFile, 'utf8');
  const compiled = compilePolicies([{ file: policyFile, text }]);
  if (!compiled.ok) return { name: dir, ok: false, failures: [formatDiagnostics(compiled.diagnostics, new Map([[policyFile, text]]))] };
  let mode: Mode = 'enforce';
  if (existsSync(join(dir, 'case.json'))) {
    try {
      mode = (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { mode?: Mode }).mode ?? 'enforce';
    } catch (err) {
      return { name: dir, ok: false, failures: [`case.json: ${(err as Error).message}`] };
    }
  }
  const trace = decodeTrace(readFileSync(join(dir, 'events.jsonl'), 'utf8'));
  for (const e of trace.errors) failures.push(`events.jsonl:${e.line}: ${e.message}`);
  const expected = readFileSync(join(dir, 'expected.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (expected.length !== trace.events.length) failures.push(`expected.jsonl has ${expected.length} lines for ${trace.events.length} events`);
  const engine = createEngine(compiled.bundle);
  trace.events.forEach(({ line, event }, i) => {
    const d = engine.evaluate(event, { mode });
    let want: { outcome?: string; violations?: string[] };
    try {
      want = JSON.parse(expected[i] ?? '{}') as typeof want;
    } catch {
      failures.push(`expected.jsonl:${i + 1}: not valid JSON`);
      return;
    }
    const got = d.violations.map((v) => v.policy);
    if (want.outcome !== undefined && want.outcome !== d.outcome) failures.push(`event on line ${line}: outcome \`${d.outcome}\`, expected \`${want.outcome}\``);
    if (want.violations !== undefined && JSON.stringify(want.violations) !== JSON.stringify(got))
      failures.push(`event on line ${line}: violations ${JSON.stringify(got)}, expected ${JSON.stringify(want.violations)}`);
  });
  return { name: dir, ok: failures.length === 0, failures };
}
