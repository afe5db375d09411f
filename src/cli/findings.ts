// `cascade findings [--db <path>] [--run <id>] [--all] [--limit n] [--json]`: reads the embedded
// SQLite store that the SDK writes (.cascade/cascade.db) and lists runs or a run's findings.

import { existsSync } from 'node:fs';
import { DEFAULT_STORE_PATH, SqliteFindingStore } from '../findings/sqlite-store.js';
import type { Finding, FindingOutcome } from '../findings/finding.js';

export interface FindingsCliOptions {
  db?: string;
  run?: string;
  all?: boolean;
  limit?: string;
  json?: boolean;
}

const INTERVENTIONS: FindingOutcome[] = ['flagged', 'modified', 'would_block', 'blocked', 'halted', 'error'];

export function findingsCommand(o: FindingsCliOptions, io: { out: (s: string) => void; err: (s: string) => void }): number {
  const path = o.db ?? DEFAULT_STORE_PATH;
  if (!existsSync(path)) {
    io.err(`cascade findings: no store at \`${path}\` (the SDK creates it on the first traced run; \`--db\` names another)\n`);
    return 2;
  }
  const limit = o.limit === undefined ? 20 : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    io.err(`cascade findings: \`--limit\` must be a positive whole number, got \`${o.limit}\`\n`);
    return 2;
  }
  let store: SqliteFindingStore;
  try {
    store = SqliteFindingStore.open({ path });
  } catch (err) {
    io.err(`cascade findings: cannot open \`${path}\`: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    if (o.run === undefined) {
      const runs = store.listRuns({ limit });
      if (o.json) io.out(JSON.stringify(runs) + '\n');
      else {
        io.out(`${runs.total} runs in ${path} (newest ${runs.items.length}):\n`);
        for (const r of runs.items)
          io.out(`  ${r.runId}  ${new Date(r.startedAt).toISOString()}  ${(r.status ?? '').padEnd(7)} ${String(r.interventionCount).padStart(3)} interventions  ${r.findingCount} findings  ${r.name ?? ''}\n`);
        io.out('show one: cascade findings --run <id>\n');
      }
      return 0;
    }
    const page = store.listFindings({ runId: o.run, limit, order: 'asc', ...(o.all ? {} : { outcome: INTERVENTIONS }) });
    if (o.json) io.out(JSON.stringify(page) + '\n');
    else {
      io.out(`${page.total} ${o.all ? 'findings' : 'findings that flagged or intervened'} in run ${o.run}:\n`);
      for (const f of page.items) io.out(formatFinding(f));
    }
    return 0;
  } finally {
    store.close();
  }
}

function formatFinding(f: Finding): string {
  const where = f.tool ? `${f.eventKind} ${f.tool}` : f.eventKind;
  const ev = f.evidence[0];
  const evidence = ev ? `  evidence: ${ev.field}${ev.start !== undefined ? `[${ev.start}..${ev.end}]` : ''}${ev.excerpt ? ` ${ev.excerpt}` : ''}\n` : '';
  return `- ${new Date(f.time).toISOString()} ${f.outcome.toUpperCase()} ${f.severity} ${f.policy ?? f.framework ?? ''} (${where}, ${f.effectiveMode})\n  ${f.message}\n${evidence}`;
}
