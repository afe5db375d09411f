import { afterEach, describe, expect, it } from 'vitest';
import { currentRun, guardTool, isToolDenial, RunHaltedError, shutdown, traceRun, type RunHandle } from '../../src/sdk/index.js';
import { init, recorded, REFUND_POLICIES, sources, violations } from './helpers.js';

afterEach(async () => {
  await shutdown();
});

const HALT = `
name: no-destructive-shell
type: rule
severity: critical
classification: OWASP-LLM06
on: tool.call
when:
  all:
    - tool: run_shell
    - args.command: { pattern: 'rm\\s+-rf\\s+/' }
action: halt
message: destructive shell command
`;

const refund = (log: string[]) =>
  guardTool(
    async (args: { order_id: string; amount: number }) => {
      log.push(args.order_id);
      return 'refunded';
    },
    { name: 'issue_refund' },
  );

describe('run context', () => {
  it('Promise.all branches, timers and awaited work all see the run', async () => {
    init({ policies: sources(REFUND_POLICIES) });
    const seen: Array<string | undefined> = [];
    const id = await traceRun('r', async (run) => {
      await Promise.all([1, 2, 3].map(async () => seen.push(currentRun()?.runId)));
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          seen.push(currentRun()?.runId);
          resolve();
        }, 5),
      );
      await new Promise<void>((resolve) => setImmediate(() => (seen.push(currentRun()?.runId), resolve())));
      return run.runId;
    });
    expect(seen).toEqual([id, id, id, id, id]);
    expect(currentRun()).toBeUndefined();
  });

  it('a nested run is a child run: own id, the root as parent, the same trace', async () => {
    init({ enforcementMode: 'detect', policies: sources(REFUND_POLICIES) });
    let outer: RunHandle | undefined;
    let inner: RunHandle | undefined;
    await traceRun('planner', { metadata: { agent_id: 'planner' } }, async (run) => {
      outer = run;
      await traceRun('researcher', { metadata: { agent_id: 'researcher' } }, async (child) => {
        inner = child;
      });
    });
    expect(inner!.runId).not.toBe(outer!.runId);
    expect(inner!.rootRunId).toBe(outer!.runId);
    expect(inner!.parent?.runId).toBe(outer!.runId);
    expect(inner!.traceId).toBe(outer!.traceId);
    expect(inner!.agentId).toBe('researcher');
  });

  it('a sub-agent can tighten its mode but never loosen it', async () => {
    init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const log: string[] = [];
    const tool = refund(log);
    const out = await traceRun('parent', () =>
      traceRun('child', { metadata: { enforcement_mode: 'observe' } }, async (child) => {
        expect(child.mode).toBe('enforce');
        return tool({ order_id: 'A-1', amount: 9_000 });
      }),
    );
    expect(isToolDenial(out)).toBe(true);
    await shutdown();
    init({ enforcementMode: 'detect', policies: sources(REFUND_POLICIES) });
    const tightened = await traceRun('parent', () => traceRun('child', { metadata: { enforcement_mode: 'enforce' } }, () => tool({ order_id: 'A-2', amount: 9_000 })));
    expect(isToolDenial(tightened)).toBe(true);
    expect(log).toEqual([]);
  });

  it('sub-agents share the run state: spawning one never escapes a run budget', async () => {
    init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const log: string[] = [];
    const tool = refund(log);
    const results = await traceRun('parent', async () => {
      const first = await tool({ order_id: 'A-1', amount: 400 });
      const fromChildren = await Promise.all([
        traceRun('child-1', () => tool({ order_id: 'A-2', amount: 400 })),
        traceRun('child-2', () => tool({ order_id: 'A-3', amount: 400 })),
      ]);
      return [first, ...fromChildren];
    });
    // 400 + 400 fits the 1000 budget, the third 400 does not, whichever agent asks
    expect(results.filter((r) => r === 'refunded')).toHaveLength(2);
    expect(results.filter((r) => isToolDenial(r) && r.policy === 'refund-budget')).toHaveLength(1);
    expect(log).toHaveLength(2);
  });

  it('concurrent runs never see each other’s state', async () => {
    init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const log: string[] = [];
    const tool = refund(log);
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        traceRun(`run-${i}`, async (run) => {
          const out: unknown[] = [];
          for (let k = 0; k < 4; k++) {
            out.push(await tool({ order_id: `${i}-${k}`, amount: 100 }));
            await new Promise((r) => setTimeout(r, Math.random() * 3));
          }
          expect(currentRun()?.runId).toBe(run.runId);
          return out;
        }),
      ),
    );
    for (const out of outcomes) {
      expect(out.slice(0, 3)).toEqual(['refunded', 'refunded', 'refunded']);
      expect(isToolDenial(out[3]) && out[3].policy).toBe('refund-count');
    }
    expect(log).toHaveLength(300);
  });
});

