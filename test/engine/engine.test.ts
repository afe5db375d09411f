import { describe, expect, it } from 'vitest';
import { compilePolicies, type Bundle } from '../../src/policy/index.js';
import { createEngine, applyModifications } from '../../src/engine/index.js';
import type { StreamEvent } from '../../src/events/types.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

function bundle(text: string): Bundle {
  const r = compilePolicies([{ file: 'p.yaml', text }]);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.bundle;
}
const call = (tool: string, args: Record<string, unknown> = {}, runId = 'r1'): StreamEvent =>
  ({ kind: 'tool.call', runId, tool, args, callId: 'c' }) as StreamEvent;

const COUNT = 'name: max-two\ntype: sequence\non: tool.call\ncount: { max: 2 }\n';

describe('engine', () => {
  it('fails closed on malformed events in enforce, flags them in detect', () => {
    const e = createEngine(bundle('name: a\ntype: tool\nallowed_tools: [x]\n'));
    for (const bad of [null, 42, {}, { kind: 'nope', runId: 'r' }, { kind: 'tool.call', tool: 'x', args: {}, callId: 'c' }]) {
      const d = e.evaluate(bad as never);
      expect(d.outcome).toBe('block');
      expect(d.errors[0]!.message.length).toBeGreaterThan(5);
      expect(e.evaluate(bad as never, { mode: 'detect' }).outcome).toBe('flag');
    }
    expect(e.evaluate(call('x'), { mode: 'bogus' as never }).errors[0]!.message).toContain('unknown mode');
  });

  it('a projection past the value limit is an error decided by on_error', () => {
    const closed = createEngine(bundle('name: a\ntype: rule\non: tool.call\nwhen:\n  args.to[*]: { eq: x }\n'), { maxValues: 8 });
    const d = closed.evaluate(call('t', { to: Array.from({ length: 20 }, (_, i) => `v${i}`) }));
    expect(d.outcome).toBe('block');
    expect(d.errors[0]!.message).toContain('more than 8 values');
    const open = createEngine(bundle('name: a\ntype: rule\non: tool.call\non_error: allow\nwhen:\n  args.to[*]: { eq: x }\n'), { maxValues: 8 });
    expect(open.evaluate(call('t', { to: Array.from({ length: 20 }, () => 'y') })).outcome).toBe('flag');
  });

  it('handles large string values by growing the string area', () => {
    const e = createEngine(bundle("name: a\ntype: rule\non: tool.call\nwhen: { args.body: { pattern: 'needle$' } }\n"));
    const big = 'x'.repeat(3_000_000) + 'needle';
    expect(e.evaluate(call('t', { body: big })).outcome).toBe('block');
    expect(e.evaluate(call('t', { body: 'é'.repeat(200_000) })).outcome).toBe('allow');
  });

  it('recovers from a kernel trap: the instance is replaced and run state survives', () => {
    const e = createEngine(bundle(COUNT));
    expect(e.evaluate(call('a')).outcome).toBe('allow');
    const inner = e as unknown as { kernel: { x: Record<string, unknown> } };
    const real = inner.kernel.x.rt_eval;
    // fault injection: the next kernel call traps the way `unreachable` would
    inner.kernel.x = { ...inner.kernel.x, rt_eval: () => { throw new Error('unreachable'); } };
    const d = e.evaluate(call('a'));
    expect(d.outcome).toBe('block');
    expect(d.errors[0]!.message).toContain('kernel trapped');
    expect(e.stats().kernelTraps).toBe(1);
    expect(inner.kernel.x.rt_eval).not.toBe(real);
    // the first call's count carried over into the new instance: 2nd allowed, 3rd over the limit
    expect(e.evaluate(call('a')).outcome).toBe('allow');
    expect(e.evaluate(call('a')).outcome).toBe('block');
  });

  it('evicts the least recently used run beyond maxRuns and resets its state', () => {
    const e = createEngine(bundle(COUNT), { maxRuns: 2 });
    e.evaluate(call('a', {}, 'r1'));
    e.evaluate(call('a', {}, 'r1'));
    e.evaluate(call('a', {}, 'r2'));
    e.evaluate(call('a', {}, 'r1')); // r1 is now the most recent; r2 the oldest
    expect(e.evaluate(call('a', {}, 'r3')).outcome).toBe('allow');
    expect(e.stats().runsEvicted).toBe(1);
    expect(e.stats().activeRuns).toBe(2);
    expect(e.evaluate(call('a', {}, 'r1')).outcome).toBe('block'); // r1 kept its count
  });

  it('run.end frees the run state', () => {
    const e = createEngine(bundle(COUNT));
    e.evaluate(call('a'));
    e.evaluate(call('a'));
    e.endRun('r1');
    expect(e.stats().activeRuns).toBe(0);
    expect(e.evaluate(call('a')).outcome).toBe('allow');
  });

  it('rollback undoes the counters of an allowed call that never ran; commit applies deferred ones', () => {
    const e = createEngine(bundle(COUNT));
    const d1 = e.evaluate(call('a'));
    e.rollback(d1);
    e.rollback(d1); // idempotent
    e.evaluate(call('a'));
    expect(e.evaluate(call('a')).outcome).toBe('allow');
    expect(e.evaluate(call('a')).outcome).toBe('block');

    const approval = createEngine(
      bundle('name: big\ntype: sequence\non: tool.call\nwhen: { tool: pay }\nsum: { field: args.amount, max: 100 }\naction: require_approval\n'),
    );
    const d = approval.evaluate(call('pay', { amount: 150 }));
    expect(d.outcome).toBe('require_approval');
    approval.commit(d); // a human approved: the amount now counts
    expect(approval.evaluate(call('pay', { amount: 1 })).outcome).toBe('require_approval');
  });

  it('swap keeps state of unchanged sequence policies and resets changed ones', () => {
    const two = 'name: rate\ntype: sequence\non: tool.call\ncount: { max: 2 }\n---\nname: other\ntype: sequence\non: tool.call\ncount: { max: 5 }\n';
    const e = createEngine(bundle(two));
    e.evaluate(call('a'));
    e.evaluate(call('a'));
    e.swap(bundle(two.replace('max: 5', 'max: 1')));
    const d = e.evaluate(call('a'));
    // `rate` kept its count of 2 → third call violates; `other` changed, restarted at 0 → 1 ≤ 1
    expect(d.violations.map((v) => v.policy)).toEqual(['rate']);
    expect(e.bundle.hash).not.toBe(bundle(two).hash);
  });

  it('explains violations with masked evidence and filled message templates', () => {
    const e = createEngine(
      bundle("name: key\ntype: rule\non: tool.result\nseverity: high\nwhen: { result: { pattern: 'sk-[a-z0-9]{20,}' } }\nmessage: 'secret from {{tool}} in {{kind}}'\n"),
    );
    const secret = 'sk-' + 'a1'.repeat(12);
    const d = e.evaluate({ kind: 'tool.result', runId: 'r', tool: 'db', callId: 'c', result: `token ${secret} end` } as StreamEvent);
    const v = d.violations[0]!;
    expect(v.message).toBe('secret from db in tool.result');
    expect(v.evidence[0]).toMatchObject({ field: 'result', start: 6, end: 6 + secret.length });
    expect(v.evidence[0]!.excerpt).not.toContain(secret.slice(4));
    expect(v.policyVersion).toMatch(/^[0-9a-f]{16}$/);
  });

  it('applyModifications rewrites a copy and leaves the original alone', () => {
    const e = createEngine(
      bundle("name: red\ntype: rule\non: llm.request\nwhen:\n  messages[*].content: { contains: 'SECRET' }\naction: modify\nmodify:\n  redact: [{ field: 'messages[*].content', pattern: 'SECRET-[0-9]+' }]\n"),
    );
    const ev = { kind: 'llm.request', runId: 'r', model: 'm', messages: [{ role: 'user', content: 'a SECRET-123 b' }, { role: 'user', content: 'ok' }] } as StreamEvent;
    const d = e.evaluate(ev);
    expect(d.outcome).toBe('modify');
    const out = applyModifications(ev, d) as { messages: { content: string }[] };
    expect(out.messages[0]!.content).toBe('a [REDACTED] b');
    expect((ev as { messages: { content: string }[] }).messages[0]!.content).toBe('a SECRET-123 b');
  });

  it('reads only own properties for Object.prototype names and survives throwing getters', () => {
    const e = createEngine(bundle('name: a\ntype: rule\non: tool.call\nwhen:\n  any:\n    - args.constructor: { exists: true }\n    - args.__proto__: { exists: true }\n    - args.toString: { exists: true }\n'));
    expect(e.evaluate(call('t', {})).outcome).toBe('allow');
    expect(e.evaluate(call('t', JSON.parse('{"constructor": 1}'))).outcome).toBe('block');
    const hostile = { get constructor() { throw new Error('gotcha'); } };
    const d = e.evaluate(call('t', hostile));
    expect(d.outcome).toBe('block');
    expect(d.errors[0]!.message).toContain('could not read');
    expect(e.stats().kernelTraps).toBe(0);
  });

  it('is deterministic: the same stream gives the same decisions', () => {
    const text = COUNT + '---\nname: r\ntype: rule\non: tool.call\nwhen: { args.n: { gt: 3 } }\n';
    const run = () => {
      const e = createEngine(bundle(text), { now: () => 5 });
      return Array.from({ length: 50 }, (_, i) => e.evaluate(call('a', { n: i % 7 }, `r${i % 3}`)).outcome);
    };
    expect(run()).toEqual(run());
  });

  it('projects the same values with generated readers and without code generation', () => {
    // the projection generates a reader per bucket; hostile field names must stay data, and a host
    // that forbids code generation from strings must get the generic walk with the same answers
    const child = fileURLToPath(new URL('./fixtures/projection-child.ts', import.meta.url));
    const run = (flags: string[]): string[] =>
      JSON.parse(execFileSync(process.execPath, [...flags, '--import', 'tsx', child], { encoding: 'utf8', timeout: 60_000 })) as string[];
    const generated = run([]);
    const generic = run(['--disallow-code-generation-from-strings']);
    expect(generic).toEqual(generated);
    expect(generated).toEqual([
      'allow:',
      'block:hostile-key',
      'allow:',
      'block:own-only',
      'block:nested',
      'block:nested',
      'block:nested',
      'block:nested',
      'allow:',
      'allow:',
      'allow:',
      'allow:',
      'block:fan-out',
      'allow:',
      'block:long-text',
      'block:long-text',
      'allow:',
    ]);
  });
});
