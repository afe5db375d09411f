import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { wrapOpenAI } from '../../src/integrations/index.js';
import {
  EnforcementError,
  guardTool,
  isToolDenial,
  PolicyViolationError,
  RunHaltedError,
  shutdown,
  traceRun,
} from '../../src/sdk/index.js';
import { activeTracer } from '../../src/sdk/tracer.js';
import { builtInAgentScripts, startScriptedModelServer, type ScriptedModelServer } from '../../src/testing/index.js';
import { init, recorded, REFUND_POLICIES, violations } from '../sdk/helpers.js';
import { runOpenAIAgent, type ToolFn } from './agent-loop.js';
import { AGENT_POLICIES, HALT_SHELL, SECRET } from './policies.js';

let server: ScriptedModelServer;
let client: OpenAI;

const LEAK = `Your key is ${SECRET} — keep it safe. That is all the account data there is for this customer.`;

beforeAll(async () => {
  server = await startScriptedModelServer({
    chunkSize: 4,
    scripts: [
      ...builtInAgentScripts(),
      { name: 'leaky', steps: [{ text: LEAK }] },
      { name: 'codename', steps: [{ text: 'Sure. The migration is part of project NIGHTJAR, due in May. More details follow below.' }] },
      { name: 'truncating', steps: [{ toolCalls: [{ name: 'issue_refund', args: { order_id: 'A-1', amount: 10 } }], fault: 'truncate' }] },
      { name: 'disconnecting', steps: [{ toolCalls: [{ name: 'issue_refund', args: { order_id: 'A-1', amount: 10 } }], fault: 'disconnect' }] },
      { name: 'inconsistent', steps: [{ toolCalls: [{ name: 'issue_refund', args: { order_id: 'A-1', amount: 10 } }], fault: 'inconsistent' }] },
      { name: 'malformed', steps: [{ toolCalls: [{ name: 'issue_refund', args: '{"order_id": "A-1", "amount": ' }] }] },
    ],
  });
  client = wrapOpenAI(new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 }));
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
        return { refunded: a.amount, order_id: a.order_id };
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

const requestsSince = (n: number) => server.requests.slice(n);

