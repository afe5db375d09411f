// wrapOpenAI: guards `client.chat.completions.create` of the official `openai` client, streaming
// and not. The client is patched in place (and returned), so the client's own helpers that call
// `create` internally (`chat.completions.stream()`, `parse()`, `runTools()`) are guarded too.
// Nothing is imported from `openai` at run time; wire shapes are read structurally.

import type { ChatMessage, JsonValue, TokenUsage, ToolSpec } from '../events/types.js';
import { EnforcementError, PolicyViolationError, RunHaltedError } from '../sdk/errors.js';
import type { Run } from '../sdk/run-context.js';
import { HoldBackTextGuard } from '../sdk/stream-text-guard.js';
import { parseArguments, ToolCallAssembler, type AssembledToolCall } from '../sdk/tool-call-assembly.js';
import type { Tracer } from '../sdk/tracer.js';
import { cloneBody, patchCreate, withRunSignal, type ApiPromiseLike, type ClientResponse } from './api-call.js';
import { LlmTurn, type RequestText, type RequestToolResult, type RequestView } from './llm-turn.js';

type Obj = Record<string, unknown>;
type CreateFn = (body: Obj, options?: unknown) => ApiPromiseLike<unknown>;

/** The part of an OpenAI client this wrapper needs. */
export interface OpenAIClientLike {
  chat: { completions: { create: (...args: never[]) => unknown } };
}

/**
 * Guards chat completions of an `openai` client: the request (tool results it carries included)
 * is checked before it is sent, the answer before it is returned, and each tool call the model
 * makes is decided before your code sees it. Returns the same client, patched.
 */
export function wrapOpenAI<C extends OpenAIClientLike>(client: C): C {
  patchCreate(client.chat.completions as unknown as Obj & { create: CreateFn }, guardedCreate);
  return client;
}

async function guardedCreate(tracer: Tracer, run: Run, original: CreateFn, body: Obj, options: unknown): Promise<ClientResponse<unknown>> {
  run.assertActive();
  const stream = body['stream'] === true;
  const turn = new LlmTurn(tracer, run, 'openai', String(body['model'] ?? ''), stream);
  const outgoing: Obj = { ...body, messages: cloneBody(Array.isArray(body['messages']) ? body['messages'] : []) };
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
  return { ...result, data: await guardCompletion(turn, result.data as Obj) };
}

// ---------------------------------------------------------------- request

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && typeof (p as Obj)['text'] === 'string' ? ((p as Obj)['text'] as string) : '')).join('');
  return '';
}

const ROLES: Record<string, ChatMessage['role']> = { system: 'system', developer: 'developer', user: 'user', assistant: 'assistant', tool: 'tool' };

/** Every piece of text in the request, each with a way to write its rewrite back. */
function requestView(body: Obj): RequestView {
  const texts: RequestText[] = [];
  const toolResults: RequestToolResult[] = [];
  const toolNames = new Map<string, string>();
  const messages = body['messages'] as Obj[];
  for (const m of messages) {
    if (!m || typeof m !== 'object') continue;
    const role = ROLES[String(m['role'])];
    if (!role) continue;
    const base: Omit<ChatMessage, 'content'> = { role };
    if (role === 'tool' && typeof m['tool_call_id'] === 'string') base.toolCallId = m['tool_call_id'];
    if (typeof m['name'] === 'string') base.name = m['name'];
    const content = m['content'];
    if (typeof content === 'string') {
      texts.push({ message: { ...base, content }, write: (t) => (m['content'] = t) });
    } else if (Array.isArray(content)) {
      for (const part of content as Obj[]) {
        if (part && typeof part === 'object' && typeof part['text'] === 'string') texts.push({ message: { ...base, content: part['text'] }, write: (t) => (part['text'] = t) });
      }
    }
    if (role === 'assistant' && Array.isArray(m['tool_calls'])) {
      for (const call of m['tool_calls'] as Obj[]) {
        const fn = call?.['function'] as Obj | undefined;
        if (!fn || typeof fn['arguments'] !== 'string') continue;
        const id = String(call['id']);
        toolNames.set(id, String(fn['name'] ?? ''));
        texts.push({ message: { role: 'assistant', content: fn['arguments'], toolCallId: id, name: String(fn['name'] ?? '') }, write: (t) => (fn['arguments'] = t) });
      }
    }
    if (role === 'tool' && typeof m['tool_call_id'] === 'string') {
      const id = m['tool_call_id'];
      toolResults.push({ callId: id, tool: toolNames.get(id) ?? '', content: textOfContent(content), write: (t) => (m['content'] = t) });
    }
  }
  const tools: ToolSpec[] = [];
  if (Array.isArray(body['tools'])) {
    for (const t of body['tools'] as Obj[]) {
      const fn = t?.['function'] as Obj | undefined;
      if (!fn || typeof fn['name'] !== 'string') continue;
      const spec: ToolSpec = { name: fn['name'] };
      if (typeof fn['description'] === 'string') spec.description = fn['description'];
      if (fn['parameters'] !== undefined) spec.parameters = fn['parameters'] as JsonValue;
      tools.push(spec);
    }
  }
  return { model: String(body['model'] ?? ''), texts, tools, toolResults };
}

