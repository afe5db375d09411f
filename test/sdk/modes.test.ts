import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings/finding.js';
import {
  CascadeConfigError,
  EnforcementError,
  guardTool,
  initTracing,
  isToolDenial,
  recordResponse,
  shutdown,
  traceRun,
} from '../../src/sdk/index.js';
import { activeTracer } from '../../src/sdk/tracer.js';
import { init, recorded, REFUND_POLICIES, sources, tempStorePath, violations } from './helpers.js';

afterEach(async () => {
  await shutdown();
});

const SHADOW = `
name: shadow-refund-limit
type: rule
severity: high
mode: detect
on: tool.call
when:
  all:
    - tool: issue_refund
    - args.amount: { gt: 100 }
action: block
message: would block refunds over 100
`;

function refund(log: number[]) {
  return guardTool(
    async (args: { amount: number }) => {
      log.push(args.amount);
      return 'ok';
    },
    { name: 'issue_refund' },
  );
}

describe('modes', () => {
  it('observe (the default) evaluates nothing and records no findings, only spans', async () => {
    const t = init({ policies: sources(REFUND_POLICIES) });
    expect(t.mode).toBe('observe');
    const log: number[] = [];
    const tool = refund(log);
    await traceRun('r', () => tool({ amount: 9_000 }));
    expect(log).toEqual([9_000]);
    const { findings, spans } = await recorded(t.storePath);
    expect(findings).toEqual([]);
    expect(spans.map((s) => s.operation).sort()).toEqual(['execute_tool', 'invoke_agent']);
  });

  it('detect records findings with severity and classification, calls onFinding, and never intervenes', async () => {
    const alerts: Finding[] = [];
    const t = init({ enforcementMode: 'detect', policies: sources(REFUND_POLICIES), onFinding: (f) => alerts.push(f) });
    const log: number[] = [];
    const tool = refund(log);
    const out = await traceRun('r', () => tool({ amount: 9_000 }));
    expect(out).toBe('ok');
    expect(log).toEqual([9_000]);
    const found = violations((await recorded(t.storePath)).findings);
    expect(found.map((f) => [f.policy, f.outcome, f.severity, f.effectiveMode])).toEqual([
      ['refund-limit', 'would_block', 'high', 'detect'],
      ['refund-budget', 'would_block', 'high', 'detect'],
    ]);
    expect(found[0]!.classification).toBe('financial');
    expect(alerts.map((f) => f.policy)).toEqual(['refund-limit', 'refund-budget']);
  });

  it('a per-run override changes the mode of that run only, in either direction', async () => {
    init({ enforcementMode: 'detect', policies: sources(REFUND_POLICIES) });
    const log: number[] = [];
    const tool = refund(log);
    const strict = await traceRun('strict', { metadata: { agent_id: 'a', enforcement_mode: 'enforce' } }, () => tool({ amount: 9_000 }));
    const lenient = await traceRun('default', () => tool({ amount: 9_000 }));
    expect(isToolDenial(strict)).toBe(true);
    expect(lenient).toBe('ok');
    await shutdown();
    init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const observed = await traceRun('observed', { metadata: { enforcement_mode: 'observe' } }, () => tool({ amount: 9_000 }));
    expect(observed).toBe('ok');
    expect(log).toEqual([9_000, 9_000]);
  });

  it('a shadow policy (mode ceiling detect) records would_block inside an enforce run and lets the call through', async () => {
    const t = init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES + '---\n' + SHADOW) });
    const log: number[] = [];
    const tool = refund(log);
    expect(await traceRun('r', () => tool({ amount: 200 }))).toBe('ok');
    expect(isToolDenial(await traceRun('r', () => tool({ amount: 900 })))).toBe(true);
    const found = violations((await recorded(t.storePath)).findings);
    expect(found.map((f) => [f.policy, f.outcome, f.shadow, f.effectiveMode])).toEqual([
      ['shadow-refund-limit', 'would_block', true, 'detect'],
      ['refund-limit', 'blocked', false, 'enforce'],
      ['shadow-refund-limit', 'would_block', true, 'detect'],
    ]);
    expect(log).toEqual([200]);
  });

  it('prevent_response replaces the final response with the safe message, or throws', async () => {
    const policy = `
name: no-internal-urls
type: rule
severity: medium
on: agent.response
when: { content: { contains: internal.example } }
action: prevent_response
message: the answer leaks an internal address
`;
    init({ enforcementMode: 'enforce', policies: sources(policy), safeResponse: 'Sorry, I cannot share that.' });
    expect(await traceRun('r', () => recordResponse('see https://internal.example/admin'))).toBe('Sorry, I cannot share that.');
    expect(await traceRun('r', () => recordResponse('all good'))).toBe('all good');
    const error = await traceRun('r', () => recordResponse('see https://internal.example/admin', { onPrevented: 'throw' })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('PolicyViolationError');
    expect((error as Error).message).toBe('response prevented by policy no-internal-urls: the answer leaks an internal address');
  });
});

