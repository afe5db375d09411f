import { describe, expect, expectTypeOf, it } from 'vitest';
import { definePolicy, type PolicyContext, type PolicyEvent, type PolicyResult } from '../../src/sandbox/policy-sdk.js';
import type { StreamEvent } from '../../src/events/types.js';
import { createSandboxHost, type InlineSandboxHost, type ChildSandboxHost, type SandboxVerdict } from '../../src/sandbox/index.js';

describe('policy-sdk types', () => {
  it('types the authoring contract', () => {
    const p = definePolicy({
      on: ['tool.call'],
      evaluate(event, context): PolicyResult {
        expectTypeOf(event).toEqualTypeOf<PolicyEvent>();
        expectTypeOf(context).toEqualTypeOf<PolicyContext>();
        if (event.kind === 'tool.call' && event.tool === 'x') return { violation: true, message: 'm', severity: 'high' };
        return { violation: false };
      },
    });
    expectTypeOf<PolicyEvent>().toEqualTypeOf<StreamEvent>();
    expectTypeOf<PolicyResult>().toMatchTypeOf<{ violation: boolean }>();
    // @ts-expect-error severity is a closed set
    const bad: PolicyResult = { violation: true, message: 'm', severity: 'huge' };
    void bad;
    expect(p.evaluate({ kind: 'tool.call', runId: 'r', tool: 'x', callId: 'c', args: {} }, { runId: 'r', mode: 'enforce' })).toEqual({ violation: true, message: 'm', severity: 'high' });
  });

  it('gives the inline host a sync API and the child host an async one', () => {
    expectTypeOf(createSandboxHost).returns.toMatchTypeOf<InlineSandboxHost | ChildSandboxHost>();
    expectTypeOf<InlineSandboxHost['evaluate']>().returns.toEqualTypeOf<SandboxVerdict>();
    expectTypeOf<ChildSandboxHost['evaluateAsync']>().returns.toEqualTypeOf<Promise<SandboxVerdict>>();
    expectTypeOf<ChildSandboxHost>().not.toHaveProperty('evaluate');
    expectTypeOf<SandboxVerdict>().toMatchTypeOf<{ status: 'ok' | 'error' }>();
  });
});
