// SpanRecord: a finished span as plain JSON. It is what the store's `spans` table holds, what
// the export outbox persists, and what becomes an OpenTelemetry ReadableSpan at send time, so a
// span survives a restart byte for byte.

import { boundJson, boundString, wellFormed } from './bounded-value.js';
import { sha256Hex } from './canonical-json.js';

export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type SpanAttributes = Record<string, AttributeValue>;

export type SpanOperation = 'invoke_agent' | 'chat' | 'execute_tool' | 'run_guardrail' | 'reasoning';

export interface SpanEventRecord {
  name: string;
  /** ms since the epoch */
  time: number;
  attributes: SpanAttributes;
}

export interface SpanRecord {
  /** 32 lowercase hex */
  traceId: string;
  /** 16 lowercase hex */
  spanId: string;
  parentSpanId?: string;
  /** the id the capture layer gave the span, when it was not already OTel-shaped */
  sourceSpanId?: string;
  runId: string;
  operation: SpanOperation;
  name: string;
  kind: 'internal' | 'client';
  /** ms since the epoch (fractions allowed) */
  startTime: number;
  endTime: number;
  status: { code: 'unset' | 'ok' | 'error'; message?: string };
  attributes: SpanAttributes;
  events: SpanEventRecord[];
}

const SPAN_ID = /^[0-9a-f]{16}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The OTel span id for a capture-layer span id: kept as is when it is already 16 lowercase hex
 * (and not all zeros), otherwise derived by hashing, so the same source id always maps to the
 * same span id (which is what makes re-sends idempotent).
 */
export function otelSpanId(sourceId: string): string {
  if (SPAN_ID.test(sourceId) && sourceId !== '0000000000000000') return sourceId;
  return nonZero(sha256Hex('span\u0000' + sourceId).slice(0, 16));
}

/**
 * The OTel trace id for a run: a 32-hex id or a UUID (whose hex the SDK uses as the trace id) is
 * kept, anything else is hashed.
 */
export function otelTraceId(seed: string): string {
  if (TRACE_ID.test(seed) && !/^0+$/.test(seed)) return seed;
  if (UUID.test(seed)) {
    const hex = seed.replace(/-/g, '').toLowerCase();
    if (!/^0+$/.test(hex)) return hex;
  }
  return nonZero(sha256Hex('trace\u0000' + seed).slice(0, 32));
}

export function isOtelSpanId(id: string): boolean {
  return SPAN_ID.test(id) && id !== '0000000000000000';
}

export function isOtelTraceId(id: string): boolean {
  return TRACE_ID.test(id) && !/^0+$/.test(id);
}

function nonZero(hex: string): string {
  return /^0+$/.test(hex) ? hex.slice(0, -1) + '1' : hex;
}

/** Key used by the outbox for de-duplication. */
export function spanKey(span: Pick<SpanRecord, 'traceId' | 'spanId'>): string {
  return `${span.traceId}:${span.spanId}`;
}

export interface SpanLimits {
  maxNameChars: number;
  maxAttributes: number;
  maxAttributeChars: number;
  maxArrayItems: number;
  maxEvents: number;
  /** nesting kept when a non-OTel value (an object) is flattened to JSON text */
  maxNestedDepth: number;
}

export const DEFAULT_SPAN_LIMITS: SpanLimits = {
  maxNameChars: 256,
  maxAttributes: 128,
  maxAttributeChars: 8_192,
  maxArrayItems: 128,
  maxEvents: 128,
  maxNestedDepth: 8,
};

/** Attribute set on a span whose data had to be cut to fit the limits. */
export const TRUNCATED_ATTRIBUTE = 'cascade.truncated';

/**
 * Returns a span that is safe to store and export: ids well-formed, strings bounded and free of
 * lone surrogates, attribute values OTel-typed (objects become bounded JSON text), times finite.
 * Anything cut is marked (`cascade.truncated` on the span). Never throws.
 */
