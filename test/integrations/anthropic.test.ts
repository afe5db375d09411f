import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { wrapAnthropic } from '../../src/integrations/index.js';
import { EnforcementError, guardTool, isToolDenial, PolicyViolationError, RunHaltedError, shutdown, traceRun } from '../../src/sdk/index.js';
import { builtInAgentScripts, startScriptedModelServer, type ScriptedModelServer } from '../../src/testing/index.js';
import { init, recorded, violations } from '../sdk/helpers.js';
import { runAnthropicAgent, type ToolFn } from './agent-loop.js';
import { AGENT_POLICIES, SECRET } from './policies.js';

let server: ScriptedModelServer;
let client: Anthropic;
const LEAK = `Your key is ${SECRET} — keep it safe. That is all the account data there is for this customer.`;

beforeAll(async () => {
  server = await startScriptedModelServer({
    chunkSize: 4,
    scripts: [
      ...builtInAgentScripts(),
      { name: 'leaky', steps: [{ text: LEAK }] },
      { name: 'codename', steps: [{ text: 'Sure. The migration is part of project NIGHTJAR, due in May. More details follow below.' }] },
      { name: 'truncating', steps: [{ text: 'Refunding now.', toolCalls: [{ name: 'issue_refund', args: { order_id: 'A-1', amount: 10 } }], fault: 'truncate' }] },
      { name: 'inconsistent', steps: [{ toolCalls: [{ name: 'issue_refund', args: { order_id: 'A-1', amount: 10 } }], fault: 'inconsistent' }] },
    ],
  });
  client = wrapAnthropic(new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 }));
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await shutdown();
});

function tools(log: string[]): Record<string, ToolFn> {
  return {
    lookup_order: guardTool(async (a: { order_id: string }) => ({ order_id: a.order_id, status: 'delivered', note: `api key ${SECRET}` }), { name: 'lookup_order' }) as ToolFn,
    issue_refund: guardTool(
      async (a: { order_id: string; amount: number }) => {
        log.push(`refund ${a.order_id} ${a.amount}`);
        return { refunded: a.amount };
      },
      { name: 'issue_refund' },
    ) as ToolFn,
    run_shell: guardTool(
      async (a: { command: string }) => {
        log.push(`shell ${a.command}`);
        return 'ok';
      },
      { name: 'run_shell' },
    ) as ToolFn,
  };
}

const policies = [{ file: 'agent.yaml', text: AGENT_POLICIES }];

describe.each([false, true])('wrapAnthropic (stream: %s) in enforce mode', (stream) => {
  it('lets an allowed refund through and blocks an over-limit one; the conversation stays valid', async () => {
    const t = init({ enforcementMode: 'enforce', policies });
    const log: string[] = [];
    const before = server.requests.length;
    await traceRun('refund', () => runAnthropicAgent({ client, model: 'refund-agent', prompt: 'Please refund order A-100 for 120', tools: tools(log), stream }));
    const blocked = await traceRun('refund', () => runAnthropicAgent({ client, model: 'refund-agent', prompt: 'Please refund order A-101 for 900', tools: tools(log), stream }));
    expect(log).toEqual(['refund A-100 120']);
    expect(blocked.final).toContain('not executed: denied by policy refund-limit');
    expect(server.requests.slice(before).every((r) => r.status === 200)).toBe(true);
    const { findings } = await recorded(t.storePath);
    // the model's thinking is kept as context of the finding
    const limit = violations(findings).find((f) => f.policy === 'refund-limit')!;
    expect(limit.context.recentReasoning.join(' ')).toContain('Refunding 900 for each');
  });

  it('redacts a secret in a tool result before the model sees it', async () => {
    init({ enforcementMode: 'enforce', policies });
    const before = server.requests.length;
    const result = await traceRun('lookup', () => runAnthropicAgent({ client, model: 'refund-agent', prompt: 'What is the status of order A-7?', tools: tools([]), stream }));
    expect(result.final).toContain('[REDACTED]');
    expect(JSON.stringify(server.requests.slice(before).map((r) => r.body))).not.toContain(SECRET);
  });

  it('redacts a secret in the answer text, split across chunks or not', async () => {
    init({ enforcementMode: 'enforce', policies, streamHoldBackChars: 40 });
    const expected = LEAK.replace(SECRET, '[REDACTED]');
    await traceRun('leak', async () => {
      const params = { model: 'leaky', max_tokens: 100, messages: [{ role: 'user' as const, content: 'my data?' }] };
      if (!stream) {
        const msg = await client.messages.create(params);
        expect(msg.content[0]!.type === 'text' && msg.content[0]!.text).toBe(expected);
        return;
      }
      const deltas: string[] = [];
      const s = client.messages.stream(params);
      s.on('text', (t) => deltas.push(t));
      const final = await s.finalMessage();
      expect(final.content[0]!.type === 'text' && final.content[0]!.text).toBe(expected);
      expect(deltas.join('')).toBe(expected);
      expect(deltas.length).toBeGreaterThan(1);
      for (const d of deltas) expect(d).not.toMatch(/sk_l|4eC39/);
    });
  });

  it('prevents a response: replaced, or the stream ends with an error before the phrase', async () => {
    init({ enforcementMode: 'enforce', policies, safeResponse: 'I cannot discuss that.' });
    await traceRun('codename', async () => {
      const params = { model: 'codename', max_tokens: 100, messages: [{ role: 'user' as const, content: 'what is the migration?' }] };
      if (!stream) {
        const msg = await client.messages.create(params);
        expect(msg.content).toEqual([expect.objectContaining({ type: 'text', text: 'I cannot discuss that.' })]);
        return;
      }
      let text = '';
      const s = await client.messages.create({ ...params, stream: true });
      const error = await (async () => {
        for await (const event of s) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      })().catch((e: unknown) => e);
      expect(PolicyViolationError.isInstance(error) && error.policy).toBe('no-codename');
      expect(text).not.toContain('NIGHT');
    });
  });

  it('decides tool_use blocks on their final input before the tool can run', async () => {
    init({ enforcementMode: 'enforce', policies });
    const log: string[] = [];
    const result = await traceRun('shell', () => runAnthropicAgent({ client, model: 'shell-agent', prompt: 'please run `rm -rf /var/lib/app`', tools: tools(log), stream }));
    expect(log).toEqual([]);
    expect(result.final).toContain('not executed: denied by policy no-destructive-shell');
  });
});

