// Size bounds for everything the findings layer persists or exports. Agent traces carry whatever
// the model, the tools and the user produced: megabyte strings, lone surrogates, objects nested
// thousands deep, cycles, getters that throw. Nothing here throws; whatever is cut leaves a
// visible truncation marker so a reader knows the record is partial.

import type { JsonValue } from '../events/types.js';

export const TRUNCATION_MARKER = '…[truncated]';

export interface ValueLimits {
  /** longest string kept (UTF-16 code units), marker included */
  maxStringChars: number;
  /** nesting depth kept; deeper values become a marker string */
  maxDepth: number;
  /** array items / object members kept per container */
  maxItems: number;
  /** rough budget for the whole value, in UTF-16 code units of string content and keys */
  maxTotalChars: number;
}

export const DEFAULT_VALUE_LIMITS: ValueLimits = {
  maxStringChars: 8_192,
  maxDepth: 16,
  maxItems: 256,
  maxTotalChars: 65_536,
};

export interface Bounded<T> {
  value: T;
  truncated: boolean;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces unpaired surrogates (which have no UTF-8 encoding) with U+FFFD. */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Cuts `text` to at most `max` code units, ending in a marker that says how much was cut.
 * Never splits a surrogate pair and always returns well-formed text.
 */
export function boundString(text: string, max: number): Bounded<string> {
  const clean = wellFormed(text);
  if (clean.length <= max) return { value: clean, truncated: false };
  const marker = `${TRUNCATION_MARKER.slice(0, -1)} ${clean.length} chars]`;
  let cut = Math.max(0, max - marker.length);
  const last = clean.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return { value: clean.slice(0, cut) + marker, truncated: true };
}

export function truncateText(text: string, max: number): string {
  return boundString(text, max).value;
}

/** True when a string ends with a marker written by this module. */
export function isTruncated(text: string): boolean {
  return text.includes(TRUNCATION_MARKER.slice(0, -1));
}

/**
 * Copies `input` into plain JSON within `limits`. Non-JSON values are made readable (bigint and
 * dates as strings, binary as a size marker, non-finite numbers as strings), cycles and
 * unreadable members become marker strings.
 */
export function boundJson(input: unknown, limits: Partial<ValueLimits> = {}): Bounded<JsonValue> {
  const l: ValueLimits = { ...DEFAULT_VALUE_LIMITS, ...limits };
  const state = { budget: l.maxTotalChars, truncated: false };
  const value = copy(input, 0, l, state, new Set());
  return { value, truncated: state.truncated };
}

interface CopyState {
  budget: number;
  truncated: boolean;
}

function copy(input: unknown, depth: number, l: ValueLimits, s: CopyState, ancestors: Set<object>): JsonValue {
  if (s.budget <= 0) {
    s.truncated = true;
    return `${TRUNCATION_MARKER.slice(0, -1)}: size limit]`;
  }
  switch (typeof input) {
    case 'string': {
      const b = boundString(input, Math.min(l.maxStringChars, Math.max(32, s.budget)));
      s.budget -= b.value.length;
      if (b.truncated) s.truncated = true;
      return b.value;
    }
    case 'number':
      s.budget -= 8;
      return Number.isFinite(input) ? input : String(input);
    case 'boolean':
      s.budget -= 4;
      return input;
    case 'bigint':
      return copy(input.toString(), depth, l, s, ancestors);
    case 'undefined':
      return null;
    case 'function':
      return '[function]';
    case 'symbol':
      return '[symbol]';
    default:
      break;
  }
  if (input === null) return null;
  const obj = input as object;
  if (ancestors.has(obj)) {
    s.truncated = true;
    return '[circular]';
  }
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) {
    return `[binary ${obj.byteLength} bytes]`;
  }
  if (depth >= l.maxDepth) {
    s.truncated = true;
    return `${TRUNCATION_MARKER.slice(0, -1)}: depth > ${l.maxDepth}]`;
  }
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      const out: JsonValue[] = [];
      const n = Math.min(obj.length, l.maxItems);
      for (let i = 0; i < n; i++) out.push(copy(readIndex(obj, i), depth + 1, l, s, ancestors));
      if (obj.length > n) {
        s.truncated = true;
        out.push(`${TRUNCATION_MARKER.slice(0, -1)} ${obj.length - n} items]`);
      }
      return out;
    }
    const out: { [key: string]: JsonValue } = {};
    let keys: string[];
    try {
      keys = Object.keys(obj);
    } catch {
      s.truncated = true;
      return '[unreadable]';
    }
    const n = Math.min(keys.length, l.maxItems);
    for (let i = 0; i < n; i++) {
      const rawKey = keys[i] as string;
      let member: unknown;
      try {
        member = (obj as Record<string, unknown>)[rawKey];
      } catch {
        s.truncated = true;
        member = '[unreadable]';
      }
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      const key = boundString(rawKey, 256).value;
      s.budget -= key.length;
      out[key] = copy(member, depth + 1, l, s, ancestors);
    }
    if (keys.length > n) {
      s.truncated = true;
      out[TRUNCATION_MARKER] = `${keys.length - n} members`;
    }
    return out;
  } finally {
    ancestors.delete(obj);
  }
}

function readIndex(arr: readonly unknown[], i: number): unknown {
  try {
    return arr[i];
  } catch {
    return '[unreadable]';
  }
}

/** Bounded JSON text for a SQLite column; always parses back. */
export function boundedJsonText(input: unknown, limits: Partial<ValueLimits> = {}): Bounded<string> {
  const b = boundJson(input, limits);
  return { value: JSON.stringify(b.value), truncated: b.truncated };
}
