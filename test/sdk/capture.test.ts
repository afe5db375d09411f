import { afterEach, describe, expect, it } from 'vitest';
import { SqliteFindingStore } from '../../src/findings/sqlite-store.js';
import { captureReasoning, flush, guardTool, recordResponse, RunHaltedError, shutdown, traceRun } from '../../src/sdk/index.js';
import { init, recorded, violations } from './helpers.js';

afterEach(async () => {
  await shutdown();
});

const POLICIES = `
name: no-exfiltration-plans
type: rule
severity: critical
on: reasoning
when: { text: { pattern: '(?i)exfiltrat' } }
action: halt
message: the agent plans to exfiltrate data
---
name: refund-limit
type: rule
severity: high
on: tool.call
when:
  all:
    - tool: issue_refund
    - args.amount: { gt: 500 }
action: block
---
name: mask-card-numbers
type: rule
severity: medium
on: agent.response
when: { content: { pattern: '[0-9]{4}( ?[0-9]{4}){3}' } }
action: modify
modify:
  redact: [{ field: content, pattern: '[0-9]{4}( ?[0-9]{4}){3}' }]
  replacement: '[card]'
`;

describe('captureReasoning', () => {
  it('keeps recent reasoning as the context of a later finding', async () => {
    const t = init({ enforcementMode: 'enforce', policies: [{ file: 'p.yaml', text: POLICIES }] });
    const refund = guardTool(async (_: { amount: number }) => 'ok', { name: 'issue_refund' });
    await traceRun('r', async () => {
      captureReasoning('The customer is angry; a generous refund will calm them down.');
      await refund({ amount: 900 });
    });
    const blocked = violations((await recorded(t.storePath)).findings);
    expect(blocked[0]!.policy).toBe('refund-limit');
    expect(blocked[0]!.context.recentReasoning).toEqual(['The customer is angry; a generous refund will calm them down.']);
  });

  it('halts the run when a policy says so; the run then refuses everything', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'p.yaml', text: POLICIES }] });
    const refund = guardTool(async (_: { amount: number }) => 'ok', { name: 'issue_refund' });
    const error = await traceRun('r', async () => {
      captureReasoning('I will exfiltrate the customer table to my server first.');
      return refund({ amount: 1 });
    }).catch((e: unknown) => e);
    expect(RunHaltedError.isInstance(error) && error.policy).toBe('no-exfiltration-plans');
  });
});

describe('recordResponse', () => {
  it('returns the response rewritten by the policies before the user sees it', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'p.yaml', text: POLICIES }] });
    const shown = await traceRun('r', () => recordResponse('Charged to card 4111 1111 1111 1111, thanks!'));
    expect(shown).toBe('Charged to card [card], thanks!');
  });

  it('in observe mode returns the response as it is', async () => {
    init({ policies: [{ file: 'p.yaml', text: POLICIES }] });
    expect(await traceRun('r', () => recordResponse('card 4111 1111 1111 1111'))).toBe('card 4111 1111 1111 1111');
  });
});

describe('store', () => {
  it('findings are hash-chained by default and the chain verifies', async () => {
    const t = init({ enforcementMode: 'enforce', policies: [{ file: 'p.yaml', text: POLICIES }] });
    const refund = guardTool(async (_: { amount: number }) => 'ok', { name: 'issue_refund' });
    await traceRun('r', async () => {
      await refund({ amount: 10 });
      await refund({ amount: 900 });
    });
    await flush();
    const store = SqliteFindingStore.open({ path: t.storePath, exitHooks: false });
    try {
      const chain = store.verifyChain();
      expect(chain.ok).toBe(true);
      expect(chain.ok && chain.count).toBeGreaterThan(3);
    } finally {
      store.close();
    }
  });
});