/**
 * Adds a tool message for each call the SDK knows never ran (denied, or left by a halt) and that
 * the request does not answer, so the conversation stays one the API accepts.
 */
function repairUnansweredCalls(body: Obj, turn: LlmTurn): void {
  const messages = body['messages'] as Obj[];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!m || m['role'] !== 'assistant' || !Array.isArray(m['tool_calls'])) continue;
    let j = i + 1;
    const answered = new Set<string>();
    for (; j < messages.length && messages[j]?.['role'] === 'tool'; j++) answered.add(String(messages[j]!['tool_call_id']));
    const inserts: Obj[] = [];
    for (const call of m['tool_calls'] as Obj[]) {
      const id = String(call?.['id']);
      if (answered.has(id)) continue;
      const text = turn.unansweredCallText(id);
      if (text !== undefined) inserts.push({ role: 'tool', tool_call_id: id, content: text });
    }
    if (inserts.length > 0) messages.splice(j, 0, ...inserts);
    i = j + inserts.length - 1;
  }
}

// ---------------------------------------------------------------- response

function usageOf(u: unknown): TokenUsage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const o = u as Obj;
  const usage: TokenUsage = {};
  if (typeof o['prompt_tokens'] === 'number') usage.inputTokens = o['prompt_tokens'];
  if (typeof o['completion_tokens'] === 'number') usage.outputTokens = o['completion_tokens'];
  if (typeof o['total_tokens'] === 'number') usage.totalTokens = o['total_tokens'];
  return usage;
}

async function guardCompletion(turn: LlmTurn, completion: Obj): Promise<Obj> {
  const settings = turn.tracer.settings;
  const choices = Array.isArray(completion['choices']) ? (completion['choices'] as Obj[]) : [];
  const usage = usageOf(completion['usage']);
  for (const choice of choices) {
    const message = (choice['message'] ?? {}) as Obj;
    const rawCalls = Array.isArray(message['tool_calls']) ? (message['tool_calls'] as Obj[]) : [];
    const calls: AssembledToolCall[] = [];
    rawCalls.forEach((c, index) => {
      const fn = (c['function'] ?? {}) as Obj;
      const argsText = typeof fn['arguments'] === 'string' ? fn['arguments'] : '';
      const parsed = parseArguments(argsText);
      const call: AssembledToolCall = { index, callId: String(c['id']), tool: String(fn['name'] ?? ''), argsText };
      if (parsed.ok) call.args = parsed.args;
      else call.problem = parsed.problem;
      calls.push(call);
    });
    const outcome = await turn.checkResponse({
      model: typeof completion['model'] === 'string' ? completion['model'] : undefined,
      content: typeof message['content'] === 'string' ? message['content'] : '',
      reasoning: typeof message['reasoning_content'] === 'string' ? message['reasoning_content'] : undefined,
      toolCalls: calls,
      usage,
    });
    if (outcome.kind === 'prevented') {
      if (settings.onResponsePrevented === 'throw') throw turn.responseError(outcome.denial);
      message['content'] = settings.safeResponse;
      delete message['tool_calls'];
      choice['finish_reason'] = 'stop';
      continue;
    }
    if (typeof message['content'] === 'string' && outcome.content !== message['content']) message['content'] = outcome.content;
    for (const decided of outcome.calls) {
      if (!decided.argsChanged) continue;
      const fn = rawCalls[decided.index]?.['function'] as Obj | undefined;
      if (fn) fn['arguments'] = decided.argsText;
    }
  }
  return completion;
}