describe.each([false, true])('wrapOpenAI (stream: %s) in enforce mode', (stream) => {
  it('lets an allowed refund through and blocks an over-limit one; the model reads the denial', async () => {
    const t = init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const log: string[] = [];
    const before = server.requests.length;
    const ok = await traceRun('refund', () => runOpenAIAgent({ client, model: 'refund-agent', prompt: 'Please refund order A-100 for 120', tools: tools(log), stream }));
    const blocked = await traceRun('refund', () => runOpenAIAgent({ client, model: 'refund-agent', prompt: 'Please refund order A-101 for 900', tools: tools(log), stream }));
    expect(log).toEqual(['refund A-100 120']);
    expect(ok.final).toContain('"refunded":120');
    expect(blocked.final).toContain('not executed: denied by policy refund-limit: refund of 900 exceeds the 500 limit');
    // every request was a conversation the API accepts
    expect(requestsSince(before).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const found = violations((await recorded(t.storePath)).findings);
    expect(found.filter((f) => f.policy === 'refund-limit').map((f) => [f.outcome, f.eventKind, f.callId])).toEqual([['blocked', 'tool.call', 'call_1_0']]);
  });

  it('redacts a secret in a tool result before the model sees it', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const before = server.requests.length;
    const result = await traceRun('lookup', () => runOpenAIAgent({ client, model: 'refund-agent', prompt: 'What is the status of order A-7?', tools: tools([]), stream }));
    expect(result.final).toContain('[REDACTED]');
    expect(JSON.stringify(requestsSince(before).map((r) => r.body))).not.toContain(SECRET);
  });

  it('redacts a secret in streamed or returned text, also when it is split across chunks', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }], streamHoldBackChars: 40 });
    const expected = LEAK.replace(SECRET, '[REDACTED]');
    await traceRun('leak', async () => {
      if (!stream) {
        const res = await client.chat.completions.create({ model: 'leaky', messages: [{ role: 'user', content: 'my data?' }] });
        expect(res.choices[0]!.message.content).toBe(expected);
        return;
      }
      const chunks: string[] = [];
      const s = await client.chat.completions.create({ model: 'leaky', stream: true, messages: [{ role: 'user', content: 'my data?' }] });
      for await (const chunk of s) chunks.push(chunk.choices[0]?.delta.content ?? '');
      expect(chunks.join('')).toBe(expected);
      expect(chunks.filter((c) => c !== '').length).toBeGreaterThan(1);
      for (const c of chunks) expect(c).not.toMatch(/sk_l|4eC39/);
    });
  });

  it('prevents a response: replaced by the safe message, or the stream ends with an error before the phrase', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }], safeResponse: 'I cannot discuss that.' });
    await traceRun('codename', async () => {
      if (!stream) {
        const res = await client.chat.completions.create({ model: 'codename', messages: [{ role: 'user', content: 'what is the migration?' }] });
        expect(res.choices[0]!.message.content).toBe('I cannot discuss that.');
        return;
      }
      const s = await client.chat.completions.create({ model: 'codename', stream: true, messages: [{ role: 'user', content: 'what is the migration?' }] });
      let text = '';
      const error = await (async () => {
        for await (const chunk of s) text += chunk.choices[0]?.delta.content ?? '';
      })().catch((e: unknown) => e);
      expect(PolicyViolationError.isInstance(error)).toBe(true);
      expect((error as PolicyViolationError).policy).toBe('no-codename');
      expect((error as PolicyViolationError).point).toBe('llm.response');
      expect(text).not.toContain('NIGHTJAR');
      expect(text).not.toContain('NIGHT');
    });
  });

  it('decides streamed tool calls on their final arguments before the tool can run', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const log: string[] = [];
    const result = await traceRun('shell', () => runOpenAIAgent({ client, model: 'shell-agent', prompt: 'please run `rm -rf /var/lib/app`', tools: tools(log), stream }));
    expect(log).toEqual([]);
    expect(result.final).toContain('not executed: denied by policy no-destructive-shell');
  });

  it('reserves counters for a batch of parallel tool calls before any of them runs', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const log: string[] = [];
    const before = server.requests.length;
    const result = await traceRun('batch', () =>
      runOpenAIAgent({ client, model: 'refund-agent', prompt: 'Refund orders A-1, A-2, A-3, A-4 and A-5 for 300 each', tools: tools(log), stream }),
    );
    // 3 x 300 fits both the count (3) and the budget (1000); the fourth and fifth do not
    expect(log.sort()).toEqual(['refund A-1 300', 'refund A-2 300', 'refund A-3 300']);
    const toolMessages = result.messages.filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(10);
    expect(toolMessages.filter((m) => String(m.content).includes('not executed: denied by policy'))).toHaveLength(2);
    expect(requestsSince(before).every((r) => r.status === 200)).toBe(true);
  });
});

