import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedModelServer, type ScriptedModelServer } from '../../src/testing/index.js';

let server: ScriptedModelServer;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  server = await startScriptedModelServer({
    scripts: [
      {
        name: 'broken-stream',
        steps: [{ toolCalls: [{ name: 'issue_refund', args: { order_id: 'A-1', amount: 120 } }], fault: 'truncate' }],
      },
    ],
  });
  openai = new OpenAI({ apiKey: 'test', baseURL: server.openaiBaseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'test', baseURL: server.anthropicBaseURL, maxRetries: 0 });
});

afterAll(async () => {
  await server.close();
});

describe('scripted model server', () => {
  it('listens on loopback and answers unknown models with a 404 the client surfaces', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(/does not exist/);
  });

  it('plays a tool-calling refund conversation step by step, streamed and not, over the OpenAI API', async () => {
    const s = await startScriptedModelServer({ chunkSize: 3 });
    const client = new OpenAI({ apiKey: 'test', baseURL: s.openaiBaseURL, maxRetries: 0 });
    const first = await client.chat.completions.create({ model: 'refund-agent', messages: [{ role: 'user', content: 'Refund order A-7 for 40' }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).toBe('lookup_order');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ order_id: 'A-7' });
    const stream = client.chat.completions.stream({
      model: 'refund-agent',
      messages: [
        { role: 'user', content: 'Refund order A-7 for 40' },
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: '{"order_id":"A-7","status":"delivered"}' },
      ],
    });
    let deltas = 0;
    stream.on('chunk', () => deltas++);
    const second = await stream.finalChatCompletion();
    const refund = second.choices[0]!.message.tool_calls![0]!;
    expect(refund.type === 'function' && JSON.parse(refund.function.arguments)).toEqual({ order_id: 'A-7', amount: 40, currency: 'USD' });
    expect(deltas).toBeGreaterThan(10);
    await s.close();
  });

  it('plays the same scripts over the Anthropic Messages API, streamed and not', async () => {
    const s = await startScriptedModelServer();
    const client = new Anthropic({ apiKey: 'test', baseURL: s.anthropicBaseURL, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'shell-agent', max_tokens: 100, messages: [{ role: 'user', content: 'run `ls /tmp`' }] });
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const use = msg.content[1]!;
    expect(use.type === 'tool_use' && use.input).toEqual({ command: 'ls /tmp' });
    const streamed = await client.messages
      .stream({
        model: 'shell-agent',
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'run `ls /tmp`' },
          { role: 'assistant', content: msg.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.type === 'tool_use' ? use.id : '', content: 'a.txt b.txt' }] },
        ],
      })
      .finalMessage();
    expect(streamed.content).toEqual([{ type: 'text', text: 'Command output: a.txt b.txt', citations: null }].map((b) => expect.objectContaining({ type: b.type, text: b.text })));
    await s.close();
  });

  it('rejects a conversation with an unanswered tool call, as the real APIs do', async () => {
    const dangling = openai.chat.completions.create({
      model: 'broken-stream',
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } }] },
      ],
    });
    await expect(dangling).rejects.toThrow(/did not have response messages: c1/);
    const anthropicDangling = anthropic.messages.create({
      model: 'broken-stream',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'x' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'a', input: {} }] },
        { role: 'user', content: 'and?' },
      ],
    });
    await expect(anthropicDangling).rejects.toThrow(/without `tool_result` blocks immediately after: t1/);
    expect(server.requests.filter((r) => r.status === 400)).toHaveLength(2);
  });

  it('can cut a stream in the middle of tool-call arguments', async () => {
    const stream = await openai.chat.completions.create({ model: 'broken-stream', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBeNull();
    expect(() => JSON.parse(args)).toThrow();
  });
});
