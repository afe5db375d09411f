// wrapAnthropic: guards `client.messages.create` of the official `@anthropic-ai/sdk` client,
// streaming and not. The client is patched in place (and returned), so `messages.stream()` and
// `messages.parse()`, which call `create` internally, are guarded too. Nothing is imported from
// the Anthropic SDK at run time; wire shapes are read structurally.

import type { ChatMessage, JsonValue, TokenUsage, ToolSpec } from '../events/types.js';
import { SYSTEM_POLICY } from '../sdk/denial.js';
import { EnforcementError, PolicyViolationError, RunHaltedError } from '../sdk/errors.js';
import type { Run } from '../sdk/run-context.js';
import { HoldBackTextGuard } from '../sdk/stream-text-guard.js';
import { parseArguments, ToolCallAssembler, type AssembledToolCall } from '../sdk/tool-call-assembly.js';
import type { Tracer } from '../sdk/tracer.js';
import { cloneBody, patchCreate, withRunSignal, type ApiPromiseLike, type ClientResponse } from './api-call.js';
import { LlmTurn, type RequestText, type RequestToolResult, type RequestView } from './llm-turn.js';

type Obj = Record<string, unknown>;
type CreateFn = (body: Obj, options?: unknown) => ApiPromiseLike<unknown>;

/** The part of an Anthropic client this wrapper needs. */
export interface AnthropicClientLike {
  messages: { create: (...args: never[]) => unknown };
}

/**
 * Guards messages of an `@anthropic-ai/sdk` client: the request (tool results it carries
 * included) is checked before it is sent, the answer before it is returned, and each `tool_use`
 * is decided before your code sees it. Returns the same client, patched.
 */
export function wrapAnthropic<C extends AnthropicClientLike>(client: C): C {
  patchCreate(client.messages as unknown as Obj & { create: CreateFn }, guardedCreate);
  return client;
}

async function guardedCreate(tracer: Tracer, run: Run, original: CreateFn, body: Obj, options: unknown): Promise<ClientResponse<unknown>> {
  run.assertActive();
  const stream = body['stream'] === true;
  const turn = new LlmTurn(tracer, run, 'anthropic', String(body['model'] ?? ''), stream);
  const outgoing: Obj = { ...body, messages: cloneBody(Array.isArray(body['messages']) ? body['messages'] : []) };
  if (body['system'] !== undefined) outgoing['system'] = cloneBody(body['system']);
  repairUnansweredCalls(outgoing, turn);
  await turn.checkToolResults(requestView(outgoing).toolResults);
  await turn.checkRequest(requestView(outgoing));
  run.assertActive();
  let result: ClientResponse<unknown>;
  try {
    result = await original(outgoing, withRunSignal(options, run)).withResponse();
  } catch (e) {
    throw run.halted ?? e;
  }
  if (stream) return { ...result, data: guardStream(turn, result.data as AsyncIterable<Obj> & Obj) };
  return { ...result, data: await guardMessage(turn, result.data as Obj) };
}

// ---------------------------------------------------------------- request

function blocksOf(content: unknown): Obj[] | undefined {
  return Array.isArray(content) ? (content.filter((b) => b && typeof b === 'object') as Obj[]) : undefined;
}

