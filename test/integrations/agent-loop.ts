// Minimal tool-calling agent loops over the real clients, as an application would write them:
// call the model, run each requested tool (in parallel, by call id), send the results back.

import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

export type ToolFn = (args: never, options?: { callId?: string }) => Promise<unknown>;

export const OPENAI_TOOLS = ['lookup_order', 'issue_refund', 'read_inbox', 'send_email', 'run_shell'].map((name) => ({
  type: 'function' as const,
  function: { name, description: `the ${name} tool`, parameters: { type: 'object', properties: {} } },
}));

export async function runOpenAIAgent(options: {
  client: OpenAI;
  model: string;
  prompt: string;
  tools: Record<string, ToolFn>;
  stream?: boolean;
  maxTurns?: number;
}): Promise<{ messages: OpenAI.Chat.ChatCompletionMessageParam[]; final: string }> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'system', content: 'You are a helpful support agent.' }, { role: 'user', content: options.prompt }];
  for (let turn = 0; turn < (options.maxTurns ?? 6); turn++) {
    let message: OpenAI.Chat.ChatCompletionMessage;
    if (options.stream) {
      const stream = options.client.chat.completions.stream({ model: options.model, messages, tools: OPENAI_TOOLS });
      message = (await stream.finalChatCompletion()).choices[0]!.message;
    } else {
      message = (await options.client.chat.completions.create({ model: options.model, messages, tools: OPENAI_TOOLS })).choices[0]!.message;
    }
    messages.push(message);
    const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
    if (calls.length === 0) return { messages, final: message.content ?? '' };
    const results = await Promise.all(
      calls.map(async (call) => {
        const tool = options.tools[call.function.name];
        const output = tool ? await tool(JSON.parse(call.function.arguments) as never, { callId: call.id }) : { error: `unknown tool ${call.function.name}` };
        return { role: 'tool' as const, tool_call_id: call.id, content: typeof output === 'string' ? output : JSON.stringify(output) };
      }),
    );
    messages.push(...results);
  }
  throw new Error('the agent did not finish');
}

export async function runAnthropicAgent(options: {
  client: Anthropic;
  model: string;
  prompt: string;
  tools: Record<string, ToolFn>;
  stream?: boolean;
  maxTurns?: number;
}): Promise<{ messages: Anthropic.MessageParam[]; final: string }> {
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: options.prompt }];
  const tools = OPENAI_TOOLS.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: { type: 'object' as const, properties: {} } }));
  for (let turn = 0; turn < (options.maxTurns ?? 6); turn++) {
    const params = { model: options.model, max_tokens: 1024, system: 'You are a helpful support agent.', messages, tools };
    const message = options.stream ? await options.client.messages.stream(params).finalMessage() : await options.client.messages.create(params);
    messages.push({ role: 'assistant', content: message.content });
    const uses = message.content.filter((b) => b.type === 'tool_use');
    if (uses.length === 0) return { messages, final: message.content.map((b) => (b.type === 'text' ? b.text : '')).join('') };
    const results = await Promise.all(
      uses.map(async (use) => {
        const tool = options.tools[use.name];
        const output = tool ? await tool(use.input as never, { callId: use.id }) : { error: `unknown tool ${use.name}` };
        return { type: 'tool_result' as const, tool_use_id: use.id, content: typeof output === 'string' ? output : JSON.stringify(output) };
      }),
    );
    messages.push({ role: 'user', content: results });
  }
  throw new Error('the agent did not finish');
}
