// Which string values of an event the packs look at, with field paths and the direction
// (trust) of each. llm.request messages take their direction from the message role.

import type { Direction, JsonValue, StreamEvent } from '../events/types.js';
import { defaultDirection } from '../events/types.js';
import type { TextInput } from './types.js';

const MAX_DEPTH = 24;
const MAX_STRINGS = 4096;

function pushJson(
  value: JsonValue | undefined,
  path: string,
  base: Omit<TextInput, 'text' | 'field'>,
  out: TextInput[],
  depth: number,
): void {
  if (value === undefined || value === null || out.length >= MAX_STRINGS) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const input: TextInput = { text: typeof value === 'string' ? value : String(value), field: path, direction: base.direction, kind: base.kind };
    if (base.tool !== undefined) input.tool = base.tool;
    out.push(input);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) pushJson(value[i], `${path}[${i}]`, base, out, depth + 1);
    return;
  }
  for (const key of Object.keys(value)) pushJson(value[key], path === '' ? key : `${path}.${key}`, base, out, depth + 1);
}

function roleDirection(role: string): Direction {
  switch (role) {
    case 'system':
    case 'developer':
    case 'user':
      return 'user_input';
    case 'tool':
      return 'tool_output';
    default:
      return 'model_output';
  }
}

/** Every string (and scalar) value an event carries, in a stable order. */
export function eventTexts(event: StreamEvent): TextInput[] {
  const out: TextInput[] = [];
  const direction = event.direction ?? defaultDirection(event.kind);
  switch (event.kind) {
    case 'run.start':
      if (event.input !== undefined) out.push({ text: event.input, field: 'input', direction, kind: event.kind });
      break;
    case 'llm.request':
      for (let i = 0; i < event.messages.length; i++) {
        const m = event.messages[i];
        if (m === undefined) continue;
        out.push({ text: m.content, field: `messages[${i}].content`, direction: roleDirection(m.role), kind: event.kind });
      }
      break;
    case 'llm.response':
      out.push({ text: event.content, field: 'content', direction, kind: event.kind });
      if (event.reasoning !== undefined) out.push({ text: event.reasoning, field: 'reasoning', direction, kind: event.kind });
      if (event.toolCalls !== undefined) {
        for (let i = 0; i < event.toolCalls.length; i++) {
          const call = event.toolCalls[i];
          if (call === undefined) continue;
          pushJson(call.args, `toolCalls[${i}].args`, { direction: 'agent_outbound', kind: event.kind, tool: call.tool }, out, 0);
        }
      }
      break;
    case 'tool.call':
      pushJson(event.args, 'args', { direction, kind: event.kind, tool: event.tool }, out, 0);
      break;
    case 'tool.result':
      pushJson(event.result, 'result', { direction, kind: event.kind, tool: event.tool }, out, 0);
      if (event.error !== undefined) out.push({ text: event.error, field: 'error', direction, kind: event.kind, tool: event.tool });
      break;
    case 'reasoning':
      out.push({ text: event.text, field: 'text', direction, kind: event.kind });
      break;
    case 'agent.response':
      out.push({ text: event.content, field: 'content', direction, kind: event.kind });
      break;
    case 'run.end':
      if (event.error !== undefined) out.push({ text: event.error, field: 'error', direction, kind: event.kind });
      break;
  }
  return out;
}

const leafCache = new Map<string, string>();

/** The last segment of a field path, lower-cased, without indices: `args.to[0]` → `to` (memoised: paths repeat). */
export function fieldLeaf(field: string): string {
  const hit = leafCache.get(field);
  if (hit !== undefined) return hit;
  const noIdx = field.indexOf('[') < 0 ? field : field.replace(/\[\d+\]/g, '');
  const dot = noIdx.lastIndexOf('.');
  const leaf = (dot < 0 ? noIdx : noIdx.slice(dot + 1)).toLowerCase();
  if (leafCache.size < 4096) leafCache.set(field, leaf);
  return leaf;
}
