import { describe, expect, it } from 'vitest';
import { compilePolicies, type Diagnostic } from '../../src/policy/index.js';
import { definePolicy, all, field } from '../../src/policy/builder.js';

function diags(text: string, file = 'p.yaml'): Diagnostic[] {
  const r = compilePolicies([{ file, text }]);
  expect(r.ok).toBe(false);
  return r.diagnostics.filter((d) => d.severity === 'error');
}
function codes(text: string): string[] {
  return diags(text).map((d) => d.code);
}

describe('compilePolicies: diagnostics', () => {
  it('reports YAML syntax errors with line and column', () => {
    const d = diags('name: a\ntype: rule\non: tool.call\nwhen: { tool: [a, b }\n');
    expect(d[0]!.code).toBe('syntax');
    expect(d[0]!.line).toBe(4);
    expect(d[0]!.file).toBe('p.yaml');
  });
  it('points unknown fields at their key and suggests the near one', () => {
    const d = diags('name: a\ntype: rule\non: tool.call\nwhen: { tool: x }\nseverty: high\n');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'unknown-field', line: 5, column: 1, help: 'did you mean `severity`?' });
    expect(d[0]!.message).toBe('unknown field `severty` in a `rule` policy');
  });
  it('rejects unknown operators with a suggestion', () => {
    const d = diags('name: a\ntype: rule\non: tool.call\nwhen:\n  args.amount: { gte: 1, gtee: 5 }\n');
    expect(d[0]).toMatchObject({ code: 'unknown-operator', line: 5, help: 'did you mean `gte`?' });
  });
  it('checks field paths against the event kind', () => {
    const d = diags('name: a\ntype: rule\non: llm.request\nwhen: { args.amount: { gt: 1 } }\n');
    expect(d[0]!.code).toBe('unknown-field');
    expect(d[0]!.message).toContain('`llm.request` events have no field `args`');
  });
  it('rejects wrong value types', () => {
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen: { args.amount: { gt: "5" } }\n')).toEqual(['wrong-type']);
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen: { args.x: { exists: 1 } }\n')).toEqual(['wrong-type']);
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen: { args.x: { in: [] } }\n')).toEqual(['empty-condition']);
  });
  it('finds duplicate names across files', () => {
    const r = compilePolicies([
      { file: 'a.yaml', text: 'name: dup\ntype: tool\nallowed_tools: [x]\n' },
      { file: 'b.yaml', text: 'name: dup\ntype: tool\nallowed_tools: [y]\n' },
    ]);
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 'duplicate-name', file: 'b.yaml', line: 1 });
    expect(r.diagnostics[0]!.message).toContain('first defined in `a.yaml`');
  });
  it('finds contradictory conditions', () => {
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen: { args.n: { gt: 10, lt: 5 } }\n')).toEqual(['contradictory-condition']);
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen:\n  all:\n    - tool: a\n    - tool: b\n')).toEqual(['contradictory-condition']);
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen: { args.n: { eq: 3, ne: 3 } }\n')).toEqual(['contradictory-condition']);
    expect(codes('name: a\ntype: tool\nallowed_tools: [x]\ndisallowed_tools: [x]\n')).toEqual(['contradictory-condition']);
    // `[*]` paths hold many values, so two different eq tests can both hold
    expect(compilePolicies([{ text: 'name: a\ntype: rule\non: tool.call\nwhen:\n  all:\n    - args.to[*]: a\n    - args.to[*]: b\n' }]).ok).toBe(true);
  });
  it('rejects backtracking-only regex features', () => {
    const d = diags("name: a\ntype: rule\non: tool.call\nwhen: { args.x: { pattern: '(a)\\1' } }\n");
    expect(d[0]!.code).toMatch(/^pattern-/);
    expect(d[0]!.line).toBe(4);
    expect(codes("name: a\ntype: rule\non: tool.call\nwhen: { args.x: { pattern: 'a(?=b)' } }\n")[0]).toMatch(/^pattern-/);
  });
  it('requires the parts each type needs', () => {
    expect(codes('name: a\ntype: rule\nwhen: { tool: x }\n')).toEqual(['missing-field']);
    expect(codes('name: a\ntype: rule\non: tool.call\n')).toEqual(['missing-field']);
    expect(codes('name: a\ntype: sequence\non: tool.call\ncount: { max: 1 }\nsum: { field: args.a, max: 1 }\n')).toEqual(['conflicting-fields']);
    expect(codes('name: a\ntype: tool\n')).toEqual(['empty-policy']);
    expect(codes('type: tool\nallowed_tools: [x]\n')).toEqual(['missing-field']);
    expect(codes('name: a\ntype: magic\n')).toEqual(['unknown-type']);
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen: { tool: x }\naction: modify\n')).toEqual(['missing-field']);
  });
  it('rejects actions on kinds where they mean nothing', () => {
    expect(codes('name: a\ntype: rule\non: tool.call\nwhen: { tool: x }\naction: prevent_response\n')).toEqual(['action-not-applicable']);
    expect(codes('name: a\ntype: rule\non: agent.response\nwhen: { content: x }\naction: require_approval\n')).toEqual(['action-not-applicable']);
  });
  it('reports every problem in one pass, not just the first', () => {
    const d = diags('name: a\ntype: rule\non: tool.call\nwhen: { args.n: { gt: x } }\nseverity: urgent\n---\nname: b\ntype: tool\n');
    expect(d.map((x) => x.code).sort()).toEqual(['empty-policy', 'invalid-value', 'wrong-type']);
  });
  it('bounds nesting and size', () => {
    let deep = 'x';
    for (let i = 0; i < 100; i++) deep = `{ not: ${deep} }`;
    expect(codes(`name: a\ntype: rule\non: tool.call\nwhen: ${deep}\n`)).toContain('nesting-too-deep');
    expect(codes('x'.repeat(2 * 1024 * 1024))).toEqual(['source-too-large']);
  });
  it('rejects YAML aliases (no billion laughs)', () => {
    expect(codes('name: a\ntype: tool\nallowed_tools: &t [x]\ndisallowed_tools: *t\n')).toContain('alias-not-supported');
  });
  it('never throws on garbage', () => {
    for (const t of ['', '---', '[]', '42', '"x"', '{', ']', 'name: [', '\u0000\u0001', 'a: b: c', '- - -']) {
      expect(() => compilePolicies([{ text: t }])).not.toThrow();
    }
    expect(() => compilePolicies([null as never, { text: 1 as never }, {} as never])).not.toThrow();
  });
});

