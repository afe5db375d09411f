// Canonical JSON and digests. Approvals and audit records refer to arguments by a digest of their
// canonical form (sorted keys, no undefined), so the same arguments always hash the same and an
// edited call never matches an approval given for the original.

import { createHash } from 'node:crypto';
import type { JsonValue } from '../events/types.js';

const MAX_DEPTH = 64;

/**
 * Turns any value a tool returns or receives into JSON data: `toJSON` honoured, `undefined` and
 * functions dropped from objects, non-finite numbers and cycles replaced, bigint as a string.
 */
export function toJsonValue(value: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  const withJson = value as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return toJsonValue(withJson.toJSON(), depth + 1, seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => (v === undefined || typeof v === 'function' ? null : toJsonValue(v, depth + 1, seen)));
    if (value instanceof Map) return toJsonValue(Object.fromEntries(value), depth + 1, seen);
    if (value instanceof Set) return toJsonValue([...value], depth + 1, seen);
    if (value instanceof Error) return { name: value.name, message: value.message };
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      out[k] = toJsonValue(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Arguments of a tool call as a JSON object; anything else is wrapped as `{ input: value }`. */
export function toJsonObject(value: unknown): { [key: string]: JsonValue } {
  const json = toJsonValue(value);
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) return json;
  return json === null ? {} : { input: json };
}

/** JSON text with object keys sorted at every level. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
}

/** `sha256:<hex>` of the canonical JSON of `value`. */
export function digestOf(value: JsonValue): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

export function digestText(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
