// Reassembly of streamed tool calls. Argument deltas are buffered per call until the stream says
// the answer is complete; only then are the final arguments parsed, and those parsed arguments,
// exactly what the tool will receive, are what gets checked. A stream that ends early, a call id
// that changes, a delta for a call never started or arguments that are not a JSON object make the
// affected calls undecidable, which in enforce mode is a denial.

import type { JsonValue } from '../events/types.js';

export interface AssembledToolCall {
  /** position of the call in the answer (OpenAI `index`, Anthropic content block index) */
  index: number;
  callId: string;
  tool: string;
  /** the raw argument text as streamed */
  argsText: string;
  /** parsed arguments; absent when `problem` is set */
  args?: { [key: string]: JsonValue };
  /** why this call cannot be decided */
  problem?: string;
  /** the problem is the stream's (ended early, contradicted itself), not the arguments' */
  integrity?: boolean;
}

interface Pending {
  index: number;
  callId: string;
  tool: string;
  parts: string[];
  size: number;
  closed: boolean;
  problem?: string;
}

const MAX_ARGUMENT_CHARS = 4 * 1024 * 1024;

export class ToolCallAssembler {
  private readonly calls = new Map<number, Pending>();
  private streamProblem: string | undefined;

  get size(): number {
    return this.calls.size;
  }

  /** A call begins (Anthropic `content_block_start`, or the first OpenAI delta of an index). */
  start(index: number, callId: string | undefined, tool: string | undefined): void {
    const existing = this.calls.get(index);
    if (existing) {
      if ((callId !== undefined && callId !== existing.callId) || (tool !== undefined && tool !== '' && tool !== existing.tool)) {
        existing.problem ??= `tool call ${index} changed identity mid-stream (\`${existing.callId}\` became \`${callId ?? existing.callId}\`)`;
      }
      return;
    }
    if (callId === undefined || callId === '' || tool === undefined || tool === '') {
      this.streamProblem ??= `tool call ${index} started without an id or a name`;
      this.calls.set(index, { index, callId: callId ?? `unknown_${index}`, tool: tool ?? '', parts: [], size: 0, closed: false, problem: 'started without an id or a name' });
      return;
    }
    this.calls.set(index, { index, callId, tool, parts: [], size: 0, closed: false });
  }

  /** More argument text for a call already started. */
  append(index: number, text: string): void {
    const call = this.calls.get(index);
    if (!call) {
      this.streamProblem ??= `arguments arrived for tool call ${index}, which was never started`;
      return;
    }
    if (call.closed) {
      call.problem ??= 'arguments arrived after the call was complete';
      return;
    }
    call.size += text.length;
    if (call.size > MAX_ARGUMENT_CHARS) {
      call.problem ??= `arguments exceed ${MAX_ARGUMENT_CHARS} characters`;
      return;
    }
    call.parts.push(text);
  }

  /** A call's block ended (Anthropic `content_block_stop`). */
  close(index: number): void {
    const call = this.calls.get(index);
    if (call) call.closed = true;
  }

  has(index: number): boolean {
    return this.calls.has(index);
  }

  /** Marks the stream as contradictory (e.g. a delta for an unknown block). */
  fail(problem: string): void {
    this.streamProblem ??= problem;
  }

  /**
   * The calls with their final arguments. `complete`: the stream reached its end marker.
   * `requireClosed`: every call must have been closed explicitly (Anthropic).
   */
  finish(complete: boolean, requireClosed: boolean): { calls: AssembledToolCall[]; problem: string | undefined } {
    const problem = this.streamProblem ?? (complete ? undefined : 'the stream ended before the answer was complete');
    const calls: AssembledToolCall[] = [];
    for (const p of [...this.calls.values()].sort((a, b) => a.index - b.index)) {
      const argsText = p.parts.join('');
      const out: AssembledToolCall = { index: p.index, callId: p.callId, tool: p.tool, argsText };
      const own = p.problem ?? (requireClosed && !p.closed ? 'the call was never completed' : undefined);
      if (problem !== undefined || own !== undefined) {
        out.problem = problem ?? own!;
        out.integrity = true;
      } else {
        const parsed = parseArguments(argsText);
        if (parsed.ok) out.args = parsed.args;
        else out.problem = parsed.problem;
      }
      calls.push(out);
    }
    return { calls, problem };
  }
}

/** Tool arguments as the tool will receive them: a JSON object (empty text counts as `{}`). */
export function parseArguments(text: string): { ok: true; args: { [key: string]: JsonValue } } | { ok: false; problem: string } {
  if (text.trim() === '') return { ok: true, args: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `arguments are not valid JSON (${(e as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, problem: 'arguments are not a JSON object' };
  return { ok: true, args: value as { [key: string]: JsonValue } };
}