/** Every piece of text in the request (nested tool_result blocks included), each writable. */
function requestView(body: Obj): RequestView {
  const texts: RequestText[] = [];
  const toolResults: RequestToolResult[] = [];
  const toolNames = new Map<string, string>();
  const system = body['system'];
  if (typeof system === 'string') texts.push({ message: { role: 'system', content: system }, write: (t) => (body['system'] = t) });
  for (const b of blocksOf(system) ?? []) {
    if (typeof b['text'] === 'string') texts.push({ message: { role: 'system', content: b['text'] }, write: (t) => (b['text'] = t) });
  }
  for (const m of body['messages'] as Obj[]) {
    if (!m || typeof m !== 'object') continue;
    const role: ChatMessage['role'] = m['role'] === 'assistant' ? 'assistant' : 'user';
    const content = m['content'];
    if (typeof content === 'string') {
      texts.push({ message: { role, content }, write: (t) => (m['content'] = t) });
      continue;
    }
    for (const block of blocksOf(content) ?? []) {
      const type = block['type'];
      if (type === 'text' && typeof block['text'] === 'string') {
        texts.push({ message: { role, content: block['text'] }, write: (t) => (block['text'] = t) });
      } else if (type === 'tool_use') {
        const id = String(block['id']);
        const name = String(block['name'] ?? '');
        toolNames.set(id, name);
        texts.push({
          message: { role: 'assistant', content: JSON.stringify(block['input'] ?? {}), toolCallId: id, name },
          write: (t) => {
            const parsed = parseArguments(t);
            block['input'] = parsed.ok ? parsed.args : { redacted: t };
          },
        });
      } else if (type === 'tool_result') {
        const id = String(block['tool_use_id']);
        const inner = block['content'];
        if (typeof inner === 'string') {
          texts.push({ message: { role: 'tool', content: inner, toolCallId: id }, write: (t) => (block['content'] = t) });
          toolResults.push({ callId: id, tool: toolNames.get(id) ?? '', content: inner, write: (t) => (block['content'] = t) });
        } else {
          const parts = blocksOf(inner) ?? [];
          for (const p of parts) {
            if (typeof p['text'] === 'string') texts.push({ message: { role: 'tool', content: p['text'], toolCallId: id }, write: (t) => (p['text'] = t) });
          }
          const joined = parts.map((p) => (typeof p['text'] === 'string' ? p['text'] : '')).join('\n');
          toolResults.push({ callId: id, tool: toolNames.get(id) ?? '', content: joined, write: (t) => (block['content'] = t) });
        }
      }
    }
  }
  const tools: ToolSpec[] = [];
  for (const t of blocksOf(body['tools']) ?? []) {
    if (typeof t['name'] !== 'string') continue;
    const spec: ToolSpec = { name: t['name'] };
    if (typeof t['description'] === 'string') spec.description = t['description'];
    if (t['input_schema'] !== undefined) spec.parameters = t['input_schema'] as JsonValue;
    tools.push(spec);
  }
  return { model: String(body['model'] ?? ''), texts, tools, toolResults };
}

/**
 * Adds a `tool_result` for each `tool_use` the SDK knows never ran (denied, or left by a halt) and
 * that the next user message does not answer, so the conversation stays one the API accepts.
 */
function repairUnansweredCalls(body: Obj, turn: LlmTurn): void {
  const messages = body['messages'] as Obj[];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!m || m['role'] !== 'assistant') continue;
    const uses = (blocksOf(m['content']) ?? []).filter((b) => b['type'] === 'tool_use');
    if (uses.length === 0) continue;
    const next = messages[i + 1];
    const nextBlocks = next && next['role'] === 'user' ? (blocksOf(next['content']) ?? (typeof next['content'] === 'string' ? [{ type: 'text', text: next['content'] }] : [])) : [];
    const answered = new Set(nextBlocks.filter((b) => b['type'] === 'tool_result').map((b) => String(b['tool_use_id'])));
    const added: Obj[] = [];
    for (const u of uses) {
      const id = String(u['id']);
      if (answered.has(id)) continue;
      const text = turn.unansweredCallText(id);
      if (text !== undefined) added.push({ type: 'tool_result', tool_use_id: id, content: text, is_error: true });
    }
    if (added.length === 0) continue;
    if (next && next['role'] === 'user') next['content'] = [...added, ...nextBlocks];
    else messages.splice(i + 1, 0, { role: 'user', content: added });
  }
}

// ---------------------------------------------------------------- response