export function sanitizeSpan(input: SpanRecord, limits: Partial<SpanLimits> = {}): SpanRecord {
  const l: SpanLimits = { ...DEFAULT_SPAN_LIMITS, ...limits };
  const flag = { truncated: false };
  const text = (v: unknown, max: number): string => {
    const b = boundString(typeof v === 'string' ? v : String(v), max);
    if (b.truncated) flag.truncated = true;
    return b.value;
  };
  const runId = text(input.runId ?? '', 512);
  const traceId = typeof input.traceId === 'string' && isOtelTraceId(input.traceId) ? input.traceId : otelTraceId(runId);
  const spanId = typeof input.spanId === 'string' && isOtelSpanId(input.spanId) ? input.spanId : otelSpanId(String(input.spanId));
  const start = finiteOr(input.startTime, 0);
  const end = Math.max(start, finiteOr(input.endTime, start));
  const out: SpanRecord = {
    traceId,
    spanId,
    runId,
    operation: input.operation,
    name: text(input.name ?? input.operation ?? 'span', l.maxNameChars),
    kind: input.kind === 'client' ? 'client' : 'internal',
    startTime: start,
    endTime: end,
    status: { code: input.status?.code === 'ok' || input.status?.code === 'error' ? input.status.code : 'unset' },
    attributes: sanitizeAttributes(input.attributes, l, flag),
    events: [],
  };
  if (typeof input.parentSpanId === 'string' && input.parentSpanId !== '') {
    out.parentSpanId = isOtelSpanId(input.parentSpanId) ? input.parentSpanId : otelSpanId(input.parentSpanId);
  }
  if (typeof input.sourceSpanId === 'string') out.sourceSpanId = text(input.sourceSpanId, 512);
  if (typeof input.status?.message === 'string') out.status.message = text(input.status.message, l.maxAttributeChars);
  const events = Array.isArray(input.events) ? input.events : [];
  for (const e of events.slice(0, l.maxEvents)) {
    out.events.push({
      name: text(e?.name ?? 'event', l.maxNameChars),
      time: finiteOr(e?.time, start),
      attributes: sanitizeAttributes(e?.attributes, l, flag),
    });
  }
  if (events.length > l.maxEvents) flag.truncated = true;
  if (flag.truncated) out.attributes[TRUNCATED_ATTRIBUTE] = true;
  return out;
}

function sanitizeAttributes(input: unknown, l: SpanLimits, flag: { truncated: boolean }): SpanAttributes {
  const out: SpanAttributes = {};
  if (input === null || typeof input !== 'object') return out;
  let keys: string[];
  try {
    keys = Object.keys(input);
  } catch {
    flag.truncated = true;
    return out;
  }
  if (keys.length > l.maxAttributes) flag.truncated = true;
  for (const rawKey of keys.slice(0, l.maxAttributes)) {
    let value: unknown;
    try {
      value = (input as Record<string, unknown>)[rawKey];
    } catch {
      flag.truncated = true;
      continue;
    }
    const key = wellFormed(rawKey).slice(0, 256);
    const v = attributeValue(value, l, flag);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function attributeValue(value: unknown, l: SpanLimits, flag: { truncated: boolean }): AttributeValue | undefined {
  switch (typeof value) {
    case 'string': {
      const b = boundString(value, l.maxAttributeChars);
      if (b.truncated) flag.truncated = true;
      return b.value;
    }
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return undefined;
  if (Array.isArray(value) && value.length > 0) {
    const first = typeof value[0];
    if ((first === 'string' || first === 'number' || first === 'boolean') && value.every((x) => typeof x === first)) {
      if (value.length > l.maxArrayItems) flag.truncated = true;
      const items = value.slice(0, l.maxArrayItems);
      if (first === 'string') return (items as string[]).map((x) => attributeValue(x, l, flag) as string);
      if (first === 'number') return (items as number[]).filter((x) => Number.isFinite(x));
      return items as boolean[];
    }
  }
  // Not an OTel attribute type: keep it readable as bounded JSON text.
  const b = boundJson(value, { maxDepth: l.maxNestedDepth, maxTotalChars: l.maxAttributeChars, maxItems: l.maxArrayItems });
  if (b.truncated) flag.truncated = true;
  const t = boundString(JSON.stringify(b.value), l.maxAttributeChars);
  if (t.truncated) flag.truncated = true;
  return t.value;
}

function finiteOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
