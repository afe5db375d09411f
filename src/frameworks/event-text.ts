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
  leaf: string,
  base: Omit<TextInput, 'text' | 'field' | 'leaf'>,
  out: TextInput[],
  depth: number,
): void {
  if (value === undefined || value === null || out.length >= MAX_STRINGS) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const input: TextInput = { text: typeof value === 'string' ? value : String(value), field: path, leaf, direction: base.direction, kind: base.kind };
    if (base.tool !== undefined) input.tool = base.tool;
    out.push(input);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    // an index adds nothing to the leaf: `args.to[0]` → `to`
    for (let i = 0; i < value.length; i++) pushJson(value[i], `${path}[${i}]`, leaf, base, out, depth + 1);
    return;
  }
  for (const key of Object.keys(value)) {
    const child = path === '' ? key : `${path}.${key}`;
    pushJson(value[key], child, keyLeaf(key, child), base, out, depth + 1);
  }
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
      if (event.input !== undefined) out.push({ text: event.input, field: 'input', leaf: 'input', direction, kind: event.kind });
      break;
    case 'llm.request':
      for (let i = 0; i < event.messages.length; i++) {
        const m = event.messages[i];
        if (m === undefined) continue;
        out.push({ text: m.content, field: `messages[${i}].content`, leaf: 'content', direction: roleDirection(m.role), kind: event.kind });
      }
      break;
    case 'llm.response':
      out.push({ text: event.content, field: 'content', leaf: 'content', direction, kind: event.kind });
      if (event.reasoning !== undefined) out.push({ text: event.reasoning, field: 'reasoning', leaf: 'reasoning', direction, kind: event.kind });
      if (event.toolCalls !== undefined) {
        for (let i = 0; i < event.toolCalls.length; i++) {
          const call = event.toolCalls[i];
          if (call === undefined) continue;
          pushJson(call.args, `toolCalls[${i}].args`, 'args', { direction: 'agent_outbound', kind: event.kind, tool: call.tool }, out, 0);
        }
      }
      break;
    case 'tool.call':
      pushJson(event.args, 'args', 'args', { direction, kind: event.kind, tool: event.tool }, out, 0);
      break;
    case 'tool.result':
      pushJson(event.result, 'result', 'result', { direction, kind: event.kind, tool: event.tool }, out, 0);
      if (event.error !== undefined) out.push({ text: event.error, field: 'error', leaf: 'error', direction, kind: event.kind, tool: event.tool });
      break;
    case 'reasoning':
      out.push({ text: event.text, field: 'text', leaf: 'text', direction, kind: event.kind });
      break;
    case 'agent.response':
      out.push({ text: event.content, field: 'content', leaf: 'content', direction, kind: event.kind });
      break;
    case 'run.end':
      if (event.error !== undefined) out.push({ text: event.error, field: 'error', leaf: 'error', direction, kind: event.kind });
      break;
  }
  return out;
}

const leafCache = new Map<string, string>();
const keyLeafCache = new Map<string, string>();

/**
 * `fieldLeaf(path)` for a path that ends in object key `key`, without hashing the freshly built
 * path: a key with no `.` or `[` is its own leaf (lower-cased); keys repeat and are usually
 * internalised, so the memo lookup is cheap.
 */
export function keyLeaf(key: string, path: string): string {
  const hit = keyLeafCache.get(key);
  if (hit !== undefined) return hit;
  if (key.indexOf('.') >= 0 || key.indexOf('[') >= 0) return fieldLeaf(path);
  const leaf = key.toLowerCase();
  if (keyLeafCache.size < 4096) keyLeafCache.set(key, leaf);
  return leaf;
}

/** The leaf of an input's field: the one `eventTexts` computed, else from the path. */
export function inputLeaf(input: TextInput): string {
  return input.leaf ?? fieldLeaf(input.field);
}

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
