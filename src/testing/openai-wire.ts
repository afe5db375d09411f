// OpenAI Chat Completions wire format for the scripted model server: reading requests the way the
// real endpoint validates them, and writing answers as a completion or as SSE chunks.

import { argumentText, type ConversationMessage, type ScriptedConversation, type ScriptedTurn } from './script.js';

type Body = Record<string, unknown>;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof (part as Body)['text'] === 'string' ? ((part as Body)['text'] as string) : ''))
      .filter((t) => t !== '')
      .join('\n');
  }
  return '';
}

/** Reads a request; returns an error message where the real API answers 400. */
export function readOpenAIRequest(body: Body): { ok: true; conversation: ScriptedConversation } | { ok: false; message: string } {
  const model = body['model'];
  const rawMessages = body['messages'];
  if (typeof model !== 'string') return { ok: false, message: 'you must provide a model parameter' };
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) return { ok: false, message: "'messages' must be a non-empty array" };
  const messages: ConversationMessage[] = [];
  for (const [i, raw] of rawMessages.entries()) {
    if (!raw || typeof raw !== 'object') return { ok: false, message: `messages[${i}] must be an object` };
    const m = raw as Body;
    const role = m['role'];
    if (role === 'system' || role === 'developer') messages.push({ role: 'system', text: textOf(m['content']) });
    else if (role === 'user') messages.push({ role: 'user', text: textOf(m['content']) });
    else if (role === 'assistant') {
      const msg: ConversationMessage = { role: 'assistant', text: textOf(m['content']) };
      const calls = m['tool_calls'];
      if (Array.isArray(calls) && calls.length > 0) {
        msg.toolCalls = calls.map((c) => {
          const call = c as { id?: unknown; function?: { name?: unknown; arguments?: unknown } };
          return { id: String(call.id), name: String(call.function?.name), arguments: String(call.function?.arguments ?? '') };
        });
      }
      messages.push(msg);
    } else if (role === 'tool') {
      const id = m['tool_call_id'];
      if (typeof id !== 'string') return { ok: false, message: `messages[${i}].tool_call_id is required for role 'tool'` };
      messages.push({ role: 'tool', text: textOf(m['content']), toolCallId: id });
    } else return { ok: false, message: `messages[${i}].role \`${String(role)}\` is not supported` };
  }
  // The real API's conversation rules: every tool call answered by exactly one tool message, right after it.
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'tool') {
      return { ok: false, message: `invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (messages[${i}])` };
    }
    if (m.role !== 'assistant' || !m.toolCalls) continue;
    const pending = new Set(m.toolCalls.map((c) => c.id));
    let j = i + 1;
    for (; j < messages.length && messages[j]!.role === 'tool'; j++) {
      const id = messages[j]!.toolCallId!;
      if (!pending.delete(id)) {
        return { ok: false, message: `invalid parameter: tool_call_id \`${id}\` (messages[${j}]) does not answer a pending tool call` };
      }
    }
    if (pending.size > 0) {
      return {
        ok: false,
        message: `an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. the following tool_call_ids did not have response messages: ${[...pending].join(', ')}`,
      };
    }
    i = j - 1;
  }
  const assistantTurns = messages.filter((m) => m.role === 'assistant').length;
  let k = messages.length;
  while (k > 0 && messages[k - 1]!.role === 'tool') k--;
  const tools = Array.isArray(body['tools']) ? (body['tools'] as Array<{ function?: { name?: string } }>) : [];
  return {
    ok: true,
    conversation: {
      api: 'openai',
      model,
      messages,
      step: assistantTurns,
      firstUserText: messages.find((m) => m.role === 'user')?.text ?? '',
      latestToolResults: messages.slice(k),
      toolNames: tools.map((t) => t.function?.name ?? '').filter((n) => n !== ''),
    },
  };
}

function callIds(turn: ScriptedTurn, step: number): string[] {
  return (turn.toolCalls ?? []).map((c, i) => c.id ?? `call_${step}_${i}`);
}

function usage(conversation: ScriptedConversation, turn: ScriptedTurn): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const prompt = Math.ceil(conversation.messages.reduce((n, m) => n + m.text.length, 0) / 4) + 1;
  const completion = Math.ceil(((turn.text ?? '').length + (turn.toolCalls ?? []).reduce((n, c) => n + argumentText(c).length, 0)) / 4) + 1;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function openAICompletion(conversation: ScriptedConversation, turn: ScriptedTurn, id: string): Body {
  const ids = callIds(turn, conversation.step);
  const calls = (turn.toolCalls ?? []).map((c, i) => ({ id: ids[i]!, type: 'function', function: { name: c.name, arguments: argumentText(c) } }));
  const message: Body = { role: 'assistant', content: turn.text ?? (calls.length > 0 ? null : ''), refusal: null };
  if (calls.length > 0) message['tool_calls'] = calls;
  if (turn.reasoning !== undefined) message['reasoning_content'] = turn.reasoning;
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: conversation.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: calls.length > 0 ? 'tool_calls' : 'stop' }],
    usage: usage(conversation, turn),
  };
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The SSE `data:` payloads of a streamed answer, in order; `null` marks where a fault cuts the stream. */
export function openAIChunks(
  conversation: ScriptedConversation,
  turn: ScriptedTurn,
  id: string,
  chunkSize: number,
  includeUsage: boolean,
): Array<Body | '[DONE]' | null> {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Body, finish: string | null = null): Body => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model: conversation.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  const out: Array<Body | '[DONE]' | null> = [chunk({ role: 'assistant', content: '' })];
  if (turn.reasoning !== undefined) for (const p of pieces(turn.reasoning, chunkSize)) out.push(chunk({ reasoning_content: p }));
  if (turn.text !== undefined) for (const p of pieces(turn.text, chunkSize)) out.push(chunk({ content: p }));
  const calls = turn.toolCalls ?? [];
  const ids = callIds(turn, conversation.step);
  for (const [index, call] of calls.entries()) {
    const args = pieces(argumentText(call), chunkSize);
    out.push(chunk({ tool_calls: [{ index, id: ids[index], type: 'function', function: { name: call.name, arguments: '' } }] }));
    const last = index === calls.length - 1;
    for (const [n, p] of args.entries()) {
      if (turn.fault === 'inconsistent' && index === 0 && n === Math.floor(args.length / 2)) {
        out.push(chunk({ tool_calls: [{ index, id: `${ids[index]}_changed`, function: { arguments: p } }] }));
        continue;
      }
      if ((turn.fault === 'truncate' || turn.fault === 'disconnect') && last && n === Math.floor(args.length / 2)) {
        out.push(null);
        return out;
      }
      out.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }));
    }
  }
  out.push(chunk({}, calls.length > 0 ? 'tool_calls' : 'stop'));
  if (includeUsage) out.push({ id, object: 'chat.completion.chunk', created, model: conversation.model, choices: [], usage: usage(conversation, turn) });
  out.push('[DONE]');
  return out;
}
