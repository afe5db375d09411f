import { describe, expect, it } from 'vitest';
import { ApprovalGrants, askApprover, policyVersionsKey, type ApprovalBinding } from '../../src/sdk/approvals.js';
import { canonicalJson, digestOf, toJsonValue } from '../../src/sdk/canonical.js';

const binding: ApprovalBinding = { runId: 'r', callId: 'c1', tool: 'issue_refund', argsDigest: digestOf({ amount: 900 }), policyVersions: policyVersionsKey([{ name: 'p', version: 'v1' }]) };

describe('approval grants', () => {
  it('are single-use', () => {
    const g = new ApprovalGrants();
    g.grant(binding, 60_000);
    expect(g.consume(binding)).toBe(true);
    expect(g.consume(binding)).toBe(false);
  });

  it('expire', () => {
    const g = new ApprovalGrants();
    g.grant(binding, 1_000, 0);
    expect(g.consume(binding, 1_001)).toBe(false);
  });

  it('are bound to run, call, tool, argument digest and policy versions', () => {
    for (const change of [
      { runId: 'other' },
      { tool: 'send_email' },
      { argsDigest: digestOf({ amount: 901 }) },
      { policyVersions: policyVersionsKey([{ name: 'p', version: 'v2' }]) },
    ]) {
      const g = new ApprovalGrants();
      g.grant(binding, 60_000);
      expect(g.consume({ ...binding, ...change })).toBe(false);
      expect(g.consume(binding)).toBe(true);
    }
  });

  it('an aborted run ends the wait for an approver', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const result = await askApprover(() => new Promise(() => {}), { id: 'a', runId: 'r', kind: 'tool.call', args: {}, argsDigest: digestOf({}), policies: [], bundleHash: 'h' }, 10_000, controller.signal);
    expect(result).toEqual({ status: 'denied', reason: 'the run was halted while waiting for approval' });
  });
});

describe('canonical arguments', () => {
  it('digest the same whatever the key order, and differently for any change', () => {
    expect(digestOf({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(digestOf({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: '1' }));
    expect(canonicalJson({ b: 1, a: null })).toBe('{"a":null,"b":1}');
  });

  it('turn tool values into JSON data without throwing', () => {
    const cyclic: Record<string, unknown> = { n: 1n, f: () => 1, u: undefined, d: new Map([['k', 1]]), inf: Infinity };
    cyclic['self'] = cyclic;
    expect(toJsonValue(cyclic)).toEqual({ n: '1', d: { k: 1 }, inf: null, self: '[circular]' });
  });
});