function usageOf(u: unknown): TokenUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const o = u as Obj;
  const usage: TokenUsage = {};
  if (typeof o['input_tokens'] === 'number') usage.inputTokens = o['input_tokens'];
  if (typeof o['output_tokens'] === 'number') usage.outputTokens = o['output_tokens'];
  if (usage.inputTokens !== undefined && usage.outputTokens !== undefined) usage.totalTokens = usage.inputTokens + usage.outputTokens;
  return usage;
}

function toolCallOf(block: Obj, index: number): AssembledToolCall {
  const input = block['input'];
  const call: AssembledToolCall = { index, callId: String(block['id']), tool: String(block['name'] ?? ''), argsText: JSON.stringify(input ?? {}) };
  if (input && typeof input === 'object' && !Array.isArray(input)) call.args = input as { [key: string]: JsonValue };
  else call.problem = 'tool input is not a JSON object';
  return call;
}

async function guardMessage(turn: LlmTurn, message: Obj): Promise<Obj> {
  const settings = turn.tracer.settings;
  const blocks = blocksOf(message['content']) ?? [];
  const textBlocks = blocks.filter((b) => b['type'] === 'text' && typeof b['text'] === 'string');
  const thinking = blocks.filter((b) => b['type'] === 'thinking' && typeof b['thinking'] === 'string').map((b) => b['thinking'] as string);
  const calls = blocks.map((b, i) => (b['type'] === 'tool_use' ? toolCallOf(b, i) : undefined)).filter((c): c is AssembledToolCall => c !== undefined);
  const usage = usageOf(message['usage']);
  const outcome = await turn.checkResponse({
    model: typeof message['model'] === 'string' ? message['model'] : undefined,
    content: textBlocks.map((b) => b['text'] as string).join('\n'),
    reasoning: thinking.length > 0 ? thinking.join('\n') : undefined,
    toolCalls: calls,
    usage,
  });
  if (outcome.kind === 'prevented') {
    if (settings.onResponsePrevented === 'throw') throw turn.responseError(outcome.denial);
    message['content'] = [{ type: 'text', text: settings.safeResponse, citations: null }];
    message['stop_reason'] = 'end_turn';
  } else {
    if (outcome.rewriteText) for (const b of textBlocks) b['text'] = outcome.rewriteText(b['text'] as string);
    for (const decided of outcome.calls) if (decided.argsChanged && decided.args) blocks[decided.index]!['input'] = decided.args;
  }
  return message;
}

type StreamCtor = new (iterator: () => AsyncIterator<Obj>, controller: AbortController) => AsyncIterable<Obj>;

/** The client's own Stream class around the guarded events, so `tee()` and friends still work. */
function guardStream(turn: LlmTurn, upstream: AsyncIterable<Obj> & Obj): AsyncIterable<Obj> {
  const Ctor = upstream.constructor as StreamCtor;
  const controller = upstream['controller'] instanceof AbortController ? upstream['controller'] : new AbortController();
  const iterate = turn.enforcing ? enforceStream : watchStream;
  return new Ctor(() => iterate(turn, upstream, controller)[Symbol.asyncIterator](), controller);
}

interface StreamState {
  model: string | undefined;
  id: string | undefined;
  usage: TokenUsage | undefined;
  stopReason: string | undefined;
  complete: boolean;
  texts: Map<number, string>;
  thinking: string[];
  assembler: ToolCallAssembler;
}

function newState(): StreamState {
  return { model: undefined, id: undefined, usage: undefined, stopReason: undefined, complete: false, texts: new Map(), thinking: [], assembler: new ToolCallAssembler() };
}

function observeStart(state: StreamState, event: Obj): void {
  const message = (event['message'] ?? {}) as Obj;
  if (typeof message['model'] === 'string') state.model = message['model'];
  if (typeof message['id'] === 'string') state.id = message['id'];
  state.usage = usageOf(message['usage']) ?? state.usage;
}

