// Explanations for violated policies: which fields matched (evidence, with secrets masked) and the
// message a human reads. Only runs on the slow path, after the kernel found a violation.

import type { Evidence } from './decision.js';
import type { Condition, Policy } from '../policy/ast.js';
import { parseFieldPath, readPath, type FieldPath } from '../policy/field-path.js';
import { classify, testValue } from '../policy/reference.js';
import { findMatches } from '../policy/pattern/index.js';
import { cachedPattern } from '../policy/pattern-cache.js';
import { toolPolicyViolation } from '../policy/lower.js';

const MAX_EVIDENCE = 8;

/** Masks a string so the audit trail never carries a secret: keeps a short head, hides the rest. */
export function maskExcerpt(s: string): string {
  if (s.length <= 4) return '*'.repeat(s.length);
  const keep = Math.min(4, Math.floor(s.length / 4));
  return `${s.slice(0, keep)}${'*'.repeat(Math.min(12, s.length - keep))}(${s.length} chars)`;
}

function plainExcerpt(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Evidence for a policy: the tests that hold on the event, with their field paths and spans. */
export function collectEvidence(policy: Policy, event: unknown): Evidence[] {
  const cond =
    policy.type === 'tool'
      ? toolPolicyViolation(policy)
      : policy.type === 'rule'
        ? policy.when
        : policy.type === 'sequence'
          ? policy.when
          : undefined;
  const out: Evidence[] = [];
  if (cond) walk(cond, event, out, false);
  return out.slice(0, MAX_EVIDENCE);
}

function walk(c: Condition, event: unknown, out: Evidence[], negated: boolean): void {
  if (out.length >= MAX_EVIDENCE) return;
  if (c.kind === 'all' || c.kind === 'any') {
    for (const it of c.items) walk(it, event, out, negated);
    return;
  }
  if (c.kind === 'not') return walk(c.item, event, out, !negated);
  const values = readPath(event, c.field);
  const positive = c.test.op !== 'ne' && c.test.op !== 'not_in';
  if (c.test.op === 'exists') {
    if ((values.length > 0) === (c.test.value !== negated)) out.push({ field: c.field.text });
    return;
  }
  values.forEach((v, i) => {
    const cls = classify(v);
    if (!cls) return;
    const hit = testValue(c.test, cls);
    // a value is evidence when it is the reason the (possibly negated) test holds
    if (hit !== (positive !== negated)) return;
    const field = c.field.multi ? indexPath(c.field, event, i) : c.field.text;
    if (c.test.op === 'pattern' && typeof v === 'string') {
      const dfa = cachedPattern(c.test.source);
      if (dfa) {
        for (const [start, end] of findMatches(dfa, v).slice(0, 3))
          out.push({ field, start, end, excerpt: maskExcerpt(v.slice(start, end)) });
        return;
      }
    }
    if (c.test.op === 'contains' && typeof v === 'string') {
      const start = v.indexOf(c.test.value);
      if (start >= 0) {
        out.push({ field, start, end: start + c.test.value.length, excerpt: maskExcerpt(c.test.value) });
        return;
      }
    }
    out.push({ field, excerpt: typeof v === 'string' && v.length > 24 ? maskExcerpt(v) : plainExcerpt(v) });
  });
}

/** `messages[*].content` + the i-th value → `messages[3].content` when it can be recovered. */
function indexPath(path: FieldPath, event: unknown, nth: number): string {
  let count = 0;
  let found: string | undefined;
  const rec = (value: unknown, i: number, prefix: string): void => {
    if (found !== undefined) return;
    const segs = path.segments;
    if (i === segs.length) {
      if (value !== undefined) {
        if (count === nth) found = prefix;
        count++;
      }
      return;
    }
    const seg = segs[i]!;
    if ('deep' in seg) {
      if (count === nth) found = prefix;
      return;
    }
    if ('key' in seg) {
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, seg.key))
        rec((value as Record<string, unknown>)[seg.key], i + 1, prefix ? `${prefix}.${seg.key}` : seg.key);
    } else if ('index' in seg) {
      if (Array.isArray(value)) rec(value[seg.index], i + 1, `${prefix}[${seg.index}]`);
    } else if (Array.isArray(value)) value.forEach((x, j) => rec(x, i + 1, `${prefix}[${j}]`));
  };
  rec(event, 0, '');
  return found ?? path.text;
}

/** The violation message: the policy's template with `{{field}}` filled in, or a default. */
export function violationMessage(policy: Policy, event: unknown): string {
  const ev = event as { kind?: string; tool?: unknown };
  if (policy.message !== undefined) {
    return policy.message.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_m, inner: string) => {
      if (inner === 'policy') return policy.name;
      if (inner === 'kind') return String(ev.kind ?? '');
      const p = parseFieldPath(inner);
      if (!p.ok) return '';
      const v = readPath(event, p.path)[0];
      if (v === undefined) return '';
      const s = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
      return s.length > 200 ? `${s.slice(0, 197)}...` : s;
    });
  }
  if (policy.type === 'tool') {
    const tool = typeof ev.tool === 'string' ? ev.tool : '?';
    if (policy.disallowedTools?.includes(tool)) return `tool \`${tool}\` is disallowed by policy \`${policy.name}\``;
    if (policy.allowedTools && !policy.allowedTools.includes(tool)) return `tool \`${tool}\` is not in the allowed tools of policy \`${policy.name}\``;
    return `arguments of \`${tool}\` break the constraints of policy \`${policy.name}\``;
  }
  if (policy.description) return `${policy.description} (policy \`${policy.name}\`)`;
  if (policy.type === 'sequence') {
    const s = policy.sequence;
    const what =
      s.kind === 'count'
        ? `more than ${s.max} matching events${s.windowMs !== undefined ? ` within ${s.windowMs} ms` : ''}`
        : s.kind === 'sum'
          ? `\`${s.field.text}\` adds up to more than ${s.max}`
          : s.kind === 'after'
            ? 'an earlier event in the run rules this out'
            : `the same call repeated more than ${s.max} times`;
    return `policy \`${policy.name}\`: ${what}`;
  }
  return `policy \`${policy.name}\` matched \`${String(ev.kind ?? '')}\``;
}
