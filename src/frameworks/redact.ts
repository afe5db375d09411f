// Applying `modify` findings: replace the flagged ranges of each field with a label, producing a
// new event (the input is never mutated). Only the redacted value leaves here, never the secret.

import type { JsonValue, StreamEvent } from '../events/types.js';
import type { FrameworkFinding } from './types.js';

/** Replace [start,end) ranges (may overlap, any order) with `[REDACTED:<label>]`. */
export function redactString(text: string, ranges: readonly { start: number; end: number; label: string }[]): string {
  const sorted = [...ranges].filter((r) => r.end > r.start && r.start >= 0 && r.end <= text.length).sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const r of sorted) {
    if (r.start < pos) {
      if (r.end > pos) pos = r.end;
      continue;
    }
    out += text.slice(pos, r.start) + `[REDACTED:${r.label}]`;
    pos = r.end;
  }
  return out + text.slice(pos);
}

/** Split `args.to[0].name` into ['args','to',0,'name']. */
export function parseFieldPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return out;
}

type Container = Record<string, unknown> | unknown[];

function getAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function setAt(root: Container, path: readonly (string | number)[], value: unknown): void {
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string | number, unknown>)[path[i] as string | number];
  }
  if (cur !== null && typeof cur === 'object') (cur as Record<string | number, unknown>)[path[path.length - 1] as string | number] = value;
}

/** Redacted values per field for the `modify` findings, keyed by field path. */
export function redactedFields(event: StreamEvent, findings: readonly FrameworkFinding[]): Map<string, string> {
  const byField = new Map<string, { start: number; end: number; label: string }[]>();
  for (const f of findings) {
    if (f.action !== 'modify') continue;
    const list = byField.get(f.evidence.field) ?? [];
    list.push({ start: f.evidence.start, end: f.evidence.end, label: f.entity ?? f.rule });
    byField.set(f.evidence.field, list);
  }
  const out = new Map<string, string>();
  for (const [field, ranges] of byField) {
    const value = getAt(event, parseFieldPath(field));
    if (typeof value === 'string') out.set(field, redactString(value, ranges));
    else if (typeof value === 'number') out.set(field, `[REDACTED:${ranges[0]?.label ?? 'value'}]`);
  }
  return out;
}

/** A copy of the event with every `modify` finding's range redacted. */
export function redactEvent<E extends StreamEvent>(event: E, findings: readonly FrameworkFinding[]): E {
  const fields = redactedFields(event, findings);
  if (fields.size === 0) return event;
  const copy = structuredClone(event) as E;
  for (const [field, value] of fields) setAt(copy as unknown as Container, parseFieldPath(field), value as JsonValue);
  return copy;
}