describe('configuration', () => {
  it('an unknown mode is an error that lists the valid ones', () => {
    expect(() => initTracing({ project: 'p', enforcementMode: 'strict' as never, store: false })).toThrow(
      'initTracing: unknown enforcement mode `strict`; valid modes are `observe`, `detect`, `enforce`',
    );
    init({ policies: sources(REFUND_POLICIES) });
    return expect(traceRun('r', { metadata: { enforcement_mode: 'block' as never } }, () => 1)).rejects.toThrow(/unknown enforcement mode `block`/);
  });

  it('refuses to enforce a policy set that does not compile, and says what is wrong and where', () => {
    const broken = [{ file: 'refunds.yaml', text: 'name: r\ntype: rule\non: tool.call\nwhen: { args.amount: { gtt: 5 } }\naction: block\n' }];
    const before = activeTracer();
    let error: unknown;
    try {
      initTracing({ project: 'p', enforcementMode: 'enforce', policies: broken, store: false });
    } catch (e) {
      error = e;
    }
    expect(CascadeConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('refusing to enforce a policy set that does not compile');
    expect((error as Error).message).toContain('refunds.yaml');
    expect((error as Error).message).toContain('gtt');
    expect(activeTracer()).toBe(before);
  });

  it('in detect mode a broken policy set is reported as a warning and the SDK runs without it', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      init({ enforcementMode: 'detect', policies: [{ file: 'x.yaml', text: 'name: [' }] });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.some((w) => w.includes('does not compile') && w.includes('x.yaml'))).toBe(true);
  });

  it('enforce with no policies refuses to start unless told that this is intended', async () => {
    expect(() => initTracing({ project: 'p', enforcementMode: 'enforce', store: false })).toThrow(/enforce mode with no policies and no frameworks would enforce nothing/);
    expect(() => initTracing({ project: 'p', enforcementMode: 'enforce', store: false, allowEmptyPolicySet: true })).not.toThrow();
    await shutdown();
    init({});
    await expect(traceRun('r', { metadata: { enforcement_mode: 'enforce' } }, () => 1)).rejects.toThrow(/would enforce nothing/);
  });

  it('built-in frameworks run with the policies, and count as something to enforce', async () => {
    expect(() => initTracing({ project: 'p', enforcementMode: 'enforce', frameworks: ['no-such-pack'] as never, store: false })).toThrow(/unknown framework `no-such-pack`/);
    const t = init({ enforcementMode: 'enforce', frameworks: ['secrets', 'destructive-commands'] });
    expect(t.frameworks).toEqual(['secrets', 'destructive-commands']);
    const lookup = guardTool(async () => ({ token: 'ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R' }), { name: 'lookup' });
    const shell = guardTool(async (a: { command: string }) => `ran ${a.command}`, { name: 'run_shell' });
    await traceRun('r', async () => {
      expect(await lookup({})).toEqual({ token: '[REDACTED:github-token]' });
      const out = await shell({ command: 'rm -rf / --no-preserve-root' });
      expect(isToolDenial(out) && out.policy).toMatch(/^destructive-commands\//);
      expect(await shell({ command: 'ls -la' })).toBe('ran ls -la');
    });
    const found = violations((await recorded(t.storePath)).findings);
    expect(found.map((f) => f.framework)).toEqual(['secrets', 'destructive-commands']);
    expect(JSON.stringify(found)).not.toContain('ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R');
  });

  it('policy files are loaded from paths and globs; missing ones are named', () => {
    expect(() => initTracing({ project: 'p', enforcementMode: 'enforce', policies: ['examples/agents/nope/*.yaml'], store: false })).toThrow(/policy files not found: `examples\/agents\/nope\/\*\.yaml`/);
  });

  it('reloads a policy set without a restart, and keeps the old one if the new one is broken', async () => {
    const t = init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const log: number[] = [];
    const tool = refund(log);
    expect(isToolDenial(await traceRun('r', () => tool({ amount: 900 })))).toBe(true);
    const before = t.bundleHash;
    expect(() => t.reloadPolicies([{ file: 'bad.yaml', text: 'name: [' }])).toThrow(/the current one stays in force/);
    expect(t.bundleHash).toBe(before);
    t.reloadPolicies(sources('name: only-shell\ntype: tool\nallowed_tools: [issue_refund]\n'));
    expect(t.bundleHash).not.toBe(before);
    expect(await traceRun('r', () => tool({ amount: 900 }))).toBe('ok');
  });

  it('loads a tenant\u2019s JavaScript policies into a running agent, with diagnostics instead of exceptions', async () => {
    // a platform that starts without tenant code asks for the sandbox up front
    const t = init({ enforcementMode: 'enforce', policies: sources('name: only-refunds\ntype: tool\nallowed_tools: [issue_refund]\n'), sandbox: { timeoutMs: 50 } });
    const log: number[] = [];
    const tool = refund(log);
    expect(await traceRun('r', () => tool({ amount: 900 }))).toBe('ok');
    const bad = t.loadTenantPolicies('acme', [{ name: 'cap', code: 'export function evaluate(event) {\n  return event.args.amount > 500 ?\n}' }]);
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics[0]).toMatchObject({ policy: 'cap', file: 'tenant:acme/cap', line: expect.any(Number) });
    expect(t.policyCount).toBe(1);
    const good = t.loadTenantPolicies('acme', [
      { name: 'cap', on: 'tool.call', code: "export function evaluate(event) { return event.args.amount > 500 ? { violation: true, message: 'acme caps refunds at 500' } : { violation: false }; }" },
    ]);
    expect(good.ok).toBe(true);
    expect(t.policyCount).toBe(2);
    const denied = await traceRun('r', () => tool({ amount: 900 }));
    expect(isToolDenial(denied)).toBe(true);
    expect(log).toEqual([900]);
    // the operator reloads their own files: the tenant's code, loaded at run time, stays in force
    t.reloadPolicies(sources('name: refunds-only\ntype: tool\nallowed_tools: [issue_refund]\n'));
    expect(t.policyCount).toBe(2);
    expect(isToolDenial(await traceRun('r', () => tool({ amount: 900 })))).toBe(true);
    // a reloaded set that clashes with the tenant's names is refused as a whole
    expect(() => t.reloadPolicies(sources('name: cap\ntype: tool\nallowed_tools: [issue_refund]\n'))).toThrow(/tenant `acme`.*stays in force/s);
    // and an empty list gives the tenant's code back
    expect(t.loadTenantPolicies('acme', []).ok).toBe(true);
    t.reloadPolicies(sources('name: refunds-only\ntype: tool\nallowed_tools: [issue_refund]\n'));
    expect(await traceRun('r', () => tool({ amount: 900 }))).toBe('ok');
  });
});

