import { describe, expect, it } from 'vitest';
import { canonicalPath, PathTraversalPack, resolvePath } from '../../src/frameworks/path-traversal/index.js';
import { createFrameworks } from '../../src/frameworks/registry.js';
import { call, rules, scan } from './helpers.js';

const pack = new PathTraversalPack();
const p = (path: string) => rules(scan(pack, path, 'args.path', 'agent_outbound', 'read_file'));

describe('path-traversal', () => {
  it('canonicalises encodings before resolving', () => {
    expect(canonicalPath('..%2f..%2fetc%2fpasswd').path).toBe('../../etc/passwd');
    expect(canonicalPath('%252e%252e%252f').path).toBe('../');
    expect(canonicalPath('..%c0%af..%c0%afetc').path).toBe('../../etc');
    expect(canonicalPath('．．／．．／secret').path).toBe('../../secret');
    expect(resolvePath('a/../../b').escapes).toBe(true);
    expect(resolvePath('a/b/../c').resolved).toBe('a/c');
  });
  it('flags traversal, sensitive files and NUL bytes', () => {
    expect(p('../../etc/passwd')).toEqual(expect.arrayContaining(['traversal-sequence', 'sensitive-file']));
    expect(p('..\\..\\windows\\win.ini')).toContain('traversal-sequence');
    expect(p('/home/u/.ssh/id_rsa')).toContain('sensitive-file');
    expect(p('~/.aws/credentials')).toContain('sensitive-file');
    expect(p('/proc/self/environ')).toContain('sensitive-file');
    expect(p('report.pdf%00.txt')).toContain('null-byte');
    expect(p('.env')).toContain('sensitive-file');
  });
  it('allows ordinary paths and enforces roots when configured', () => {
    for (const ok of ['docs/guide.md', './src/index.ts', '/tmp/out.json', 'a/b/../c.txt', 'dana@example.com']) expect(p(ok), ok).toEqual([]);
    const rooted = new PathTraversalPack({ roots: ['/srv/app'] });
    expect(rules(scan(rooted, '/etc/hosts', 'args.path'))).toContain('outside-root');
    expect(rules(scan(rooted, '/srv/app/data/x.csv', 'args.path'))).toEqual([]);
  });
});

describe('resource-limits', () => {
  it('blocks a call repeated back to back beyond the limit, and counts the judged call', () => {
    const fw = createFrameworks({ 'resource-limits': { maxIdenticalConsecutive: 3 } });
    const run = fw.createRunState('r');
    const outs = [1, 2, 3, 4].map(() => fw.evaluate(call('search', { q: 'same' }), run));
    expect(outs.map((o) => rules(o))).toEqual([[], [], [], ['tool-loop']]);
  });
  it('rate limit over a sliding window, budgets on tokens and cost', () => {
    const fw = createFrameworks({ 'resource-limits': { rate: { calls: 2, windowMs: 1000 }, maxTokens: 100, maxCostUsd: 0.01 } });
    const run = fw.createRunState('r');
    const at = (t: number, q: string) => fw.evaluate({ ...call('search', { q }), time: t }, run);
    expect(rules(at(0, 'a'))).toEqual([]);
    expect(rules(at(10, 'b'))).toEqual([]);
    expect(rules(at(20, 'c'))).toContain('rate-limit');
    expect(rules(at(5000, 'd'))).toEqual([]);
    const r = fw.evaluate({ kind: 'llm.response', runId: 'r', content: 'x', usage: { inputTokens: 90, outputTokens: 20, costUsd: 0.02 } }, run);
    expect(r.map((f) => [f.rule, f.action])).toEqual([['token-budget', 'halt'], ['cost-budget', 'halt']]);
    expect(rules(fw.check({ kind: 'llm.request', runId: 'r', model: 'm', messages: [] }, run))).toEqual(['token-budget', 'cost-budget']);
  });
});