describe('wrapOpenAI request side', () => {
  it('redacts secrets in a prompt, nested content parts included, before the request leaves', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const before = server.requests.length;
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: `internal key ${SECRET}` },
      { role: 'user', content: [{ type: 'text', text: 'hello' }, { type: 'text', text: `my key is ${SECRET}, is it valid?` }] },
    ];
    const original = JSON.stringify(messages);
    await traceRun('prompt', () => client.chat.completions.create({ model: 'echo-agent', messages }));
    const sent = JSON.stringify(requestsSince(before)[0]!.body);
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('my key is [REDACTED], is it valid?');
    // the caller's own objects are never rewritten
    expect(JSON.stringify(messages)).toBe(original);
  });

  it('checks tool output an unguarded tool produced before it enters the model’s context', async () => {
    // only the tool.result redaction: no request-level rule that would catch the secret anyway
    const t = init({ enforcementMode: 'enforce', policies: [{ file: 'refunds.yaml', text: REFUND_POLICIES }] });
    const before = server.requests.length;
    const plain: Record<string, ToolFn> = {
      lookup_order: (async (a: { order_id: string }) => ({ order_id: a.order_id, note: `api key ${SECRET}` })) as ToolFn,
    };
    const result = await traceRun('lookup', async () => {
      const first = await runOpenAIAgent({ client, model: 'refund-agent', prompt: 'Status of A-9?', tools: plain });
      // the application's own history still holds the raw output; sending it again must not leak it
      await client.chat.completions.create({ model: 'echo-agent', messages: [...first.messages, { role: 'user', content: 'thanks' }] });
      return first;
    });
    expect(JSON.stringify(result.messages)).toContain(SECRET);
    expect(requestsSince(before)).toHaveLength(3);
    expect(JSON.stringify(requestsSince(before).map((r) => r.body))).not.toContain(SECRET);
    const found = violations((await recorded(t.storePath)).findings);
    expect(found.find((f) => f.policy === 'redact-api-keys')).toMatchObject({ eventKind: 'tool.result', direction: 'tool_output', outcome: 'modified' });
  });

  it('fails closed when the engine faults on a request: nothing is sent', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const engine = activeTracer()!.settings.engine;
    const evaluate = engine.evaluate.bind(engine);
    engine.evaluate = (event, options) => {
      if (event.kind === 'llm.request') throw new Error('kernel trapped');
      return evaluate(event, options);
    };
    const before = server.requests.length;
    const error = await traceRun('r', () => client.chat.completions.create({ model: 'echo-agent', messages: [{ role: 'user', content: 'hi' }] })).catch((e: unknown) => e);
    expect(PolicyViolationError.isInstance(error) && error.policy).toBe('cascade/engine');
    expect(server.requests.length).toBe(before);
  });
});

describe('wrapOpenAI stream integrity', () => {
  it.each([
    ['truncating', /the stream ended before the answer was complete/],
    ['inconsistent', /changed identity mid-stream/],
    ['disconnecting', /./],
  ])('a %s stream releases no tool call and the call can never run', async (model, message) => {
    const t = init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const log: string[] = [];
    const refund = tools(log)['issue_refund']!;
    await traceRun('r', async () => {
      const s = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'refund' }] });
      const released: unknown[] = [];
      const error = await (async () => {
        for await (const chunk of s) if (chunk.choices[0]?.delta.tool_calls) released.push(chunk);
      })().catch((e: unknown) => e);
      expect(released).toEqual([]);
      expect(error).toBeInstanceOf(Error);
      if (model !== 'disconnecting') {
        expect(EnforcementError.isInstance(error) && error.code).toBe('stream_integrity');
        expect((error as Error).message).toMatch(message);
      }
      // even if the application tried the call anyway, by its id, it would not run
      const out = await refund({ order_id: 'A-1', amount: 10 } as never, { callId: 'call_0_0' });
      if (model !== 'disconnecting') expect(isToolDenial(out) && out.policy).toBe('cascade/stream-integrity');
    });
    if (model !== 'disconnecting') {
      expect(log).toEqual([]);
      const errors = (await recorded(t.storePath)).findings.filter((f) => f.outcome === 'error');
      expect(errors[0]).toMatchObject({ policy: 'cascade/stream-integrity', eventKind: 'tool.call' });
    }
  });

  it('an application that stops reading a stream early aborts it, and its run goes on', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }], streamHoldBackChars: 8 });
    await traceRun('r', async () => {
      const s = await client.chat.completions.create({ model: 'leaky', stream: true, messages: [{ role: 'user', content: 'x' }] });
      for await (const chunk of s) {
        if (chunk.choices[0]?.delta.content) break;
      }
      expect(s.controller.signal.aborted).toBe(true);
      const next = await client.chat.completions.create({ model: 'echo-agent', messages: [{ role: 'user', content: 'still here?' }] });
      expect(next.choices[0]!.message.content).toBe('still here?');
    });
  });

  it('a call with malformed arguments is denied, the rest of the answer is delivered', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const log: string[] = [];
    const refund = tools(log)['issue_refund']!;
    await traceRun('r', async () => {
      const res = await client.chat.completions.create({ model: 'malformed', messages: [{ role: 'user', content: 'refund' }] });
      const call = res.choices[0]!.message.tool_calls![0]!;
      expect(call.id).toBe('call_0_0');
      const out = await refund({} as never, { callId: call.id });
      expect(isToolDenial(out) && out.policy).toBe('cascade/invalid-arguments');
    });
    expect(log).toEqual([]);
  });
});

