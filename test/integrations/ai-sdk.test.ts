// The Vercel AI SDK with its real OpenAI provider, pointed at the local scripted model server:
// `generateText` runs the refund agent's tool loop, and `guardAiTools` gates every tool call.
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, tool } from 'ai';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { guardAiTools } from '../../src/integrations/index.js';
import { PolicyViolationError, shutdown, traceRun } from '../../src/sdk/index.js';
import { startScriptedModelServer, type ScriptedModelServer } from '../../src/testing/index.js';
import { init, recorded, REFUND_POLICIES, sources, violations } from '../sdk/helpers.js';

let server: ScriptedModelServer;
let provider: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  server = await startScriptedModelServer();
  provider = createOpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await shutdown();
});

function refundTools(ran: string[]) {
  return {
    lookup_order: tool({
      description: 'Look an order up',
      inputSchema: z.object({ order_id: z.string() }),
      execute: async ({ order_id }) => ({ order_id, status: 'delivered', total: 950 }),
    }),
    issue_refund: tool({
      description: 'Refund an order',
      inputSchema: z.object({ order_id: z.string(), amount: z.number(), currency: z.string() }),
      execute: async ({ order_id, amount }) => {
        ran.push(`refund ${order_id} ${amount}`);
        return { refunded: amount };
      },
    }),
  };
}

describe('guardAiTools with the Vercel AI SDK (generateText, OpenAI provider)', () => {
  it('a denied call never runs; the model reads the denial as the tool output; the finding keeps the model’s call id', async () => {
    const t = init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const ran: string[] = [];
    const result = await traceRun('refund', { input: 'Please refund order A-1002 for $900' }, () =>
      generateText({
        model: provider.chat('refund-agent'),
        prompt: 'Please refund order A-1002 for $900',
        tools: guardAiTools(refundTools(ran)),
        stopWhen: stepCountIs(5),
      }),
    );
    expect(ran).toEqual([]);
    const refundCall = result.steps.flatMap((s) => s.toolCalls).find((c) => c.toolName === 'issue_refund');
    expect(refundCall).toBeDefined();
    const refundResult = result.steps.flatMap((s) => s.toolResults).find((r) => r.toolCallId === refundCall!.toolCallId);
    expect(refundResult?.output).toMatchObject({ status: 'denied', policy: 'refund-limit', callId: refundCall!.toolCallId });
    // the next request to the model carried the denial text as the tool result
    const lastRequest = JSON.stringify(server.requests.at(-1)?.body);
    expect(lastRequest).toContain('not executed: denied by policy refund-limit');
    expect(result.text).toContain('Refund results');
    const { findings } = await recorded(t.storePath);
    expect(violations(findings).map((f) => [f.policy, f.tool, f.callId])).toContainEqual(['refund-limit', 'issue_refund', refundCall!.toolCallId]);
  });

  it('an allowed call runs with the model’s arguments; onDeny: throw surfaces PolicyViolationError as the SDK’s tool error', async () => {
    init({ enforcementMode: 'enforce', policies: sources(REFUND_POLICIES) });
    const ran: string[] = [];
    const ok = await traceRun('small refund', () =>
      generateText({ model: provider.chat('refund-agent'), prompt: 'Please refund order A-1003 for $120', tools: guardAiTools(refundTools(ran)), stopWhen: stepCountIs(5) }),
    );
    expect(ran).toEqual(['refund A-1003 120']);
    expect(ok.text).toContain('Refund results');
    const thrown = await traceRun('big refund', () =>
      generateText({
        model: provider.chat('refund-agent'),
        prompt: 'Please refund order A-1004 for $900',
        tools: guardAiTools(refundTools(ran), { onDeny: 'throw' }),
        stopWhen: stepCountIs(5),
      }),
    );
    expect(ran).toEqual(['refund A-1003 120']);
    const error = thrown.steps.flatMap((s) => s.content).find((p) => p.type === 'tool-error');
    expect(error?.type === 'tool-error' && error.error).toBeInstanceOf(PolicyViolationError);
  });
});
