// Fuzzing the policy loader and compiler: random text, mutated valid policies and random JSON
// structures must come back as diagnostics, never as a thrown error or a hang.
import fc from 'fast-check';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicies } from '../../src/policy/index.js';

const DEEP = process.env.CASCADE_DEEP === '1';
const RUNS = DEEP ? 50_000 : 2_000;
const corpusDir = new URL('../conformance/', import.meta.url).pathname;
const seeds = readdirSync(corpusDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(corpusDir, d.name, 'policy.yaml')))
  .map((d) => readFileSync(join(corpusDir, d.name, 'policy.yaml'), 'utf8'));

function compileBounded(text: string): void {
  const t0 = performance.now();
  const r = compilePolicies([{ file: 'fuzz.yaml', text }]);
  // a hang detector, not a benchmark: anything near this ceiling is a bug
  expect(performance.now() - t0).toBeLessThan(5_000);
  if (!r.ok) {
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) {
      expect(typeof d.code).toBe('string');
      expect(d.line).toBeGreaterThanOrEqual(0);
      expect(d.code).not.toBe('internal-error');
    }
  }
}

const mutate = (s: string, ops: { at: number; kind: number; ch: string }[]): string => {
  let out = s;
  for (const op of ops) {
    const i = op.at % (out.length + 1);
    if (op.kind === 0) out = out.slice(0, i) + op.ch + out.slice(i);
    else if (op.kind === 1) out = out.slice(0, i) + out.slice(i + 1);
    else if (op.kind === 2) out = out.slice(0, i) + out.slice(i, i + 20) + out.slice(i);
    else out = out.slice(0, i) + op.ch.repeat(3) + out.slice(i + 1);
  }
  return out;
};

describe('policy compiler fuzzing', () => {
  it('random text never throws', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), compileBounded), { numRuns: RUNS });
  });
  it('mutated valid policies never throw', () => {
    const opArb = fc.record({ at: fc.nat(5000), kind: fc.nat(3), ch: fc.constantFrom(':', '-', ' ', '\n', '{', '}', '[', ']', "'", '"', '*', '\\', '(', ')', 'a', '0', '\t', '#', '&', '!', '|', '>') });
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(opArb, { minLength: 1, maxLength: 6 }), (seed, ops) => compileBounded(mutate(seed, ops))),
      { numRuns: RUNS },
    );
  });
  it('random JSON structures (as builder input and as text) never throw', () => {
    const json = fc.jsonValue({ maxDepth: 6 });
    const shaped = fc.record({
      name: fc.oneof(fc.constant('p'), fc.string()),
      type: fc.constantFrom('tool', 'rule', 'sequence', 'custom', 'x'),
      on: fc.oneof(fc.constant('tool.call'), json),
      when: json,
      count: json,
      sum: json,
      after: json,
      repeat: json,
      allowed_tools: json,
      arguments: json,
      action: fc.oneof(fc.constantFrom('block', 'modify', 'halt'), json),
      modify: json,
    }, { requiredKeys: ['name', 'type'] });
    fc.assert(
      fc.property(fc.oneof(json, shaped), (v) => {
        expect(() => compilePolicies([{ policy: v as object }])).not.toThrow();
        compileBounded(JSON.stringify(v) ?? 'null');
      }),
      { numRuns: RUNS },
    );
  });
  it('hostile sizes come back as diagnostics', () => {
    const wide = 'name: w\ntype: tool\nallowed_tools: [' + Array.from({ length: 20_000 }, (_, i) => `t${i}`).join(', ') + ']\n';
    expect(compilePolicies([{ text: wide }]).diagnostics.map((d) => d.code)).toContain('limit-exceeded');
    const many = Array.from({ length: 3000 }, (_, i) => `- args.a${i}: 1`).join('\n    ');
    const r = compilePolicies([{ text: `name: m\ntype: rule\non: tool.call\nwhen:\n  any:\n    ${many}\n` }]);
    expect(r.ok ? [] : r.diagnostics.map((d) => d.code)).toContain('limit-exceeded');
    const longPattern = `name: p\ntype: rule\non: tool.call\nwhen: { args.x: { pattern: '${'(a|b)'.repeat(2000)}' } }\n`;
    expect(compilePolicies([{ text: longPattern }]).ok).toBe(false);
  });
});
