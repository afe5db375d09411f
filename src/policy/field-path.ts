// Field paths (`args.amount`, `args.to[*]`, `messages[*].content`, `metadata["user-role"]`): parsing,
// checking against the fields each event kind has, and reading values out of an event.

import type { EventKind } from '../events/types.js';

/** `[*]` fans out over a list; `**` over every value below, at any depth (for nested tool results). */
export type PathSegment = { key: string } | { index: number } | { wildcard: true } | { deep: true };

export interface FieldPath {
  text: string;
  segments: PathSegment[];
  /** true when some segment is `[*]`: the path can yield many values */
  multi: boolean;
}

export const MAX_PATH_SEGMENTS = 16;

export function parseFieldPath(text: string): { ok: true; path: FieldPath } | { ok: false; message: string; offset: number } {
  const segments: PathSegment[] = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return { ok: false, message: 'field path is empty', offset: 0 };
  let expectKey = true;
  while (i < n) {
    const c = text[i]!;
    if (c === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return { ok: false, message: `unclosed \`[\` in field path \`${text}\``, offset: i };
      const inner = text.slice(i + 1, close);
      if (inner === '*') segments.push({ wildcard: true });
      else if (/^\d{1,9}$/.test(inner)) segments.push({ index: Number(inner) });
      else if (/^"([^"\\]|\\.)*"$/.test(inner) || /^'[^']*'$/.test(inner)) {
        segments.push({ key: inner.startsWith('"') ? (JSON.parse(inner) as string) : inner.slice(1, -1) });
      } else
        return {
          ok: false,
          message: `\`[${inner}]\` is not an index: use \`[*]\`, a number, or a quoted key`,
          offset: i,
        };
      i = close + 1;
      expectKey = false;
      continue;
    }
    if (c === '.') {
      if (expectKey) return { ok: false, message: `unexpected \`.\` in field path \`${text}\``, offset: i };
      i++;
      expectKey = true;
      if (i >= n) return { ok: false, message: `field path \`${text}\` ends with \`.\``, offset: i - 1 };
      continue;
    }
    if (!expectKey) return { ok: false, message: `expected \`.\` or \`[\` in field path \`${text}\``, offset: i };
    if (text.startsWith('**', i)) {
      if (i + 2 !== n) return { ok: false, message: `\`**\` must be the last segment of field path \`${text}\``, offset: i };
      segments.push({ deep: true });
      i += 2;
      expectKey = false;
      continue;
    }
    const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(text.slice(i));
    if (!m) return { ok: false, message: `invalid character \`${c}\` in field path \`${text}\``, offset: i };
    segments.push({ key: m[0] });
    i += m[0].length;
    expectKey = false;
  }
  if (segments.length > MAX_PATH_SEGMENTS)
    return { ok: false, message: `field path \`${text}\` has more than ${MAX_PATH_SEGMENTS} segments`, offset: 0 };
  if (!('key' in segments[0]!)) return { ok: false, message: `field path \`${text}\` must start with a field name`, offset: 0 };
  return { ok: true, path: { text, segments, multi: segments.some((s) => 'wildcard' in s || 'deep' in s) } };
}

// What each event kind has. `open` means any sub-path is allowed (user data such as tool args).
type Shape = 'leaf' | 'open' | { fields: Record<string, Shape> } | { list: Shape };

const obj = (fields: Record<string, Shape>): Shape => ({ fields });
const MESSAGE = obj({ role: 'leaf', content: 'leaf', toolCallId: 'leaf', name: 'leaf' });
const COMMON: Record<string, Shape> = {
  kind: 'leaf',
  runId: 'leaf',
  spanId: 'leaf',
  parentSpanId: 'leaf',
  agentId: 'leaf',
  time: 'leaf',
  direction: 'leaf',
  metadata: 'open',
};
export const EVENT_FIELDS: Record<EventKind, Record<string, Shape>> = {
  'run.start': { ...COMMON, name: 'leaf', input: 'leaf' },
  'llm.request': {
    ...COMMON,
    model: 'leaf',
    messages: { list: MESSAGE },
    tools: { list: obj({ name: 'leaf', description: 'leaf', parameters: 'open' }) },
  },
  'llm.response': {
    ...COMMON,
    model: 'leaf',
    content: 'leaf',
    reasoning: 'leaf',
    toolCalls: { list: obj({ callId: 'leaf', tool: 'leaf', args: 'open' }) },
    usage: obj({ inputTokens: 'leaf', outputTokens: 'leaf', totalTokens: 'leaf', costUsd: 'leaf' }),
  },
  'tool.call': { ...COMMON, tool: 'leaf', args: 'open', callId: 'leaf' },
  'tool.result': { ...COMMON, tool: 'leaf', callId: 'leaf', result: 'open', error: 'leaf', durationMs: 'leaf' },
  reasoning: { ...COMMON, text: 'leaf' },
  'agent.response': { ...COMMON, content: 'leaf' },
  'run.end': { ...COMMON, status: 'leaf', error: 'leaf' },
};