describe('wrapAnthropic streams that break', () => {
  it.each([
    ['truncating', /the stream ended before the answer was complete/],
    ['inconsistent', /not a tool call/],
  ])('a %s stream releases no tool_use block', async (model, message) => {
    init({ enforcementMode: 'enforce', policies });
    await traceRun('r', async () => {
      const s = await client.messages.create({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'refund' }] });
      const released: string[] = [];
      const error = await (async () => {
        for await (const event of s) if (event.type === 'content_block_start') released.push(event.content_block.type);
      })().catch((e: unknown) => e);
      expect(released).not.toContain('tool_use');
      expect(EnforcementError.isInstance(error) && error.code).toBe('stream_integrity');
      expect((error as Error).message).toMatch(message);
    });
  });
});

describe('wrapAnthropic conversations', () => {
  it('redacts nested tool_result blocks and system blocks of the request', async () => {
    init({ enforcementMode: 'enforce', policies });
    const before = server.requests.length;
    await traceRun('r', () =>
      client.messages.create({
        model: 'echo-agent',
        max_tokens: 100,
        system: [{ type: 'text', text: `internal ${SECRET}` }],
        messages: [
          { role: 'user', content: 'look it up' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'lookup_order', input: { order_id: 'A-1' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: [{ type: 'text', text: `the key is ${SECRET}` }] }] },
        ],
      }),
    );
    const sent = JSON.stringify(server.requests.slice(before)[0]!.body);
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('[REDACTED]');
  });

  it('a halted run leaves no dangling tool_use behind for the next request', async () => {
    const haltOnKeys = `
name: halt-on-private-keys
type: rule
severity: critical
on: tool.result
when: { result.note: { contains: 'PRIVATE KEY' } }
action: halt
`;
    init({ enforcementMode: 'enforce', policies: [{ file: 'halt.yaml', text: haltOnKeys }] });
    const lookup = guardTool(async (a: { order_id: string }) => ({ order_id: a.order_id, note: '-----BEGIN PRIVATE KEY-----' }), { name: 'lookup_order' });
    const history: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the status of order A-1?' }];
    const error = await traceRun('ops', async () => {
      const msg = await client.messages.create({ model: 'refund-agent', max_tokens: 100, messages: history });
      history.push({ role: 'assistant', content: msg.content });
      const use = msg.content.find((b) => b.type === 'tool_use')!;
      await lookup(use.input as { order_id: string }, { callId: use.id });
    }).catch((e: unknown) => e);
    expect(RunHaltedError.isInstance(error)).toBe(true);
    history.push({ role: 'user', content: 'what happened?' });
    const before = server.requests.length;
    await traceRun('ops-2', () => client.messages.create({ model: 'echo-agent', max_tokens: 100, messages: history }));
    const sent = server.requests.slice(before)[0]!;
    expect(sent.status).toBe(200);
    expect(JSON.stringify(sent.body)).toContain('the run was halted by policy halt-on-private-keys');
  });

  it('detect mode passes every event through unchanged', async () => {
    init({ enforcementMode: 'detect', policies });
    const direct = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
    const params = { model: 'leaky', max_tokens: 100, messages: [{ role: 'user' as const, content: 'x' }] };
    const plain = await direct.messages.stream(params).finalMessage();
    const watched = await traceRun('r', () => client.messages.stream(params).finalMessage());
    expect(watched.content).toEqual(plain.content);
  });

  it('tool calls the application runs without a guard are still decided: a denied call is unanswered by a tool', async () => {
    init({ enforcementMode: 'enforce', policies });
    await traceRun('r', async () => {
      const msg = await client.messages.create({ model: 'shell-agent', max_tokens: 100, messages: [{ role: 'user', content: 'run `rm -rf /`' }] });
      const use = msg.content.find((b) => b.type === 'tool_use')!;
      // the decision is bound to the call id: a guarded tool given that id refuses it
      const out = await tools([])['run_shell']!({ command: 'rm -rf /' } as never, { callId: use.id });
      expect(isToolDenial(out) && out.policy).toBe('no-destructive-shell');
    });
  });
});
