// The JSONL trace format (version 1): one StreamEvent per line, optionally preceded by a header line
// `{"cascade_trace": 1}`. Decoding never throws: each bad line becomes an error naming its number.

import { validateEvent } from './validate.js';
import type { StreamEvent } from './types.js';

export const TRACE_FORMAT_VERSION = 1;
export const MAX_LINE_CHARS = 8 * 1024 * 1024;

export interface TraceLineError {
  line: number;
  message: string;
}

export interface DecodedTrace {
  events: { line: number; event: StreamEvent }[];
  errors: TraceLineError[];
}

/** Decodes one line; `undefined` for blank lines and the header. */
export function decodeTraceLine(text: string, line: number): { event: StreamEvent } | { error: TraceLineError } | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (trimmed.length > MAX_LINE_CHARS)
    return { error: { line, message: `line is ${trimmed.length} characters, the limit is ${MAX_LINE_CHARS}` } };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    return { error: { line, message: `not valid JSON: ${(err as Error).message}` } };
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && 'cascade_trace' in value) {
    const v = (value as { cascade_trace: unknown }).cascade_trace;
    if (v !== TRACE_FORMAT_VERSION)
      return { error: { line, message: `trace format version \`${String(v)}\` is not supported; this build reads version ${TRACE_FORMAT_VERSION}` } };
    return undefined;
  }
  const r = validateEvent(value);
  if (!r.ok) return { error: { line, message: r.message } };
  return { event: r.event };
}

export function decodeTrace(text: string): DecodedTrace {
  const out: DecodedTrace = { events: [], errors: [] };
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const r = decodeTraceLine(text.slice(start, end), line);
    if (r && 'event' in r) out.events.push({ line, event: r.event });
    else if (r) out.errors.push(r.error);
    start = end + 1;
  }
  return out;
}

export function encodeTrace(events: readonly StreamEvent[], header = true): string {
  const lines = events.map((e) => JSON.stringify(e));
  if (header) lines.unshift(JSON.stringify({ cascade_trace: TRACE_FORMAT_VERSION }));
  return lines.join('\n') + '\n';
}