describe('failing closed', () => {
  /** Makes the real engine throw for one tool, as a kernel fault would. */
  function breakEngineFor(tool: string): void {
    const engine = activeTracer()!.settings.engine;
    const evaluate = engine.evaluate.bind(engine);
    engine.evaluate = (event, options) => {
      if (event.kind === 'tool.call' && event.tool === tool) throw new RangeError('memory access out of bounds');
      return evaluate(event, options);
    };
  }

  it('an engine fault blocks the call in enforce and records an error finding', async () => {
    const t = init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    breakEngineFor('issue_refund');
    const log: number[] = [];
    const out = await traceRun('r', () => refund(log)({ amount: 10 }));
    expect(log).toEqual([]);
    expect(isToolDenial(out) && out.policy).toBe('cascade/engine');
    expect(isToolDenial(out) && out.error).toContain('memory access out of bounds; failed closed');
    const errors = (await recorded(t.storePath)).findings.filter((f) => f.outcome === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('failed closed');
  });

  it('with onError: allow the same fault lets the call through, still recorded as an error', async () => {
    const t = init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES), onError: 'allow' });
    breakEngineFor('issue_refund');
    const log: number[] = [];
    expect(await traceRun('r', () => refund(log)({ amount: 10 }))).toBe('ok');
    expect(log).toEqual([10]);
    const errors = (await recorded(t.storePath)).findings.filter((f) => f.outcome === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('allowed');
  });

  it('a policy whose evaluation fails is decided by its own on_error', async () => {
    // more values than the engine projects for one event: an evaluation error tied to the policy
    const policy = (onError: string) => `
name: recipients
type: rule
severity: high
on: tool.call
on_error: ${onError}
when:
  args.to[*]: { suffix: '@evil.example' }
action: block
`;
    const to = Array.from({ length: 5_000 }, (_, i) => `user${i}@example.com`);
    const send = guardTool(async (_: { to: string[] }) => 'sent', { name: 'send_email' });
    init({ enforcementMode: 'enforce', policies: sources(policy('block')) });
    const closed = await traceRun('r', () => send({ to }));
    expect(isToolDenial(closed)).toBe(true);
    await shutdown();
    init({ enforcementMode: 'enforce', policies: sources(policy('allow')) });
    expect(await traceRun('r', () => send({ to }))).toBe('sent');
  });

  it('an evaluation over its latency budget fails closed in enforce', async () => {
    init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES), latencyBudgetMs: 5 });
    const engine = activeTracer()!.settings.engine;
    const evaluate = engine.evaluate.bind(engine);
    engine.evaluate = (event, options) => {
      const until = performance.now() + (event.kind === 'tool.call' ? 20 : 0);
      while (performance.now() < until);
      return evaluate(event, options);
    };
    const out = await traceRun('r', () => refund([])({ amount: 10 }));
    expect(isToolDenial(out) && out.error).toMatch(/over the 5 ms budget; failed closed/);
  });

  it('a guarded call after its run has ended is refused in enforce', async () => {
    init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const log: number[] = [];
    const tool = refund(log);
    let late: Promise<unknown> | undefined;
    await traceRun('r', () => {
      late = new Promise((resolve) => setTimeout(resolve, 20)).then(() => tool({ amount: 10 }));
      late.catch(() => undefined);
    });
    const error = await late!.catch((e: unknown) => e);
    expect(EnforcementError.isInstance(error) && error.code).toBe('run_ended');
    expect(log).toEqual([]);
  });
});

describe('store', () => {
  it('store: false keeps nothing on disk', async () => {
    const path = tempStorePath();
    initTracing({ project: 'p', policies: sources(REFUND_POLICIES), store: false });
    await traceRun('r', () => refund([])({ amount: 1 }));
    await shutdown();
    const { existsSync } = await import('node:fs');
    expect(existsSync(path)).toBe(false);
  });
});
