// The containment host, against a real child process. The crash tests really crash it: tenant code
// triggers a catastrophic out-of-memory in V8, the child aborts (SIGABRT), and the parent recovers.

import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxHost, type ChildSandboxHost, type SandboxIncident, type SandboxVerdict } from '../../src/sandbox/index.js';
import { ALWAYS_PASS, context, policy, REFUND_LIMIT, refundCall } from './fixtures.js';

const CATASTROPHIC_OOM = policy('return { violation: new Array(2 ** 28).fill(1.5).length > 0, message: "unreachable" };');

let hosts: ChildSandboxHost[] = [];
async function host(options: Parameters<typeof createSandboxHost>[0] = {}): Promise<{ h: ChildSandboxHost; incidents: SandboxIncident[] }> {
  const incidents: SandboxIncident[] = [];
  const h = createSandboxHost({ timeoutMs: 100, ...options, process: 'child', onIncident: (i) => incidents.push(i) });
  hosts.push(h);
  await h.ready();
  return { h, incidents };
}
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
  hosts = [];
});

const code = (v: SandboxVerdict): string | boolean => (v.status === 'error' ? v.error.code : v.violation);

describe('child-process host', () => {
  it('loads and evaluates like the inline host, including diagnostics and batches', async () => {
    const { h } = await host();
    expect(await h.loadTenantPoliciesAsync('acme', [{ name: 'refund', code: REFUND_LIMIT }, { name: 'thrower', code: policy('throw new Error("x")') }])).toEqual({ ok: true });
    const inline = createSandboxHost({ timeoutMs: 100 });
    inline.loadTenantPolicies('acme', [{ name: 'refund', code: REFUND_LIMIT }]);
    const viaChild = await h.evaluateAsync('acme', 'refund', refundCall(900), context);
    expect(viaChild).toEqual(inline.evaluate('acme', 'refund', refundCall(900), context));
    inline.dispose();
    const bad = await h.loadTenantPoliciesAsync('acme', [{ name: 'p', code: 'export function evaluate( {' }]);
    expect(bad.ok === false && bad.diagnostics[0]).toMatchObject({ code: 'syntax_error', policy: 'p', line: 1 });
    const batch = await h.evaluateBatchAsync('acme', [
      { policy: 'refund', event: refundCall(900), context },
      { policy: 'thrower', event: refundCall(1), context },
      { policy: 'refund', event: refundCall(1), context },
    ]);
    expect(batch.map(code)).toEqual([true, 'threw', false]);
  });

  it('survives a fatal V8 error in the child: fails closed, blames the culprit, restarts, restores tenants', async () => {
    const { h, incidents } = await host();
    await h.loadTenantPoliciesAsync('victim', [{ name: 'refund', code: REFUND_LIMIT }]);
    await h.loadTenantPoliciesAsync('evil', [{ name: 'bomb', code: CATASTROPHIC_OOM }]);
    const firstPid = h.childPid;
    const started = Date.now();
    const crashed = await h.evaluateAsync('evil', 'bomb', refundCall(1), context);
    expect(crashed.status === 'error' && crashed.error.code).toBe('child_crashed');
    expect(crashed.status === 'error' && crashed.onError).toBe('block');
    // meanwhile: fail closed, without waiting
    const during = await h.evaluateAsync('victim', 'refund', refundCall(900), context);
    expect(code(during)).toBe('child_unavailable');
    await h.ready();
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(h.restarts).toBe(1);
    expect(h.childPid).not.toBe(firstPid);
    expect(await h.evaluateAsync('victim', 'refund', refundCall(900), context)).toMatchObject({ status: 'ok', violation: true });
    const exited = incidents.find((i) => i.type === 'child_exited');
    expect(exited).toMatchObject({ type: 'child_exited', tenantId: 'evil' });
    // Node 20's V8 aborts the child (SIGABRT, with its last words on stderr); on Node 24's V8 the
    // child can stall after the catastrophic error instead, and the watchdog kills it (SIGKILL)
    const signal = exited?.type === 'child_exited' ? exited.signal : undefined;
    expect(['SIGABRT', 'SIGKILL']).toContain(signal);
    if (signal === 'SIGABRT') expect(exited?.type === 'child_exited' && exited.stderrTail).toMatch(/catastrophic|out of memory|onCatastrophic/i);
    expect(incidents.filter((i) => i.type === 'fault').map((i) => i.type === 'fault' && i.tenantId)).toEqual(['evil']);
    expect(incidents.some((i) => i.type === 'child_restarted')).toBe(true);
  });

  it('quarantines a tenant that keeps crashing the child so it cannot crash it again', async () => {
    const { h } = await host({ quarantineAfter: 2 });
    await h.loadTenantPoliciesAsync('evil', [{ name: 'bomb', code: CATASTROPHIC_OOM }]);
    for (let i = 0; i < 2; i++) {
      expect(code(await h.evaluateAsync('evil', 'bomb', refundCall(1), context))).toBe('child_crashed');
      await h.ready();
    }
    const pid = h.childPid;
    expect(code(await h.evaluateAsync('evil', 'bomb', refundCall(1), context))).toBe('quarantined');
    expect(h.childPid).toBe(pid);
    expect(h.restarts).toBe(2);
    expect(h.tenantStatus('evil')?.quarantinedUntil).toBeGreaterThan(Date.now());
  });

  it('restarts after the child is killed from outside and serves again', async () => {
    const { h, incidents } = await host();
    await h.loadTenantPoliciesAsync('acme', [{ name: 'refund', code: REFUND_LIMIT }]);
    expect(h.killChild('SIGKILL')).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    await h.ready();
    expect(await h.evaluateAsync('acme', 'refund', refundCall(900), context)).toMatchObject({ violation: true });
    expect(incidents.find((i) => i.type === 'child_exited')).toMatchObject({ signal: 'SIGKILL' });
  });

  it('hot-reloads without dropping an evaluation already in the child', async () => {
    const { h } = await host({ timeoutMs: 3000 });
    const slow = (tag: string): string =>
      policy(`let x = 0; for (let i = 0; i < 3e7; i++) x += i; return { violation: true, message: '${tag}' };`);
    await h.loadTenantPoliciesAsync('acme', [{ name: 'p', code: slow('v1') }]);
    const inflight = h.evaluateAsync('acme', 'p', refundCall(1), context);
    const reload = h.loadTenantPoliciesAsync('acme', [{ name: 'p', code: slow('v2') }]);
    expect(await inflight).toMatchObject({ status: 'ok', message: 'v1' });
    expect(await reload).toEqual({ ok: true });
    expect(await h.evaluateAsync('acme', 'p', refundCall(1), context)).toMatchObject({ status: 'ok', message: 'v2' });
  });

  it('fails pending work with `disposed` and stops the child on dispose', async () => {
    const { h } = await host();
    await h.loadTenantPoliciesAsync('acme', [{ name: 'p', code: ALWAYS_PASS }]);
    const pid = h.childPid!;
    await h.dispose();
    expect(code(await h.evaluateAsync('acme', 'p', refundCall(1), context))).toBe('disposed');
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
