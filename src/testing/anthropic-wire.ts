// Anthropic Messages wire format for the scripted model server: reading requests the way the real
// endpoint validates them, and writing answers as a message or as SSE events.

import { argumentText, type ConversationMessage, type ScriptedConversation, type ScriptedTurn } from './script.js';

type Body = Record<string, unknown>;

function blockText(block: Body): string {
  if (block['type'] === 'text' && typeof block['text'] === 'string') return block['text'];
  if (block['type'] === 'tool_result') {
    const c = block['content'];
    if (typeof c === 'string') return c;
    if (Array.isArray(c)) return c.map((b) => (b && typeof b === 'object' ? blockText(b as Body) : '')).join('\n');
  }
  return '';
}

function blocksOf(content: unknown): Body[] | undefined {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (Array.isArray(content) && content.every((b) => b && typeof b === 'object')) return content as Body[];
  return undefined;
}

/** Reads a request; returns an error message where the real API answers 400. */
export function readAnthropicRequest(body: Body): { ok: true; conversation: ScriptedConversation } | { ok: false; message: string } {
  const model = body['model'];
  if (typeof model !== 'string') return { ok: false, message: 'model: field required' };
  if (typeof body['max_tokens'] !== 'number') return { ok: false, message: 'max_tokens: field required' };
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) return { ok: false, message: 'messages: at least one message is required' };
  const messages: ConversationMessage[] = [];
  const system = body['system'];
  if (system !== undefined) {
    const blocks = blocksOf(system);
    if (!blocks) return { ok: false, message: 'system: must be a string or a list of text blocks' };
    messages.push({ role: 'system', text: blocks.map(blockText).join('\n') });
  }
  let previousToolUses: string[] = [];
  for (const [i, raw] of rawMessages.entries()) {
    const m = (raw ?? {}) as Body;
    const blocks = blocksOf(m['content']);
    if (!blocks) return { ok: false, message: `messages.${i}.content: must be a string or a list of content blocks` };
    if (m['role'] === 'assistant') {
      if (previousToolUses.length > 0) {
        return { ok: false, message: `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${previousToolUses.join(', ')}` };
      }
      const uses = blocks.filter((b) => b['type'] === 'tool_use');
      const msg: ConversationMessage = { role: 'assistant', text: blocks.map(blockText).filter((t) => t !== '').join('\n') };
      if (uses.length > 0) {
        msg.toolCalls = uses.map((u) => ({ id: String(u['id']), name: String(u['name']), arguments: JSON.stringify(u['input'] ?? {}) }));
      }
      messages.push(msg);
      previousToolUses = uses.map((u) => String(u['id']));
    } else if (m['role'] === 'user') {
      const pending = new Set(previousToolUses);
      const seen = new Set<string>();
      for (const b of blocks) {
        if (b['type'] !== 'tool_result') continue;
        const id = String(b['tool_use_id']);
        if (!pending.has(id)) return { ok: false, message: `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}` };
        if (seen.has(id)) return { ok: false, message: `messages.${i}.content: each \`tool_use\` must have a single result; found multiple for ${id}` };
        seen.add(id);
        const result: ConversationMessage = { role: 'tool', text: blockText(b), toolCallId: id };
        if (b['is_error'] === true) result.isError = true;
        messages.push(result);
      }
      const missing = [...pending].filter((id) => !seen.has(id));
      if (missing.length > 0) {
        return { ok: false, message: `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}` };
      }
      const text = blocks.filter((b) => b['type'] === 'text').map(blockText).join('\n');
      if (text !== '') messages.push({ role: 'user', text });
      previousToolUses = [];
    } else return { ok: false, message: `messages.${i}.role: must be \`user\` or \`assistant\`` };
  }
  if (previousToolUses.length > 0) {
    return { ok: false, message: `\`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${previousToolUses.join(', ')}` };
  }
  let k = messages.length;
  while (k > 0 && messages[k - 1]!.role === 'tool') k--;
  const tools = Array.isArray(body['tools']) ? (body['tools'] as Array<{ name?: string }>) : [];
  return {
    ok: true,
    conversation: {
      api: 'anthropic',
      model,
      messages,
      step: messages.filter((m) => m.role === 'assistant').length,
      firstUserText: messages.find((m) => m.role === 'user')?.text ?? '',
      latestToolResults: messages.slice(k),
      toolNames: tools.map((t) => t.name ?? '').filter((n) => n !== ''),
    },
  };
}

function callIds(turn: ScriptedTurn, step: number): string[] {
  return (turn.toolCalls ?? []).map((c, i) => c.id ?? `toolu_${step}_${i}`);
}

function usage(conversation: ScriptedConversation, turn: ScriptedTurn): { input_tokens: number; output_tokens: number } {
  return {
    input_tokens: Math.ceil(conversation.messages.reduce((n, m) => n + m.text.length, 0) / 4) + 1,
    output_tokens: Math.ceil(((turn.text ?? '').length + (turn.toolCalls ?? []).reduce((n, c) => n + argumentText(c).length, 0)) / 4) + 1,
  };
}

function parsedInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

export function anthropicMessage(conversation: ScriptedConversation, turn: ScriptedTurn, id: string): Body {
  const content: Body[] = [];
  if (turn.reasoning !== undefined) content.push({ type: 'thinking', thinking: turn.reasoning, signature: 'scripted' });
  if (turn.text !== undefined) content.push({ type: 'text', text: turn.text });
  const ids = callIds(turn, conversation.step);
  for (const [i, c] of (turn.toolCalls ?? []).entries()) {
    content.push({ type: 'tool_use', id: ids[i], name: c.name, input: parsedInput(argumentText(c)) });
  }
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: conversation.model,
    content,
    stop_reason: (turn.toolCalls ?? []).length > 0 ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: usage(conversation, turn),
  };
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The SSE events of a streamed answer, in order; `null` marks where a fault cuts the stream. */
export function anthropicEvents(conversation: ScriptedConversation, turn: ScriptedTurn, id: string, chunkSize: number): Array<Body | null> {
  const u = usage(conversation, turn);
  const out: Array<Body | null> = [
    {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model: conversation.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: u.input_tokens, output_tokens: 1 } },
    },
  ];
  let index = 0;
  if (turn.reasoning !== undefined) {
    out.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (const p of pieces(turn.reasoning, chunkSize)) out.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: p } });
    out.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'scripted' } });
    out.push({ type: 'content_block_stop', index });
    index++;
  }
  if (turn.text !== undefined) {
    out.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const p of pieces(turn.text, chunkSize)) out.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: p } });
    out.push({ type: 'content_block_stop', index });
    index++;
  }
  const calls = turn.toolCalls ?? [];
  const ids = callIds(turn, conversation.step);
  for (const [n, call] of calls.entries()) {
    const args = pieces(argumentText(call), chunkSize);
    out.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: ids[n], name: call.name, input: {} } });
    const last = n === calls.length - 1;
    for (const [k, p] of args.entries()) {
      if ((turn.fault === 'truncate' || turn.fault === 'disconnect') && last && k === Math.floor(args.length / 2)) {
        out.push(null);
        return out;
      }
      if (turn.fault === 'inconsistent' && n === 0 && k === Math.floor(args.length / 2)) {
        // a delta for a block index that was never started
        out.push({ type: 'content_block_delta', index: index + 7, delta: { type: 'input_json_delta', partial_json: p } });
        continue;
      }
      out.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } });
    }
    out.push({ type: 'content_block_stop', index });
    index++;
  }
  out.push({ type: 'message_delta', delta: { stop_reason: calls.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: u.output_tokens } });
  out.push({ type: 'message_stop' });
  return out;
}