describe('compilePolicies: bundles', () => {
  const yaml = `name: refund-limit
type: rule
on: tool.call
severity: high
when:
  all:
    - tool: { eq: issue_refund }
    - args.amount: { gt: 500 }
action: require_approval
`;
  it('reads JSON the same as YAML and hashes by content', () => {
    const a = compilePolicies([{ text: yaml }]);
    const b = compilePolicies([
      { file: 'p.json', text: JSON.stringify({ name: 'refund-limit', type: 'rule', on: 'tool.call', severity: 'high', when: { all: [{ tool: { eq: 'issue_refund' } }, { 'args.amount': { gt: 500 } }] }, action: 'require_approval' }) },
    ]);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.bundle.hash).toBe(b.bundle.hash);
    expect(a.bundle.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.bundle.bundleVersion).toBe(1);
  });
  it('the builder produces the same policy as the YAML file', () => {
    const p = definePolicy({
      name: 'refund-limit',
      type: 'rule',
      on: 'tool.call',
      severity: 'high',
      when: all(field('tool').eq('issue_refund'), field('args.amount').gt(500)),
      action: 'require_approval',
    });
    const a = compilePolicies([{ text: yaml }]);
    const b = compilePolicies([{ policy: p }]);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(b.bundle.hash).toBe(a.bundle.hash);
  });
  it('a changed policy gets a new version, unchanged ones keep theirs', () => {
    const a = compilePolicies([{ text: yaml + '---\nname: other\ntype: tool\nallowed_tools: [x]\n' }]);
    const b = compilePolicies([{ text: yaml.replace('500', '600') + '---\nname: other\ntype: tool\nallowed_tools: [x]\n' }]);
    if (!a.ok || !b.ok) throw new Error('compile failed');
    expect(a.bundle.policyVersions[0]).not.toBe(b.bundle.policyVersions[0]);
    expect(a.bundle.policyVersions[1]).toBe(b.bundle.policyVersions[1]);
    expect(a.bundle.hash).not.toBe(b.bundle.hash);
  });
  it('disabled policies are left out', () => {
    const r = compilePolicies([{ text: 'name: a\ntype: tool\nallowed_tools: [x]\nenabled: false\n' }]);
    expect(r.ok && r.bundle.policies.length).toBe(0);
  });
});