function observeDelta(state: StreamState, event: Obj): void {
  const delta = (event['delta'] ?? {}) as Obj;
  if (typeof delta['stop_reason'] === 'string') state.stopReason = delta['stop_reason'];
  const u = usageOf(event['usage']);
  if (u?.outputTokens !== undefined) state.usage = { ...state.usage, outputTokens: u.outputTokens };
  if (state.usage?.inputTokens !== undefined && state.usage.outputTokens !== undefined) state.usage.totalTokens = state.usage.inputTokens + state.usage.outputTokens;
}

/** Enforce: text held back and checked as it flows; tool_use blocks released only once decided. */
async function* enforceStream(turn: LlmTurn, upstream: AsyncIterable<Obj>, controller: AbortController): AsyncGenerator<Obj> {
  const state = newState();
  const guards = new Map<number, HoldBackTextGuard>();
  const held: Obj[] = [];
  let upstreamError: unknown;
  const holdBack = turn.tracer.settings.streamHoldBackChars;
  try {
    for await (const event of upstream) {
      const type = event['type'];
      const index = Number(event['index'] ?? -1);
      if (type === 'message_start') {
        observeStart(state, event);
        yield event;
      } else if (type === 'content_block_start') {
        const block = (event['content_block'] ?? {}) as Obj;
        if (block['type'] === 'tool_use') {
          state.assembler.start(index, typeof block['id'] === 'string' ? block['id'] : undefined, typeof block['name'] === 'string' ? block['name'] : undefined);
          continue;
        }
        if (block['type'] === 'text') {
          const guard = new HoldBackTextGuard(holdBack, (text) => turn.probeText(text));
          guards.set(index, guard);
          if (typeof block['text'] === 'string' && block['text'] !== '') {
            yield { ...event, content_block: { ...block, text: guard.push(block['text']) } };
            continue;
          }
        }
        yield event;
      } else if (type === 'content_block_delta') {
        const delta = (event['delta'] ?? {}) as Obj;
        if (delta['type'] === 'input_json_delta') {
          if (!state.assembler.has(index)) state.assembler.fail(`arguments arrived for content block ${index}, which is not a tool call`);
          else state.assembler.append(index, typeof delta['partial_json'] === 'string' ? delta['partial_json'] : '');
          continue;
        }
        if (delta['type'] === 'text_delta' && typeof delta['text'] === 'string') {
          const guard = guards.get(index);
          if (!guard) {
            state.assembler.fail(`text arrived for content block ${index}, which was never started`);
            continue;
          }
          const released = guard.push(delta['text']);
          if (released !== '') yield { ...event, delta: { ...delta, text: released } };
          continue;
        }
        if (delta['type'] === 'thinking_delta' && typeof delta['thinking'] === 'string') state.thinking.push(delta['thinking']);
        yield event;
      } else if (type === 'content_block_stop') {
        if (state.assembler.has(index)) {
          state.assembler.close(index);
          continue;
        }
        const guard = guards.get(index);
        if (guard) {
          // The block is complete: check it whole and release the rest of it.
          const check = turn.probeText(guard.text);
          if (check.kind === 'hold') {
            throw turn.responseError({ policy: SYSTEM_POLICY.approval, reason: 'streamed text needs an approval, which cannot be given mid-stream', outcome: 'require_approval', violations: [] });
          }
          const { rest } = guard.finish(check.rewrite);
          state.texts.set(index, guard.text);
          if (rest !== '') yield { type: 'content_block_delta', index, delta: { type: 'text_delta', text: rest } };
        }
        yield event;
      } else if (type === 'message_delta') {
        observeDelta(state, event);
        held.push(event);
      } else if (type === 'message_stop') {
        state.complete = true;
        held.push(event);
      } else {
        yield event;
      }
    }
  } catch (e) {
    if (PolicyViolationError.isInstance(e) || RunHaltedError.isInstance(e)) {
      controller.abort();
      throw e;
    }
    upstreamError = e;
  }
  const halted = turn.run.halted;
  if (halted) {
    controller.abort();
    throw halted;
  }
  const { calls, problem } = state.assembler.finish(state.complete && upstreamError === undefined, true);
  const broken = calls.filter((c) => c.integrity);
  if (broken.length > 0 || (problem !== undefined && upstreamError === undefined)) {
    turn.recordIntegrityFailure(broken.length > 0 ? broken : calls, problem ?? 'the stream contradicted itself');
    throw new EnforcementError('stream_integrity', `answer not released: ${broken[0]?.problem ?? problem}; no tool call of it was executed`, upstreamError !== undefined ? { cause: upstreamError } : undefined);
  }
  if (upstreamError !== undefined) throw upstreamError;
  for (const [index, guard] of guards) if (!state.texts.has(index)) state.texts.set(index, guard.text);
  const outcome = await turn.checkResponse({
    model: state.model,
    content: [...state.texts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]).join('\n'),
    reasoning: state.thinking.length > 0 ? state.thinking.join('') : undefined,
    toolCalls: calls,
    usage: state.usage,
  });
  if (outcome.kind === 'prevented') throw turn.responseError(outcome.denial);
  for (const call of outcome.calls) {
    yield { type: 'content_block_start', index: call.index, content_block: { type: 'tool_use', id: call.callId, name: call.tool, input: {} } };
    yield { type: 'content_block_delta', index: call.index, delta: { type: 'input_json_delta', partial_json: call.argsText } };
    yield { type: 'content_block_stop', index: call.index };
  }
  for (const event of held) yield event;
}