/** Checks that `path` can exist on events of `kind`; returns a message when it cannot. */
export function checkPathForKind(path: FieldPath, kind: EventKind): string | undefined {
  let shape: Shape = { fields: EVENT_FIELDS[kind] };
  for (const seg of path.segments) {
    if (shape === 'open' || 'deep' in seg) return undefined;
    if (shape === 'leaf') return `\`${path.text}\` reaches inside a plain value of \`${kind}\` events`;
    if ('list' in shape) {
      if ('key' in seg) return `\`${path.text}\`: use \`[*]\` or an index to reach into a list`;
      shape = shape.list;
      continue;
    }
    if (!('key' in seg)) return `\`${path.text}\` indexes a value of \`${kind}\` events that is not a list`;
    const next: Shape | undefined = shape.fields[seg.key];
    if (next === undefined) {
      const known = Object.keys(shape.fields).join(', ');
      return `\`${kind}\` events have no field \`${seg.key}\` (known: ${known})`;
    }
    shape = next;
  }
  return undefined;
}

/**
 * Keys that name Object.prototype members (`constructor`, `__proto__`, `toString`, ...). Field reads
 * take only own properties for these, so `args.constructor` is never the Object constructor; other
 * keys are read directly (faster, and equivalent for JSON data).
 */
export function isPrototypeKey(key: string): boolean {
  return key in Object.prototype;
}

const MISSING: unique symbol = Symbol('missing');

/**
 * Reads every value `path` selects from `root`. Wildcards fan out over arrays; a missing step yields
 * nothing. `out` is reused by hot callers to avoid allocation.
 */
export function readPath(root: unknown, path: FieldPath, out: unknown[] = []): unknown[] {
  walk(root, path.segments, 0, out);
  return out;
}

function walk(value: unknown, segs: PathSegment[], i: number, out: unknown[]): void {
  if (i === segs.length) {
    if (value !== undefined) out.push(value);
    return;
  }
  const seg = segs[i]!;
  if ('deep' in seg) return walkDeep(value, out, 0);
  if ('key' in seg) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    if (isPrototypeKey(seg.key) && !Object.prototype.hasOwnProperty.call(value, seg.key)) return;
    walk((value as Record<string, unknown>)[seg.key], segs, i + 1, out);
  } else if ('index' in seg) {
    if (!Array.isArray(value) || seg.index >= value.length) return;
    walk(value[seg.index], segs, i + 1, out);
  } else {
    if (!Array.isArray(value)) return;
    for (const item of value) walk(item, segs, i + 1, out);
  }
}

/** The value and every value nested in it (depth-first, keys in insertion order), bounded in depth. */
export function walkDeep(value: unknown, out: unknown[], depth: number): void {
  if (value === undefined || depth > 64) return;
  out.push(value);
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let j = 0; j < value.length; j++) walkDeep(value[j], out, depth + 1);
  } else {
    for (const k in value as object) if (Object.prototype.hasOwnProperty.call(value, k)) walkDeep((value as Record<string, unknown>)[k], out, depth + 1);
  }
}

/** Single-valued read for a path without wildcards; `undefined` when absent. */
export function readOne(root: unknown, path: FieldPath): unknown {
  let v: unknown = root;
  for (const seg of path.segments) {
    if ('key' in seg) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(v, seg.key)) return undefined;
      v = (v as Record<string, unknown>)[seg.key];
    } else if ('index' in seg) {
      if (!Array.isArray(v)) return undefined;
      v = v[seg.index];
    } else return MISSING as unknown as undefined;
  }
  return v;
}
