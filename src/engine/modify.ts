// Rewrites an event according to a decision's modifications (redact a field or the spans a pattern
// matches; set a field). Returns a new event; the caller's object is never mutated.

import type { StreamEvent } from '../events/types.js';
import type { Decision, Modification } from './decision.js';
import { parseFieldPath, type PathSegment } from '../policy/field-path.js';
import { findMatches } from '../policy/pattern/index.js';
import { cachedPattern } from '../policy/pattern-cache.js';

export function applyModifications(event: StreamEvent, decision: Pick<Decision, 'modifications'>): StreamEvent {
  if (decision.modifications.length === 0) return event;
  const copy = structuredClone(event) as unknown as Record<string, unknown>;
  for (const m of decision.modifications) applyOne(copy, m);
  return copy as unknown as StreamEvent;
}

function applyOne(root: Record<string, unknown>, m: Modification): void {
  const parsed = parseFieldPath(m.field);
  if (!parsed.ok) return;
  const segs = parsed.path.segments;
  if (m.op === 'set') {
    setPath(root, segs, m.value);
    return;
  }
  const replacement = m.replacement.replace(/\{\{\s*policy\s*\}\}/g, m.policy);
  let matcher: ((s: string) => string) | undefined;
  if (m.pattern !== undefined) {
    const dfa = cachedPattern(m.pattern);
    if (!dfa) return;
    matcher = (s) => {
      const spans = findMatches(dfa, s);
      if (spans.length === 0) return s;
      let out = '';
      let at = 0;
      for (const [a, b] of spans) {
        out += s.slice(at, a) + replacement;
        at = b;
      }
      return out + s.slice(at);
    };
  }
  update(root, segs, 0, (v) => {
    if (matcher) return redactDeep(v, matcher);
    return replacement;
  });
}

/** Redacts inside strings anywhere in a value (nested content blocks, tool results as objects). */
function redactDeep(v: unknown, f: (s: string) => string, depth = 0): unknown {
  if (depth > 64) return v;
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => redactDeep(x, f, depth + 1));
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = redactDeep(x, f, depth + 1);
    return o;
  }
  return v;
}

function update(container: unknown, segs: PathSegment[], i: number, f: (v: unknown) => unknown): void {
  const seg = segs[i]!;
  if ('deep' in seg) return; // `**` is for reading; redact the parent path with a pattern instead
  const last = i === segs.length - 1;
  const visit = (holder: Record<string | number, unknown>, key: string | number): void => {
    if (last) holder[key] = f(holder[key]);
    else update(holder[key], segs, i + 1, f);
  };
  if ('key' in seg) {
    if (!container || typeof container !== 'object' || Array.isArray(container)) return;
    if (!Object.prototype.hasOwnProperty.call(container, seg.key)) return;
    visit(container as Record<string, unknown>, seg.key);
  } else if ('index' in seg) {
    if (!Array.isArray(container) || seg.index >= container.length) return;
    visit(container as unknown as Record<number, unknown>, seg.index);
  } else {
    if (!Array.isArray(container)) return;
    for (let j = 0; j < container.length; j++) visit(container as unknown as Record<number, unknown>, j);
  }
}

function setPath(root: Record<string, unknown>, segs: PathSegment[], value: unknown): void {
  let cur: Record<string | number, unknown> = root;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const key = 'key' in seg ? seg.key : 'index' in seg ? seg.index : undefined;
    if ('deep' in seg) return;
    if (key === undefined) return;
    if (i === segs.length - 1) {
      cur[key] = structuredClone(value);
      return;
    }
    let next = cur[key];
    if (!next || typeof next !== 'object') {
      next = {};
      cur[key] = next;
    }
    cur = next as Record<string | number, unknown>;
  }
}
