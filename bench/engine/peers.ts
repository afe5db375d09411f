// The engines under comparison, each built from the same BenchRule set and each taking the raw
// tool-call event. Every adapter returns `undefined` for allow and the names of the violated rules
// for deny, so agreement.ts can compare both the verdict and which rules fired.
//
// Each peer gets the formulation a competent user of it would write:
//   hand-js            a Map from tool to straight-line predicates (one compiled function per rule,
//                      as if written by hand), the practical lower bound for this rule set
//   cedar-wasm         one `forbid` per rule scoped to `Action::"<tool>"`, conditions on `context`,
//                      a catch-all `permit`, preparsed once and called with statefulIsAuthorized
//   json-rules-engine  one Engine holding all rules, facts `tool` and `args`, a plain property
//                      path resolver (not JSONPath), custom operators for string tests
//   cascade            compilePolicies + createEngine; evaluate() includes projection

import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { Engine as RulesEngine, Operator, type TopLevelCondition } from 'json-rules-engine';
import { compilePolicies, type Bundle } from '../../src/policy/index.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import type { ToolCallEvent } from '../../src/events/types.js';
import { cascadePolicyYaml, type BenchCondition, type BenchRule } from './workload.js';

export const ENGINES = ['cascade', 'hand-js', 'cedar-wasm', 'json-rules-engine'] as const;
export type EngineName = (typeof ENGINES)[number];

/** undefined = allow; otherwise the violated rules' names */
export type Verdict = readonly string[] | undefined;

export type Contender =
  | { engine: EngineName; sync: true; evaluate(event: ToolCallEvent): Verdict }
  | { engine: EngineName; sync: false; evaluate(event: ToolCallEvent): Promise<Verdict> };

// ------------------------------------------------------------------ cascade

export interface CascadePeer {
  contender: Contender;
  bundle: Bundle;
  engine: Engine;
}

export function compileBundle(rules: readonly BenchRule[]): Bundle {
  const r = compilePolicies([{ file: 'bench-rules.yaml', text: cascadePolicyYaml(rules) }]);
  if (!r.ok) throw new Error(`bench rules do not compile:\n${r.diagnostics.map((d) => `${d.code}: ${d.message}`).join('\n')}`);
  return r.bundle;
}

export function cascadePeer(rules: readonly BenchRule[]): CascadePeer {
  const bundle = compileBundle(rules);
  const engine = createEngine(bundle);
  const opts = { mode: 'enforce' } as const;
  return {
    bundle,
    engine,
    contender: {
      engine: 'cascade',
      sync: true,
      evaluate(event) {
        const d = engine.evaluate(event, opts);
        if (d.outcome === 'allow') return undefined;
        return d.violations.map((v) => v.policy);
      },
    },
  };
}

// ------------------------------------------------------------------ hand-written JS

/** JS source for one condition over `a` (the args); the shape a developer would type by hand. */
function jsTest(c: BenchCondition, regexIndex: number): string {
  const f = `a[${JSON.stringify(c.field)}]`;
  switch (c.op) {
    case 'gt':
      return `typeof ${f} === 'number' && ${f} > ${c.value}`;
    case 'gte':
      return `typeof ${f} === 'number' && ${f} >= ${c.value}`;
    case 'lt':
      return `typeof ${f} === 'number' && ${f} < ${c.value}`;
    case 'in':
      return `(${c.values.map((v) => `${f} === ${JSON.stringify(v)}`).join(' || ')})`;
    case 'prefix':
      return `typeof ${f} === 'string' && ${f}.startsWith(${JSON.stringify(c.value)})`;
    case 'contains':
      return `typeof ${f} === 'string' && ${f}.includes(${JSON.stringify(c.value)})`;
    case 'pattern':
      return `typeof ${f} === 'string' && re[${regexIndex}].test(${f})`;
  }
}

export function handJsPeer(rules: readonly BenchRule[]): Contender {
  type Predicate = (args: ToolCallEvent['args']) => boolean;
  const byTool = new Map<string, { name: string; test: Predicate }[]>();
  for (const r of rules) {
    const regexes: RegExp[] = [];
    const body = r.conditions
      .map((c) => {
        if (c.op === 'pattern') regexes.push(new RegExp(c.regex));
        return jsTest(c, regexes.length - 1);
      })
      .join(' && ');
    // one function per rule with its constants inlined, as hand-written code would have
    const test = new Function('re', `return function ${r.name}(a) { return ${body}; };`)(regexes) as Predicate;
    const list = byTool.get(r.tool) ?? [];
    list.push({ name: r.name, test });
    byTool.set(r.tool, list);
  }
  return {
    engine: 'hand-js',
    sync: true,
    evaluate(event) {
      const list = byTool.get(event.tool);
      if (list === undefined) return undefined;
      let hit: string[] | undefined;
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        if (r.test(event.args)) (hit ??= []).push(r.name);
      }
      return hit;
    },
  };
}

// ------------------------------------------------------------------ cedar-wasm

function cedarString(s: string, inLike = false): string {
  let out = '';
  for (const ch of s) {
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '*' && inLike) out += '\\*';
    else out += ch;
  }
  return `"${out}"`;
}

