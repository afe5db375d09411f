// Tenant JavaScript policies through the SDK: initTracing starts the sandbox when the policy set
// has `custom` policies, and a guarded tool is gated by them like by any other policy.
import { afterEach, describe, expect, it } from 'vitest';
import { CascadeConfigError, guardTool, initTracing, isToolDenial, shutdown, traceRun } from '../../src/sdk/index.js';

afterEach(async () => {
  await shutdown();
});

const TENANT = `name: acme-refunds
type: custom
tenant: acme
on: tool.call
code: |
  export function evaluate(event, context) {
    if (event.tool === 'issue_refund' && event.args.amount > 100 && context.metadata?.tier !== 'gold')
      return { violation: true, message: 'acme: refunds over 100 need gold tier' };
    return { violation: false };
  }
`;

describe('custom policies via initTracing', () => {
  it('gates a guarded tool with tenant code in the sandbox', async () => {
    initTracing({ project: 't', enforcementMode: 'enforce', policies: [{ text: TENANT }], store: false });
    const ran: number[] = [];
    const refund = guardTool(async (a: { amount: number }) => ran.push(a.amount), { name: 'issue_refund' });
    const small = await traceRun('r1', () => refund({ amount: 50 }));
    const big = await traceRun('r2', () => refund({ amount: 500 }));
    const gold = await traceRun('r3', { metadata: { tier: 'gold' } }, () => refund({ amount: 500 }));
    expect(ran).toEqual([50, 500]);
    expect(isToolDenial(small)).toBe(false);
    expect(isToolDenial(big)).toBe(true);
    expect(JSON.stringify(big)).toContain('acme: refunds over 100 need gold tier');
    expect(isToolDenial(gold)).toBe(false);
  });
  it('refuses to start when tenant code does not compile, or when custom policies are forbidden', () => {
    const broken = TENANT.replace('return { violation: false };', 'return {{ violation: false };');
    expect(() => initTracing({ project: 't', enforcementMode: 'enforce', policies: [{ text: broken }], store: false })).toThrow(CascadeConfigError);
    expect(() => initTracing({ project: 't', enforcementMode: 'enforce', policies: [{ text: TENANT }], store: false, sandbox: false })).toThrow(/sandbox/);
  });
});
