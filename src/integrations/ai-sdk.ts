// Vercel AI SDK tools: `guardAiTools(tools)` puts the tool gate in front of every tool's `execute`,
// so a call the model proposes through `generateText`/`streamText` (or an `Agent`) is decided
// before the tool runs, and its output is checked before it goes back to the model, with the
// model's own tool call id recorded in the findings. Nothing is imported from the `ai` package:
// tools are duck-typed (`{ execute?(input, { toolCallId, abortSignal, messages }) }`).

import { guardTool, type GuardToolOptions } from '../sdk/guard-tool.js';

/** What the wrapper needs of an AI SDK tool; every other property is kept as it is. */
export interface AiToolLike {
  execute?: (input: never, options: { toolCallId: string; [key: string]: unknown }) => unknown;
  [key: string]: unknown;
}

export interface GuardAiToolsOptions {
  /** what a denied call gives the model: a readable denial as the tool output (default) or an error (`PolicyViolationError`) */
  onDeny?: 'return' | 'throw';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/**
 * Returns a copy of `tools` in which each tool with an `execute` is guarded under its key as the
 * tool name. Tools without `execute` (client-side tools) are returned unchanged: they never run
 * here. An `execute` that streams (an async iterable) is drained and its last value, the tool's
 * final output, is what gets checked and returned; preliminary outputs are not passed on.
 */
export function guardAiTools<T extends Record<string, AiToolLike>>(tools: T, options: GuardAiToolsOptions = {}): T {
  if (tools === null || typeof tools !== 'object') throw new TypeError('guardAiTools: expected a record of AI SDK tools');
  const out: Record<string, AiToolLike> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = tool?.execute;
    if (typeof execute !== 'function') {
      out[name] = tool;
      continue;
    }
    const guardOptions: GuardToolOptions = options.onDeny === undefined ? { name } : { name, onDeny: options.onDeny };
    out[name] = {
      ...tool,
      execute: (input: never, callOptions: { toolCallId: string; [key: string]: unknown }) => {
        // a guarded function per call: it closes over the SDK's options (abort signal, messages)
        const run = guardTool(async (args: unknown) => {
          const result = await execute(args as never, callOptions);
          if (!isAsyncIterable(result)) return result;
          let last: unknown;
          for await (const part of result) last = part;
          return last;
        }, guardOptions);
        const callId = callOptions?.toolCallId;
        return typeof callId === 'string' && callId !== '' ? run(input, { callId }) : run(input);
      },
    };
  }
  return out as T;
}