interface ChoiceState {
  index: number;
  guard: HoldBackTextGuard | undefined;
  text: string;
  reasoning: string;
  assembler: ToolCallAssembler;
  finish: string | null;
}

type StreamCtor = new (iterator: () => AsyncIterator<Obj>, controller: AbortController) => AsyncIterable<Obj>;

/** The client's own Stream class around the guarded chunks, so `tee()` and friends still work. */
function guardStream(turn: LlmTurn, upstream: AsyncIterable<Obj> & Obj): AsyncIterable<Obj> {
  const Ctor = upstream.constructor as StreamCtor;
  const controller = upstream['controller'] instanceof AbortController ? upstream['controller'] : new AbortController();
  const iterate = turn.enforcing ? enforceStream : watchStream;
  return new Ctor(() => iterate(turn, upstream, controller)[Symbol.asyncIterator](), controller);
}

function hasPayload(delta: Obj): boolean {
  for (const [k, v] of Object.entries(delta)) {
    if (v === undefined || v === null) continue;
    if (k === 'content' && v === '') continue;
    return true;
  }
  return false;
}

/** Enforce: text held back and checked as it flows; tool calls released only once decided. */
async function* enforceStream(turn: LlmTurn, upstream: AsyncIterable<Obj>, controller: AbortController): AsyncGenerator<Obj> {
  const states = new Map<number, ChoiceState>();
  const state = (index: number): ChoiceState => {
    let s = states.get(index);
    if (!s) {
      s = { index, guard: new HoldBackTextGuard(turn.tracer.settings.streamHoldBackChars, (text) => turn.probeText(text)), text: '', reasoning: '', assembler: new ToolCallAssembler(), finish: null };
      states.set(index, s);
    }
    return s;
  };
  const held: Obj[] = [];
  let template: Obj | undefined;
  let usage: TokenUsage | undefined;
  let upstreamError: unknown;
  try {
    for await (const chunk of upstream) {
      template ??= chunk;
      const choices = Array.isArray(chunk['choices']) ? (chunk['choices'] as Obj[]) : [];
      if (chunk['usage']) usage = usageOf(chunk['usage']);
      if (choices.length === 0) {
        held.push(chunk);
        continue;
      }
      const out: Obj[] = [];
      for (const c of choices) {
        const s = state(Number(c['index'] ?? 0));
        const delta = { ...((c['delta'] ?? {}) as Obj) };
        if (typeof delta['content'] === 'string') delta['content'] = s.guard!.push(delta['content']);
        if (typeof delta['reasoning_content'] === 'string') s.reasoning += delta['reasoning_content'];
        if (Array.isArray(delta['tool_calls'])) {
          for (const tc of delta['tool_calls'] as Obj[]) addToolDelta(s.assembler, tc);
          delete delta['tool_calls'];
        }
        if (c['finish_reason'] != null) {
          s.finish = String(c['finish_reason']);
          held.push({ ...chunk, choices: [{ ...c, delta: {} }] });
          if (hasPayload(delta)) out.push({ ...c, delta, finish_reason: null });
          continue;
        }
        if (hasPayload(delta) || delta['role'] !== undefined) out.push({ ...c, delta });
      }
      if (out.length > 0) yield { ...chunk, choices: out };
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
  const base = template ?? {};
  const synthetic = (index: number, delta: Obj): Obj => ({
    id: base['id'],
    object: 'chat.completion.chunk',
    created: base['created'],
    model: base['model'],
    choices: [{ index, delta, logprobs: null, finish_reason: null }],
  });
  for (const s of [...states.values()].sort((a, b) => a.index - b.index)) {
    const { calls, problem } = s.assembler.finish(upstreamError === undefined && s.finish !== null, false);
    const broken = calls.filter((c) => c.integrity);
    if (broken.length > 0) {
      turn.recordIntegrityFailure(broken, problem ?? 'the stream contradicted itself');
      throw new EnforcementError('stream_integrity', `tool calls not released: ${broken[0]!.problem ?? problem}; they were not executed`, upstreamError !== undefined ? { cause: upstreamError } : undefined);
    }
    if (upstreamError !== undefined) break;
    const outcome = await turn.checkResponse({ model: typeof base['model'] === 'string' ? base['model'] : undefined, content: s.guard!.text, reasoning: s.reasoning || undefined, toolCalls: calls, usage });
    if (outcome.kind === 'prevented') throw turn.responseError(outcome.denial);
    const { rest } = s.guard!.finish(outcome.rewriteText);
    if (rest !== '') yield synthetic(s.index, { content: rest });
    for (const call of outcome.calls) {
      yield synthetic(s.index, { tool_calls: [{ index: call.index, id: call.callId, type: 'function', function: { name: call.tool, arguments: call.argsText } }] });
    }
  }
  if (upstreamError !== undefined) throw upstreamError;
  for (const chunk of held) yield chunk;
}

function addToolDelta(assembler: ToolCallAssembler, tc: Obj): void {
  const index = Number(tc['index'] ?? 0);
  const fn = (tc['function'] ?? {}) as Obj;
  const id = typeof tc['id'] === 'string' ? tc['id'] : undefined;
  const name = typeof fn['name'] === 'string' ? fn['name'] : undefined;
  if (!assembler.has(index) || id !== undefined || name !== undefined) assembler.start(index, id, name);
  if (typeof fn['arguments'] === 'string' && fn['arguments'] !== '') assembler.append(index, fn['arguments']);
}

/** Observe and detect: chunks pass untouched; the complete answer is checked (and recorded) at the end. */
async function* watchStream(turn: LlmTurn, upstream: AsyncIterable<Obj>): AsyncGenerator<Obj> {
  const states = new Map<number, ChoiceState>();
  let template: Obj | undefined;
  let usage: TokenUsage | undefined;
  for await (const chunk of upstream) {
    template ??= chunk;
    if (chunk['usage']) usage = usageOf(chunk['usage']);
    for (const c of Array.isArray(chunk['choices']) ? (chunk['choices'] as Obj[]) : []) {
      const index = Number(c['index'] ?? 0);
      let s = states.get(index);
      if (!s) states.set(index, (s = { index, guard: undefined, text: '', reasoning: '', assembler: new ToolCallAssembler(), finish: null }));
      const delta = (c['delta'] ?? {}) as Obj;
      if (typeof delta['content'] === 'string') s.text += delta['content'];
      if (typeof delta['reasoning_content'] === 'string') s.reasoning += delta['reasoning_content'];
      for (const tc of Array.isArray(delta['tool_calls']) ? (delta['tool_calls'] as Obj[]) : []) addToolDelta(s.assembler, tc);
      if (c['finish_reason'] != null) s.finish = String(c['finish_reason']);
    }
    yield chunk;
  }
  const base = template ?? {};
  for (const s of states.values()) {
    const { calls, problem } = s.assembler.finish(s.finish !== null, false);
    const broken = calls.filter((c) => c.integrity);
    if (broken.length > 0) turn.recordIntegrityFailure(broken, problem ?? 'the stream contradicted itself');
    await turn.checkResponse({ model: typeof base['model'] === 'string' ? base['model'] : undefined, content: s.text, reasoning: s.reasoning || undefined, toolCalls: calls.filter((c) => !c.integrity), usage });
  }
}
