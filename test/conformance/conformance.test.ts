// Golden conformance corpus: each folder holds a policy, events and the expected decision per event.
// The Wasm engine must produce them, and the reference evaluator must agree on the violated policies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compilePolicies } from '../../src/policy/index.js';
import { createEngine, applyModifications, callDigest, type Mode } from '../../src/engine/index.js';
import { decodeTrace } from '../../src/events/jsonl.js';
import { ReferenceEvaluator } from '../../src/policy/reference.js';

const root = new URL('.', import.meta.url).pathname;
const knownFailures = new Set(
  readFileSync(join(root, 'known-failures.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean),
);
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('conformance corpus', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  for (const name of cases) {
    const run = knownFailures.has(name) ? it.fails : it;
    run(name, () => {
      const dir = join(root, name);
      const policyFile = existsSync(join(dir, 'policy.yaml')) ? 'policy.yaml' : 'policy.json';
      const compiled = compilePolicies([{ file: policyFile, text: readFileSync(join(dir, policyFile), 'utf8') }]);
      if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics, null, 2));
      const mode: Mode = existsSync(join(dir, 'case.json')) ? JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).mode : 'enforce';
      const trace = decodeTrace(readFileSync(join(dir, 'events.jsonl'), 'utf8'));
      expect(trace.errors).toEqual([]);
      const expected = readFileSync(join(dir, 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(expected.length).toBe(trace.events.length);
      const engine = createEngine(compiled.bundle, { now: () => 0 });
      const ref = new ReferenceEvaluator(compiled.bundle.policies);
      trace.events.forEach(({ event }, i) => {
        const want = expected[i];
        const d = engine.evaluate(event, { mode });
        const where = `${name} event ${i + 1}`;
        expect(d.outcome, where).toBe(want.outcome);
        expect(d.violations.map((v) => v.policy), where).toEqual(want.violations);
        if (want.errors !== undefined) expect(d.errors.length, where).toBe(want.errors);
        if (want.modified) {
          const m = applyModifications(event, d) as unknown as Record<string, unknown>;
          for (const [k, v] of Object.entries(want.modified)) expect(m[k], where).toEqual(v);
        }
        if (mode !== 'observe') {
          const r = ref.check(event, event.time ?? 0, callDigest(event));
          const names = r.violated.map((pi) => compiled.bundle.policies[pi]!.name).sort();
          const kernelNames = d.violations.filter((v) => v.policyType !== 'custom').map((v) => v.policy).sort();
          expect(names, `${where} (reference)`).toEqual(kernelNames);
          if (['allow', 'flag', 'modify'].includes(d.outcome)) r.commit();
          if (event.kind === 'run.end') ref.endRun(event.runId);
        }
      });
    });
  }
});