describe('halt', () => {
  const shell = (log: string[]) =>
    guardTool(
      async (args: { command: string }) => {
        log.push(args.command);
        return 'done';
      },
      { name: 'run_shell' },
    );

  it('fires the run’s signal, makes every later guarded call throw, and traceRun rejects even if the agent swallowed it', async () => {
    const t = init({ enforcementMode: 'enforce', policies: sources(HALT + '---\n' + REFUND_POLICIES) });
    const log: string[] = [];
    const run = shell(log);
    const refunds = refund(log);
    let signal: AbortSignal | undefined;
    let inside: unknown;
    let later: unknown;
    const outcome = await traceRun('ops', async (handle) => {
      signal = handle.signal;
      await run({ command: 'ls' });
      try {
        await run({ command: 'rm -rf / --no-preserve-root' });
      } catch (e) {
        inside = e;
      }
      later = await refunds({ order_id: 'A-1', amount: 1 }).catch((e: unknown) => e);
      return 'the agent carried on';
    }).catch((e: unknown) => e);
    expect(RunHaltedError.isInstance(inside)).toBe(true);
    expect((inside as RunHaltedError).policy).toBe('no-destructive-shell');
    expect((inside as RunHaltedError).message).toBe('run halted by policy no-destructive-shell: destructive shell command');
    expect(later).toBe(inside);
    expect(outcome).toBe(inside);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(inside);
    expect(log).toEqual(['ls']);
    const { findings, runs } = await recorded(t.storePath);
    expect(violations(findings).map((f) => [f.policy, f.outcome])).toEqual([['no-destructive-shell', 'halted']]);
    expect(runs[0]!.status).toBe('halted');
  });

  it('halts sub-agents and parallel calls of the same run, not other runs', async () => {
    init({ enforcementMode: 'enforce', policies: sources(HALT) });
    const log: string[] = [];
    const run = shell(log);
    const slow = guardTool(
      async (_: { ms: number }, ctx) => {
        await new Promise((r) => setTimeout(r, 30));
        log.push(`slow done, aborted=${ctx.signal.aborted}`);
        return 'slow';
      },
      { name: 'slow' },
    );
    const other = traceRun('bystander', async () => {
      await new Promise((r) => setTimeout(r, 60));
      return run({ command: 'echo still fine' });
    });
    const halted = traceRun('ops', async () => {
      const child = traceRun('sub-agent', async () => {
        await new Promise((r) => setTimeout(r, 40));
        return run({ command: 'echo from sub-agent' });
      });
      child.catch(() => undefined);
      await Promise.allSettled([slow({ ms: 30 }), run({ command: 'rm -rf /' })]);
      return child;
    }).catch((e: unknown) => e);
    expect(RunHaltedError.isInstance(await halted)).toBe(true);
    expect(await other).toBe('done');
    expect(log).toContain('slow done, aborted=true');
    expect(log).toContain('echo still fine');
    expect(log).not.toContain('echo from sub-agent');
    expect(log).not.toContain('rm -rf /');
  });

  it('a call waiting for approval when its run is halted never runs', async () => {
    const policies = `${HALT}---
name: approve-refunds
type: rule
severity: high
on: tool.call
when: { tool: issue_refund }
action: require_approval
`;
    init({ enforcementMode: 'enforce', policies: sources(policies), approver: () => new Promise((r) => setTimeout(() => r(true), 50)) });
    const log: string[] = [];
    const refunds = refund(log);
    const run = shell(log);
    const out = await traceRun('ops', async () => {
      const pending = refunds({ order_id: 'A-1', amount: 5 });
      await run({ command: 'rm -rf /' }).catch(() => undefined);
      return pending;
    }).catch((e: unknown) => e);
    expect(RunHaltedError.isInstance(out)).toBe(true);
    expect(log).toEqual([]);
  });
});
