import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findingsCommand } from '../../src/cli/findings.js';
import { guardTool, initTracing, shutdown, traceRun } from '../../src/sdk/index.js';

const db = join(mkdtempSync(join(tmpdir(), 'cascade-findings-')), 'cascade.db');
afterAll(() => shutdown());

function run(o: Parameters<typeof findingsCommand>[0]) {
  let out = '';
  let err = '';
  const code = findingsCommand(o, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('cascade findings', () => {
  it('lists runs and the findings that intervened, from the store the SDK wrote', async () => {
    const t = initTracing({
      project: 'cli',
      enforcementMode: 'enforce',
      store: db,
      policies: [{ text: 'name: refund-limit\ntype: rule\non: tool.call\nseverity: high\nwhen: { tool: refund, args.amount: { gt: 100 } }\nmessage: "refund of {{args.amount}} is over 100"\n' }],
    });
    const refund = guardTool(async (a: { amount: number }) => a.amount, { name: 'refund' });
    await traceRun('cli-run', async () => {
      await refund({ amount: 5 });
      await refund({ amount: 500 });
    });
    await t.flush();
    const runs = run({ db, json: true });
    expect(runs.code).toBe(0);
    const page = JSON.parse(runs.out);
    expect(page.total).toBe(1);
    const id = page.items[0].runId;
    const f = run({ db, run: id });
    expect(f.out).toContain('1 findings that flagged or intervened');
    expect(f.out).toContain('BLOCKED high refund-limit');
    expect(f.out).toContain('refund of 500 is over 100');
    const all = JSON.parse(run({ db, run: id, all: true, json: true }).out);
    expect(all.items.map((x: { outcome: string }) => x.outcome)).toEqual(expect.arrayContaining(['allowed', 'blocked']));
  });
  it('says clearly when there is no store or a bad limit', () => {
    expect(run({ db: '/nonexistent/x.db' })).toMatchObject({ code: 2 });
    expect(run({ db, limit: 'x' }).err).toContain('--limit');
  });
});