describe('wrapOpenAI across runs and modes', () => {
  it('detect mode changes nothing the application sees and records what it would have blocked', async () => {
    const t = init({ enforcementMode: 'detect', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const log: string[] = [];
    const result = await traceRun('r', () => runOpenAIAgent({ client, model: 'refund-agent', prompt: 'Please refund order A-1 for 900', tools: tools(log), stream: true }));
    expect(log).toEqual(['refund A-1 900']);
    expect(result.final).toContain('"refunded":900');
    const res = await traceRun('r', () => client.chat.completions.create({ model: 'leaky', messages: [{ role: 'user', content: 'x' }] }));
    expect(res.choices[0]!.message.content).toBe(LEAK);
    const found = violations((await recorded(t.storePath)).findings);
    expect(found.map((f) => [f.policy, f.outcome])).toEqual(
      expect.arrayContaining([
        ['refund-limit', 'would_block'],
        ['redact-secrets-in-answers', 'would_block'],
      ]),
    );
  });

  it('a halt at response time withholds the whole answer: no tool call of it reaches the application', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: HALT_SHELL }] });
    const error = await traceRun('ops', () => client.chat.completions.create({ model: 'shell-agent', messages: [{ role: 'user', content: 'please run `rm -rf /srv`' }] })).catch((e: unknown) => e);
    expect(RunHaltedError.isInstance(error) && error.policy).toBe('halt-on-destructive-shell');
  });

  it('a halted run refuses further model calls without sending them, and the next run can continue the conversation', async () => {
    const haltOnKeys = `
name: halt-on-private-keys
type: rule
severity: critical
on: tool.result
when: { result.note: { contains: 'PRIVATE KEY' } }
action: halt
message: a tool returned a private key
`;
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: haltOnKeys }] });
    const lookup = guardTool(
      async (a: { order_id: string }) => {
        if (a.order_id === 'A-2') await new Promise((r) => setTimeout(r, 20));
        return { order_id: a.order_id, note: a.order_id === 'A-1' ? '-----BEGIN PRIVATE KEY-----' : 'fine' };
      },
      { name: 'lookup_order' },
    );
    const history: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Refund orders A-1 and A-2 for 10 each' }];
    const error = await traceRun('ops', async () => {
      const res = await client.chat.completions.create({ model: 'refund-agent', messages: history });
      history.push(res.choices[0]!.message);
      const calls = res.choices[0]!.message.tool_calls!.filter((c) => c.type === 'function');
      const settled = await Promise.allSettled(calls.map((c) => lookup(JSON.parse(c.function.arguments) as { order_id: string }, { callId: c.id })));
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      const before = server.requests.length;
      const again = await client.chat.completions.create({ model: 'refund-agent', messages: history }).catch((e: unknown) => e);
      expect(RunHaltedError.isInstance(again)).toBe(true);
      expect(server.requests.length).toBe(before);
    }).catch((e: unknown) => e);
    expect(RunHaltedError.isInstance(error)).toBe(true);
    // the history ends with two tool calls that never got results; the next run sends a valid conversation
    history.push({ role: 'user', content: 'what happened?' });
    const before = server.requests.length;
    await traceRun('ops-2', () => client.chat.completions.create({ model: 'echo-agent', messages: history }));
    const sent = requestsSince(before)[0]!;
    expect(sent.status).toBe(200);
    const toolMessages = (sent.body['messages'] as Array<{ role: string; content: string }>).filter((m) => m.role === 'tool');
    expect(toolMessages).toHaveLength(2);
    for (const m of toolMessages) expect(m.content).toContain('the run was halted by policy halt-on-private-keys');
  });

  it('100 parallel streamed runs, each with its own state', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }], store: false });
    const log: string[] = [];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        traceRun(`run-${i}`, () =>
          runOpenAIAgent({ client, model: 'refund-agent', prompt: `Refund orders A-${i}1, A-${i}2, A-${i}3 and A-${i}4 for 250 each`, tools: tools(log), stream: i % 2 === 0 }),
        ),
      ),
    );
    // per run: three refunds fit the count limit, the fourth is denied, independently of the 99 others
    for (const r of results) {
      const toolResults = r.messages.filter((m) => m.role === 'tool').map((m) => String(m.content));
      expect(toolResults.filter((c) => c.includes('"refunded":250'))).toHaveLength(3);
      expect(toolResults.filter((c) => c.includes('denied by policy refund-count'))).toHaveLength(1);
    }
    expect(log).toHaveLength(300);
  });

  it('a sub-agent’s model calls count against its parent run', async () => {
    init({ enforcementMode: 'enforce', policies: [{ file: 'agent.yaml', text: AGENT_POLICIES }] });
    const log: string[] = [];
    await traceRun('parent', async () => {
      await runOpenAIAgent({ client, model: 'refund-agent', prompt: 'Refund orders A-1 and A-2 for 400 each', tools: tools(log) });
      await traceRun('sub-agent', () => runOpenAIAgent({ client, model: 'refund-agent', prompt: 'Refund order A-3 for 400', tools: tools(log), stream: true }));
    });
    expect(log).toEqual(['refund A-1 400', 'refund A-2 400']);
  });
});

