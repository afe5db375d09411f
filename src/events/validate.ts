// Structural validation of stream events from untrusted sources (JSONL traces, OTLP payloads, users'
// code): returns what is wrong and where, instead of letting a malformed event reach the engine.

import { EVENT_KINDS, type StreamEvent } from './types.js';

export const MAX_EVENT_DEPTH = 64;

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const obj: Check = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const arr: Check = (v) => Array.isArray(v);

interface FieldRule {
  check: Check;
  required: boolean;
  expect: string;
}
const req = (check: Check, expect: string): FieldRule => ({ check, required: true, expect });
const opt = (check: Check, expect: string): FieldRule => ({ check, required: false, expect });

const COMMON: Record<string, FieldRule> = {
  runId: req((v) => str(v) && (v as string).length > 0, 'a non-empty string'),
  spanId: opt(str, 'a string'),
  parentSpanId: opt(str, 'a string'),
  agentId: opt(str, 'a string'),
  time: opt(num, 'a number (ms since the epoch)'),
  metadata: opt(obj, 'an object'),
  direction: opt((v) => v === 'user_input' || v === 'model_output' || v === 'tool_output' || v === 'agent_outbound', 'one of user_input, model_output, tool_output, agent_outbound'),
};

const BY_KIND: Record<string, Record<string, FieldRule>> = {
  'run.start': { name: opt(str, 'a string'), input: opt(str, 'a string') },
  'llm.request': {
    model: req(str, 'a string'),
    messages: req((v) => arr(v) && (v as unknown[]).every((m) => obj(m) && str((m as { role?: unknown }).role) && typeof (m as { content?: unknown }).content === 'string'), 'a list of `{ role, content }` with string content'),
    tools: opt(arr, 'a list'),
  },
  'llm.response': {
    model: opt(str, 'a string'),
    content: req(str, 'a string'),
    toolCalls: opt((v) => arr(v) && (v as unknown[]).every((c) => obj(c) && str((c as { tool?: unknown }).tool) && str((c as { callId?: unknown }).callId) && obj((c as { args?: unknown }).args)), 'a list of `{ callId, tool, args }`'),
    reasoning: opt(str, 'a string'),
    usage: opt(obj, 'an object'),
  },
  'tool.call': { tool: req(str, 'a string'), args: req(obj, 'an object'), callId: req(str, 'a string') },
  'tool.result': {
    tool: req(str, 'a string'),
    callId: req(str, 'a string'),
    result: opt(() => true, 'any JSON value'),
    error: opt(str, 'a string'),
    durationMs: opt(num, 'a number'),
  },
  reasoning: { text: req(str, 'a string') },
  'agent.response': { content: req(str, 'a string') },
  'run.end': { status: opt((v) => v === 'ok' || v === 'error' || v === 'halted', 'one of ok, error, halted'), error: opt(str, 'a string') },
};

export type EventCheck = { ok: true; event: StreamEvent } | { ok: false; message: string };

/** Checks shape, field types and nesting depth. Unknown extra fields are kept (forward compatibility). */
export function validateEvent(value: unknown): EventCheck {
  if (!obj(value)) return { ok: false, message: `an event must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` };
  const v = value as Record<string, unknown>;
  const kind = v.kind;
  if (typeof kind !== 'string') return { ok: false, message: 'event has no `kind`' };
  const rules = BY_KIND[kind];
  if (!rules) return { ok: false, message: `unknown event kind \`${kind}\`; kinds: ${EVENT_KINDS.join(', ')}` };
  for (const [field, rule] of [...Object.entries(COMMON), ...Object.entries(rules)]) {
    const x = v[field];
    if (x === undefined) {
      if (rule.required) return { ok: false, message: `\`${kind}\` event is missing \`${field}\`` };
      continue;
    }
    if (!rule.check(x)) return { ok: false, message: `\`${field}\` of a \`${kind}\` event must be ${rule.expect}` };
  }
  const depth = maxDepth(v, 0);
  if (depth > MAX_EVENT_DEPTH) return { ok: false, message: `event is nested more than ${MAX_EVENT_DEPTH} levels deep` };
  return { ok: true, event: v as unknown as StreamEvent };
}

function maxDepth(v: unknown, d: number): number {
  if (d > MAX_EVENT_DEPTH) return d;
  if (v === null || typeof v !== 'object') return d;
  let m = d;
  for (const x of Array.isArray(v) ? v : Object.values(v)) {
    m = Math.max(m, maxDepth(x, d + 1));
    if (m > MAX_EVENT_DEPTH) break;
  }
  return m;
}
