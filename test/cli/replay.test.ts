import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayCommand, type ReplayResult } from '../../src/cli/replay.js';

const dir = mkdtempSync(join(tmpdir(), 'cascade-replay-'));
const policies = join(dir, 'p.yaml');
writeFileSync(
  policies,
  `name: no-rm
type: rule
on: tool.call
severity: critical
when: { args.cmd: { contains: "rm -rf" } }
action: halt
---
name: refund-limit
type: rule
on: tool.call
severity: high
when: { tool: issue_refund, args.amount: { gt: 500 } }
---
name: shadow-note
type: rule
on: tool.call
mode: detect
when: { tool: issue_refund }
`,
);
const lines = [
  '{"cascade_trace":1}',
  '{"kind":"run.start","runId":"a","input":"hi"}',
  '{"kind":"run.start","runId":"b","input":"hi"}',
  '{"kind":"tool.call","runId":"a","tool":"shell","args":{"cmd":"rm -rf /"},"callId":"1"}',
  '{"kind":"tool.call","runId":"b","tool":"issue_refund","args":{"amount":900},"callId":"2"}',
  '{"kind":"tool.call","runId":"a","tool":"ls","args":{},"callId":"3"}',
  'not json',
  '{"kind":"tool.call","runId":"b","tool":"issue_refund","args":{"amount":10},"callId":"4"}',
  '{"kind":"run.end","runId":"a"}',
];
const trace = join(dir, 't.jsonl');
writeFileSync(trace, lines.join('\n') + '\n');

async function run(args: Parameters<typeof replayCommand>[1]) {
  let out = '';
  let err = '';
  const code = await replayCommand(trace, args, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

describe('cascade replay', () => {
  it('replays interleaved runs with state; a halted run stays halted', async () => {
    const { code, out, err } = await run({ policies: [policies], json: true });
    expect(code).toBe(1); // one unreadable line
    expect(err).toContain('t.jsonl:7: not valid JSON');
    const r = JSON.parse(out) as ReplayResult;
    expect(r.summary).toMatchObject({ events: 7, runs: 2, mode: 'enforce' });
    const byLine = Object.fromEntries(r.decisions.map((d) => [d.line, d]));
    expect(byLine[4]).toMatchObject({ runId: 'a', outcome: 'halt', findings: [{ policy: 'no-rm', severity: 'critical' }] });
    expect(byLine[5]!.outcome).toBe('block');
    expect(byLine[5]!.findings.map((f) => f.policy)).toEqual(['refund-limit', 'shadow-note']);
    expect(byLine[6]!.outcome).toBe('halt'); // run a was halted before
    expect(byLine[8]!.outcome).toBe('flag'); // only the shadow policy
    expect(byLine[9]!.outcome).toBe('halt');
    expect(r.summary.policies['shadow-note']).toEqual({ shadow: 2 });
    expect(r.summary.policies['refund-limit']).toEqual({ block: 1 });
  });
  it('detect mode flags instead of intervening; frameworks can be added', async () => {
    const { out } = await run({ policies: [policies], mode: 'detect', json: true, frameworks: 'destructive-commands' });
    const r = JSON.parse(out) as ReplayResult;
    expect(new Set(r.decisions.map((d) => d.outcome))).toEqual(new Set(['allow', 'flag']));
    const rm = r.decisions.find((d) => d.line === 4)!;
    expect(rm.findings.some((f) => f.framework === 'destructive-commands')).toBe(true);
  });
  it('prints a human summary and rejects bad flags', async () => {
    const { out } = await run({ policies: [policies] });
    expect(out).toMatch(/replayed 7 events from 2 runs in enforce mode/);
    expect(out).toMatch(/refund-limit\s+0\s+0\s+0\s+0\s+1/);
    expect((await run({ policies: [policies], mode: 'observe' })).code).toBe(2);
    expect((await run({ frameworks: 'nope' })).code).toBe(2);
    expect((await run({})).code).toBe(2);
  });
});