describe('approvals through the wrapper', () => {
  const APPROVAL = `
name: refund-approval
type: rule
severity: high
on: tool.call
when:
  all:
    - tool: issue_refund
    - args.amount: { gt: 500 }
action: require_approval
message: refund of {{args.amount}} needs a human
`;

  it('asks when the model’s call arrives, binds the grant to that exact call, uses it once, and re-asks for an edited call', async () => {
    const asked: Array<{ callId?: string; amount: unknown }> = [];
    init({
      enforcementMode: 'enforce',
      policies: [{ file: 'approval.yaml', text: APPROVAL }],
      approver: (r) => {
        asked.push({ ...(r.callId !== undefined ? { callId: r.callId } : {}), amount: (r.args as { amount?: unknown }).amount });
        return (r.args as { amount: number }).amount < 1_000;
      },
    });
    const log: string[] = [];
    const refund = tools(log)['issue_refund']!;
    await traceRun('r', async () => {
      const res = await client.chat.completions.create({
        model: 'refund-agent',
        messages: [
          { role: 'user', content: 'Please refund order A-1 for 900' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_0_0', type: 'function', function: { name: 'lookup_order', arguments: '{"order_id":"A-1"}' } }] },
          { role: 'tool', tool_call_id: 'call_0_0', content: '{"status":"delivered"}' },
        ],
      });
      const call = res.choices[0]!.message.tool_calls![0]!;
      expect(asked).toEqual([{ callId: call.id, amount: 900 }]);
      const args = JSON.parse(call.type === 'function' ? call.function.arguments : '{}') as { order_id: string; amount: number };
      // the approved call runs without asking again
      expect(await refund(args as never, { callId: call.id })).toEqual({ refunded: 900, order_id: 'A-1' });
      expect(asked).toHaveLength(1);
      // the same call id again: the grant was single-use, so the approver is asked again
      expect(await refund(args as never, { callId: call.id })).toEqual({ refunded: 900, order_id: 'A-1' });
      expect(asked).toHaveLength(2);
      // an edited call is a new call: decided again, and this one is refused
      const edited = await refund({ ...args, amount: 5_000 } as never, { callId: call.id });
      expect(isToolDenial(edited) && edited.policy).toBe('refund-approval');
      expect(asked.at(-1)).toEqual({ callId: call.id, amount: 5_000 });
    });
    expect(log).toEqual(['refund A-1 900', 'refund A-1 900']);
  });
});
