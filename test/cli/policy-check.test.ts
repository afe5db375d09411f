import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyCheck } from '../../src/cli/policy-check.js';

const repo = new URL('../../', import.meta.url).pathname;

describe('cascade policy check', () => {
  it('accepts the example policies', () => {
    const out = policyCheck([join(repo, 'examples/policies')], {});
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toMatch(/^ok: \d+ policies in 1 file/m);
  });
  it('prints code frames and exits 1 on errors; --json for machines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cascade-check-'));
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'name: bad\ntype: rule\non: tool.call\nwhen: { args.amount: { gt: 10, lt: 5 } }\nseverity: urgent\n');
    const out = policyCheck([f], {});
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain('error[contradictory-condition]');
    expect(out.stderr).toContain(`--> ${f}:4:`);
    expect(out.stderr).toMatch(/4 \| when: \{ args\.amount/);
    expect(out.stderr).toContain('^');
    expect(out.stderr).toContain('error[invalid-value]: `severity` must be one of info, low, medium, high, critical; got `urgent`');
    const json = JSON.parse(policyCheck([f], { json: true }).stdout);
    expect(json.ok).toBe(false);
    expect(json.diagnostics.map((d: { code: string }) => d.code).sort()).toEqual(['contradictory-condition', 'invalid-value']);
  });
  it('exits 2 when nothing is found', () => {
    expect(policyCheck(['/nonexistent/*.yaml'], {}).exitCode).toBe(2);
  });
  it('runs as the installed `cascade` binary', () => {
    const r = spawnSync(process.execPath, [join(repo, 'bin/cascade.js'), 'policy', 'check', join(repo, 'examples/policies'), '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, files: 1 });
  });
});
