// Canonical JSON and content digests. Findings keep digests of arguments (never the raw values)
// and the hash chain hashes records, so both need one byte-exact serialisation: object keys
// sorted by UTF-16 code unit, no whitespace, numbers and strings as JSON.stringify writes them
// (which matches RFC 8785 for the values we store), `undefined` members dropped.

import { createHash } from 'node:crypto';

export const DIGEST_PREFIX = 'sha256:';

/**
 * Serialises `value` canonically. Values JSON cannot carry are written the way a reader would
 * expect to get them back: bigint as a decimal string, non-finite numbers as null, binary data
 * as a base64 string, cycles as the string `[circular]`.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, new Set());
  return parts.join('');
}

/** `sha256:<hex>` of the canonical JSON of `value`. */
export function digestOf(value: unknown): string {
  return DIGEST_PREFIX + sha256Hex(canonicalJson(value));
}

/** Like `digestOf`, but a value that cannot be read (a throwing getter) gives a fixed marker instead of an error. */
export function safeDigestOf(value: unknown): string {
  try {
    return digestOf(value);
  } catch {
    return DIGEST_PREFIX + 'unreadable';
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

type Task = { value: unknown } | { text: string } | { leave: object };

// Iterative so that hostile, deeply nested input cannot overflow the stack while being digested.
function write(root: unknown, out: string[], ancestors: Set<object>): void {
  const stack: Task[] = [{ value: root }];
  while (stack.length > 0) {
    const task = stack.pop() as Task;
    if ('text' in task) {
      out.push(task.text);
      continue;
    }
    if ('leave' in task) {
      ancestors.delete(task.leave);
      continue;
    }
    const value = task.value;
    switch (typeof value) {
      case 'string':
        out.push(JSON.stringify(value));
        continue;
      case 'number':
        out.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
        continue;
      case 'boolean':
        out.push(value ? 'true' : 'false');
        continue;
      case 'bigint':
        out.push(JSON.stringify(value.toString()));
        continue;
      case 'undefined':
      case 'function':
      case 'symbol':
        out.push('null');
        continue;
      default:
        break;
    }
    if (value === null) {
      out.push('null');
      continue;
    }
    const obj = value as object;
    if (ancestors.has(obj)) {
      out.push('"[circular]"');
      continue;
    }
    if (obj instanceof Uint8Array) {
      out.push(JSON.stringify(Buffer.from(obj).toString('base64')));
      continue;
    }
    if (obj instanceof Date) {
      out.push(JSON.stringify(Number.isNaN(obj.getTime()) ? null : obj.toISOString()));
      continue;
    }
    ancestors.add(obj);
    stack.push({ leave: obj });
    if (Array.isArray(obj)) {
      out.push('[');
      stack.push({ text: ']' });
      for (let i = obj.length - 1; i >= 0; i--) {
        const item: unknown = obj[i];
        stack.push({ value: isAbsent(item) ? null : item });
        if (i > 0) stack.push({ text: ',' });
      }
    } else {
      const record = obj as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => !isAbsent(record[k]))
        .sort();
      out.push('{');
      stack.push({ text: '}' });
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push({ value: record[key] });
        stack.push({ text: (i > 0 ? ',' : '') + JSON.stringify(key) + ':' });
      }
    }
  }
}

function isAbsent(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}