function cedarTest(c: BenchCondition): string {
  const f = `context.${c.field}`;
  switch (c.op) {
    case 'gt':
      return `${f} > ${c.value}`;
    case 'gte':
      return `${f} >= ${c.value}`;
    case 'lt':
      return `${f} < ${c.value}`;
    case 'in':
      return `[${c.values.map((v) => cedarString(v)).join(', ')}].contains(${f})`;
    case 'prefix':
      return `${f} like ${cedarString(c.value, true).slice(0, -1)}*"`;
    case 'contains':
      return `${f} like "*${cedarString(c.value, true).slice(1, -1)}*"`;
    case 'pattern':
      // `like` is already a glob: `*` is the wildcard, and the pattern pool has no literal `*`
      return `${f} like "${c.like}"`;
  }
}

/** Cedar text for the rule set, keyed by rule name so diagnostics name the rules that fired. */
export function cedarPolicies(rules: readonly BenchRule[]): Record<string, string> {
  const out: Record<string, string> = { 'allow-all': 'permit(principal, action, resource);' };
  for (const r of rules)
    out[r.name] = `forbid(principal, action == Action::${cedarString(r.tool)}, resource) when { ${r.conditions.map(cedarTest).join(' && ')} };`;
  return out;
}

let cedarSetCounter = 0;

export function cedarPeer(rules: readonly BenchRule[]): Contender {
  const id = `bench-${rules.length}-${cedarSetCounter++}`;
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: cedarPolicies(rules) });
  if (parsed.type !== 'success') throw new Error(`cedar rejected the bench policies: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const principal = { type: 'Agent', id: 'bench-agent' };
  return {
    engine: 'cedar-wasm',
    sync: true,
    evaluate(event) {
      const answer = cedar.statefulIsAuthorized({
        principal,
        action: { type: 'Action', id: event.tool },
        resource: { type: 'Tool', id: event.tool },
        context: event.args as cedar.Context,
        preparsedPolicySetId: id,
        entities: [],
      });
      if (answer.type !== 'success') throw new Error(`cedar failed: ${answer.errors.map((e) => e.message).join('; ')}`);
      const { decision, diagnostics } = answer.response;
      // an erroring forbid is skipped by Cedar, which would silently allow; the bench must not hide that
      if (diagnostics.errors.length > 0) throw new Error(`cedar policy error: ${diagnostics.errors[0]!.error.message}`);
      return decision === 'allow' ? undefined : diagnostics.reason;
    },
  };
}

// ------------------------------------------------------------------ json-rules-engine

function jreCondition(c: BenchCondition): { fact: string; path: string; operator: string; value: unknown } {
  const base = { fact: 'args', path: c.field };
  switch (c.op) {
    case 'gt':
      return { ...base, operator: 'greaterThan', value: c.value };
    case 'gte':
      return { ...base, operator: 'greaterThanInclusive', value: c.value };
    case 'lt':
      return { ...base, operator: 'lessThan', value: c.value };
    case 'in':
      return { ...base, operator: 'in', value: c.values };
    case 'prefix':
      return { ...base, operator: 'startsWith', value: c.value };
    case 'contains':
      return { ...base, operator: 'includesText', value: c.value };
    case 'pattern':
      return { ...base, operator: 'matches', value: c.regex };
  }
}

export function jsonRulesEnginePeer(rules: readonly BenchRule[]): Contender {
  const engine = new RulesEngine([], {
    // plain property access: the default JSONPath resolver would only make this peer slower
    pathResolver: (value: object, path: string) => (value as Record<string, unknown>)[path],
  });
  // string operators only apply to strings, as the other engines' do (the validator sees the fact value)
  const isString = (v: unknown): boolean => typeof v === 'string';
  engine.addOperator(new Operator<string, string>('startsWith', (a, b) => a.startsWith(b), isString));
  engine.addOperator(new Operator<string, string>('includesText', (a, b) => a.includes(b), isString));
  const compiled = new Map<string, RegExp>();
  const regexFor = (source: string): RegExp => {
    let re = compiled.get(source);
    if (re === undefined) compiled.set(source, (re = new RegExp(source)));
    return re;
  };
  engine.addOperator(new Operator<string, string>('matches', (a, b) => regexFor(b).test(a), isString));
  for (const r of rules) {
    const conditions: TopLevelCondition = {
      all: [{ fact: 'tool', operator: 'equal', value: r.tool }, ...r.conditions.map(jreCondition)],
    };
    engine.addRule({ name: r.name, conditions, event: { type: r.name } });
  }
  return {
    engine: 'json-rules-engine',
    sync: false,
    async evaluate(event) {
      const result = await engine.run({ tool: event.tool, args: event.args });
      return result.events.length === 0 ? undefined : result.events.map((e) => e.type);
    },
  };
}

export function buildPeers(rules: readonly BenchRule[]): { cascade: CascadePeer; contenders: Contender[] } {
  const cascade = cascadePeer(rules);
  return { cascade, contenders: [cascade.contender, handJsPeer(rules), cedarPeer(rules), jsonRulesEnginePeer(rules)] };
}