/** Observe and detect: events pass untouched; the complete answer is checked (and recorded) at the end. */
async function* watchStream(turn: LlmTurn, upstream: AsyncIterable<Obj>): AsyncGenerator<Obj> {
  const state = newState();
  for await (const event of upstream) {
    const type = event['type'];
    const index = Number(event['index'] ?? -1);
    if (type === 'message_start') observeStart(state, event);
    else if (type === 'content_block_start') {
      const block = (event['content_block'] ?? {}) as Obj;
      if (block['type'] === 'tool_use') state.assembler.start(index, typeof block['id'] === 'string' ? block['id'] : undefined, typeof block['name'] === 'string' ? block['name'] : undefined);
      if (block['type'] === 'text') state.texts.set(index, typeof block['text'] === 'string' ? block['text'] : '');
    } else if (type === 'content_block_delta') {
      const delta = (event['delta'] ?? {}) as Obj;
      if (delta['type'] === 'input_json_delta') {
        if (state.assembler.has(index)) state.assembler.append(index, typeof delta['partial_json'] === 'string' ? delta['partial_json'] : '');
        else state.assembler.fail(`arguments arrived for content block ${index}, which is not a tool call`);
      }
      if (delta['type'] === 'text_delta' && typeof delta['text'] === 'string') state.texts.set(index, (state.texts.get(index) ?? '') + delta['text']);
      if (delta['type'] === 'thinking_delta' && typeof delta['thinking'] === 'string') state.thinking.push(delta['thinking']);
    } else if (type === 'content_block_stop') state.assembler.close(index);
    else if (type === 'message_delta') observeDelta(state, event);
    else if (type === 'message_stop') state.complete = true;
    yield event;
  }
  const { calls, problem } = state.assembler.finish(state.complete, true);
  const broken = calls.filter((c) => c.integrity);
  if (broken.length > 0) turn.recordIntegrityFailure(broken, problem ?? 'the stream contradicted itself');
  await turn.checkResponse({
    model: state.model,
    content: [...state.texts.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]).join('\n'),
    reasoning: state.thinking.length > 0 ? state.thinking.join('') : undefined,
    toolCalls: calls.filter((c) => !c.integrity),
    usage: state.usage,
  });
}
