// Located tree → Policy AST, validating as it goes. Every problem becomes a diagnostic pointing at
// the offending key or value; a policy with errors is dropped but parsing continues, so one run
// reports everything that is wrong.

import { EVENT_KINDS, type EventKind } from '../events/types.js';
import { ACTIONS, MODES, SEVERITIES, type Action, type Mode, type Severity } from '../engine/decision.js';
import type {
  Condition,
  CompareOp,
  ModifySpec,
  Policy,
  Scalar,
  SequenceSpec,
  Test,
  ToolArgumentRule,
} from './ast.js';
import type { DiagnosticSink, SourceSpan } from './diagnostics.js';
import { checkPathForKind, parseFieldPath, type FieldPath } from './field-path.js';
import type { LEntry, LNode } from './source.js';
import { compilePattern } from './pattern/index.js';
import { cachedPattern } from './pattern-cache.js';

export const POLICY_TYPES = ['tool', 'rule', 'sequence', 'custom'] as const;
export const TEST_OPS = [
  'eq',
  'ne',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'prefix',
  'suffix',
  'contains',
  'length',
  'pattern',
] as const;
const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'];
export const MAX_SET_SIZE = 10_000;
export const MAX_CONDITION_NODES = 2_000;
export const MAX_WINDOW_COUNT = 1_000;
export const MAX_POLICIES = 10_000;

const COMMON_KEYS = [
  'name',
  'type',
  'description',
  'severity',
  'classification',
  'mode',
  'on_error',
  'on',
  'action',
  'message',
  'modify',
  'tags',
  'enabled',
];
const KEYS_BY_TYPE: Record<(typeof POLICY_TYPES)[number], string[]> = {
  tool: [...COMMON_KEYS, 'allowed_tools', 'disallowed_tools', 'arguments'],
  rule: [...COMMON_KEYS, 'when'],
  sequence: [...COMMON_KEYS, 'when', 'count', 'sum', 'after', 'repeat'],
  custom: [...COMMON_KEYS, 'code', 'tenant'],
};

/** policy names (and the tenant ids of `withTenantPolicies`) */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

interface Ctx {
  sink: DiagnosticSink;
  policy: string | undefined;
  kinds: EventKind[];
  nodes: number;
}

/** Turns the documents of one file into policies. Documents may hold one policy, a list, or `{ policies: [...] }`. */
export function parsePolicies(docs: LNode[], sink: DiagnosticSink): Policy[] {
  const out: Policy[] = [];
  for (const doc of docs) {
    let items: LNode[];
    if (doc.type === 'seq') items = doc.items;
    else if (doc.type === 'map' && doc.entries.length === 1 && doc.entries[0]!.key === 'policies') {
      const v = doc.entries[0]!.value;
      if (v.type !== 'seq') {
        sink.error('wrong-type', '`policies` must be a list of policies', v.span);
        continue;
      }
      items = v.items;
    } else items = [doc];
    for (const item of items) {
      const p = parsePolicy(item, sink);
      if (p) out.push(p);
    }
  }
  return out;
}

export function parsePolicy(node: LNode, sink: DiagnosticSink): Policy | undefined {
  if (node.type !== 'map') {
    sink.error('wrong-type', 'a policy must be a mapping with `name` and `type`', node.span);
    return undefined;
  }
  const get = (k: string): LEntry | undefined => node.entries.find((e) => e.key === k);
  const before = sink.items.filter((d) => d.severity === 'error').length;
  const nameE = get('name');
  let name = '';
  if (!nameE) sink.error('missing-field', 'policy has no `name`', node.span, { help: 'add `name: my-policy`' });
  else if (nameE.value.type !== 'scalar' || typeof nameE.value.value !== 'string' || !NAME_RE.test(nameE.value.value))
    sink.error('invalid-name', 'policy `name` must be 1-128 letters, digits, `.`, `_`, `-`, `:` or `/`', nameE.value.span);
  else name = nameE.value.value;
  const policyName = name || undefined;
  const ctx: Ctx = { sink, policy: policyName, kinds: [], nodes: 0 };
  const err = (code: string, msg: string, span: SourceSpan, help?: string): void =>
    sink.error(code, msg, span, help === undefined ? withPolicy(policyName) : { help, ...withPolicy(policyName) });

  const typeE = get('type');
  let type: (typeof POLICY_TYPES)[number] | undefined;
  if (!typeE) err('missing-field', 'policy has no `type`', node.span, `add \`type:\` with one of ${POLICY_TYPES.join(', ')}`);
  else {
    const t = scalarString(typeE.value);
    if (t !== undefined && (POLICY_TYPES as readonly string[]).includes(t)) type = t as (typeof POLICY_TYPES)[number];
    else err('unknown-type', `unknown policy type \`${String(t ?? '?')}\``, typeE.value.span, `use one of ${POLICY_TYPES.join(', ')}`);
  }
  if (!type) return undefined;

  const known = KEYS_BY_TYPE[type];
  for (const e of node.entries) {
    if (!known.includes(e.key)) {
      const near = closest(e.key, known);
      err(
        'unknown-field',
        `unknown field \`${e.key}\` in a \`${type}\` policy`,
        e.keySpan,
        near ? `did you mean \`${near}\`?` : `known fields: ${known.join(', ')}`,
      );
    }
  }
  const enabledE = get('enabled');
  if (enabledE && (enabledE.value.type !== 'scalar' || typeof enabledE.value.value !== 'boolean'))
    err('wrong-type', '`enabled` must be true or false', enabledE.value.span);

  const severity = parseEnum(get('severity'), SEVERITIES, 'medium', 'severity', ctx) as Severity;
  const mode = get('mode') ? (parseEnum(get('mode'), MODES, 'enforce', 'mode', ctx) as Mode) : undefined;
  const onError = parseEnum(get('on_error'), ['block', 'allow'] as const, 'block', 'on_error', ctx) as 'block' | 'allow';
  const defaultAction: Action = 'block';
  const action = parseEnum(get('action'), ACTIONS, defaultAction, 'action', ctx) as Action;
  const classification = parseStringList(get('classification'), 'classification', ctx) ?? [];
  const tags = parseStringList(get('tags'), 'tags', ctx) ?? [];
  const description = optString(get('description'), 'description', ctx);
  const message = optString(get('message'), 'message', ctx);

  // event kinds
  const onE = get('on');
  let kinds: EventKind[];
  if (type === 'tool') {
    kinds = ['tool.call'];
    if (onE) {
      const list = parseStringList(onE, 'on', ctx) ?? [];
      if (list.some((k) => k !== 'tool.call'))
        err('invalid-on', '`tool` policies apply to `tool.call` events only', onE.value.span, 'remove `on` or use a `rule` policy');
    }
  } else if (!onE) {
    if (type === 'custom') kinds = [...EVENT_KINDS];
    else {
      err('missing-field', `a \`${type}\` policy needs \`on:\` naming the event kinds it applies to`, node.span, `e.g. \`on: tool.call\`; kinds: ${EVENT_KINDS.join(', ')}`);
      return undefined;
    }
  } else {
    const list = parseStringList(onE, 'on', ctx) ?? [];
    kinds = [];
    for (const k of list) {
      if ((EVENT_KINDS as readonly string[]).includes(k)) {
        if (!kinds.includes(k as EventKind)) kinds.push(k as EventKind);
      } else err('unknown-event-kind', `unknown event kind \`${k}\``, onE.value.span, `kinds: ${EVENT_KINDS.join(', ')}`);
    }
    if (list.length === 0) err('wrong-type', '`on` must name at least one event kind', onE.value.span);
  }
  ctx.kinds = kinds;

  // actions that only make sense on some kinds
  const actionSpan = get('action')?.value.span ?? node.span;
  if (action === 'prevent_response' && kinds.some((k) => k !== 'llm.response' && k !== 'agent.response'))
    err('action-not-applicable', '`prevent_response` applies to `llm.response` and `agent.response` events only', actionSpan);
  if (action === 'require_approval' && kinds.some((k) => k !== 'tool.call'))
    err('action-not-applicable', '`require_approval` applies to `tool.call` events only', actionSpan);

  let modify: ModifySpec | undefined;
  const modE = get('modify');
  if (modE) modify = parseModify(modE.value, ctx);
  if (action === 'modify' && !modE)
    err('missing-field', '`action: modify` needs a `modify:` block saying what to redact or set', actionSpan, 'e.g. `modify: { redact: [{ field: result, pattern: "sk-[A-Za-z0-9]{20,}" }] }`');
  if (modE && action !== 'modify') sink.warning('unused-field', '`modify` has no effect unless `action: modify`', modE.keySpan, withPolicy(policyName));
  if (message !== undefined) checkTemplate(message, get('message')!.value.span, ctx);

  const common = {
    name,
    severity,
    classification,
    onError,
    on: kinds,
    action,
    tags,
    ...(description !== undefined ? { description } : {}),
    ...(mode !== undefined ? { mode } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(modify !== undefined ? { modify } : {}),
    span: node.span,
  };

  let policy: Policy | undefined;
  if (type === 'tool') {
    const allowed = parseStringList(get('allowed_tools'), 'allowed_tools', ctx);
    const disallowed = parseStringList(get('disallowed_tools'), 'disallowed_tools', ctx);
    const args: ToolArgumentRule[] = [];
    const argE = get('arguments');
    if (argE) {
      if (argE.value.type !== 'map') err('wrong-type', '`arguments` maps tool names to argument conditions', argE.value.span);
      else
        for (const te of argE.value.entries) {
          if (te.value.type !== 'map') {
            err('wrong-type', `argument conditions for \`${te.key}\` must map argument names to tests`, te.value.span, 'e.g. `issue_refund: { amount: { lte: 500 } }`');
            continue;
          }
          const conditions: Condition[] = [];
          for (const ae of te.value.entries) {
            const c = parseFieldTests('args.' + ae.key, ae.keySpan, ae.value, ctx, ae.key);
            if (c) conditions.push(c);
          }
          args.push({ tool: te.key, conditions, span: te.keySpan });
        }
    }
    if (!allowed && !disallowed && args.length === 0)
      err('empty-policy', 'a `tool` policy needs `allowed_tools`, `disallowed_tools` or `arguments`', node.span);
    if (allowed && disallowed) {
      for (const t of disallowed)
        if (allowed.includes(t))
          err('contradictory-condition', `tool \`${t}\` is both allowed and disallowed`, get('disallowed_tools')!.value.span);
    }
    if (allowed && allowed.length === 0)
      sink.warning('empty-allowlist', '`allowed_tools` is empty: every tool call will be denied', get('allowed_tools')!.value.span, withPolicy(policyName));
    policy = {
      ...common,
      type: 'tool',
      ...(allowed ? { allowedTools: allowed } : {}),
      ...(disallowed ? { disallowedTools: disallowed } : {}),
      arguments: args,
    };
  } else if (type === 'rule') {
    const whenE = get('when');
    if (!whenE) {
      err('missing-field', 'a `rule` policy needs `when:` conditions', node.span);
      return undefined;
    }
    const when = parseCondition(whenE.value, ctx);
    if (when) policy = { ...common, type: 'rule', when };
  } else if (type === 'sequence') {
    const whenE = get('when');
    const when = whenE ? parseCondition(whenE.value, ctx) : undefined;
    const present = (['count', 'sum', 'after', 'repeat'] as const).filter((k) => get(k));
    if (present.length !== 1) {
      err(
        present.length === 0 ? 'missing-field' : 'conflicting-fields',
        present.length === 0
          ? 'a `sequence` policy needs one of `count`, `sum`, `after` or `repeat`'
          : `a \`sequence\` policy takes one of \`count\`, \`sum\`, \`after\`, \`repeat\`, not ${present.map((p) => `\`${p}\``).join(' and ')}`,
        node.span,
        'split it into several policies',
      );
      return undefined;
    }
    const seq = parseSequence(present[0]!, get(present[0]!)!, ctx);
    if (seq) policy = { ...common, type: 'sequence', when, sequence: seq };
  } else {
    const codeE = get('code');
    const code = optString(codeE, 'code', ctx);
    if (code === undefined || code.trim() === '') {
      err('missing-field', 'a `custom` policy needs `code:` with the module text exporting `evaluate`', node.span);
      return undefined;
    }
    if (!/\bexport\b[\s\S]*\bevaluate\b/.test(code))
      err('invalid-custom-code', 'custom policy code must export a function `evaluate(event, context)`', codeE!.value.span, 'write `export function evaluate(event, context) { ... }`');
    const tenant = optString(get('tenant'), 'tenant', ctx);
    policy = { ...common, type: 'custom', code, ...(tenant !== undefined ? { tenant } : {}) };
  }
  const after = sink.items.filter((d) => d.severity === 'error').length;
  if (after > before) return undefined;
  if (enabledE && enabledE.value.type === 'scalar' && enabledE.value.value === false) return undefined;
  return policy;
}

function withPolicy(p: string | undefined): { policy?: string } {
  return p === undefined ? {} : { policy: p };
}

function parseSequence(key: 'count' | 'sum' | 'after' | 'repeat', e: LEntry, ctx: Ctx): SequenceSpec | undefined {
  const v = e.value;
  const err = (code: string, msg: string, span: SourceSpan, help?: string): void =>
    ctx.sink.error(code, msg, span, { ...(help ? { help } : {}), ...withPolicy(ctx.policy) });
  if (key === 'after') {
    const c = parseCondition(v, ctx);
    return c ? { kind: 'after', after: c } : undefined;
  }
  if (v.type !== 'map') {
    err('wrong-type', `\`${key}\` must be a mapping`, v.span);
    return undefined;
  }
  const get = (k: string): LEntry | undefined => v.entries.find((x) => x.key === k);
  const allowedKeys = key === 'count' ? ['where', 'within', 'max'] : key === 'sum' ? ['field', 'where', 'max'] : ['max'];
  for (const x of v.entries)
    if (!allowedKeys.includes(x.key)) err('unknown-field', `unknown field \`${x.key}\` in \`${key}\``, x.keySpan, `known: ${allowedKeys.join(', ')}`);
  const maxE = get('max');
  if (!maxE || maxE.value.type !== 'scalar' || typeof maxE.value.value !== 'number' || maxE.value.value < 0) {
    err('missing-field', `\`${key}\` needs \`max:\`, a number ≥ 0 (the policy fires when the total goes above it)`, maxE?.value.span ?? v.span);
    return undefined;
  }
  const max = maxE.value.value;
  const whereE = get('where');
  const where = whereE ? parseCondition(whereE.value, ctx) : undefined;
  if (key === 'count') {
    if (!Number.isInteger(max)) err('wrong-type', '`count.max` must be a whole number', maxE.value.span);
    const withinE = get('within');
    let windowMs: number | undefined;
    if (withinE) {
      windowMs = parseDuration(withinE.value, ctx);
      if (windowMs === undefined) return undefined;
      if (max >= MAX_WINDOW_COUNT)
        err('limit-exceeded', `a windowed count keeps the last \`max\`+1 timestamps; \`max\` must be below ${MAX_WINDOW_COUNT}`, maxE.value.span);
    }
    return { kind: 'count', where, windowMs, max };
  }
  if (key === 'sum') {
    const fE = get('field');
    const f = fE ? scalarString(fE.value) : undefined;
    if (!fE || f === undefined) {
      err('missing-field', '`sum` needs `field:`, the numeric field to add up (e.g. `args.amount`)', v.span);
      return undefined;
    }
    const path = parsePathChecked(f, fE.value.span, ctx);
    if (!path) return undefined;
    if (path.multi) {
      err('wrong-type', '`sum.field` must name one value, not a `[*]` list', fE.value.span);
      return undefined;
    }
    return { kind: 'sum', field: path, where, max };
  }
  if (!ctx.kinds.every((k) => k === 'tool.call'))
    err('invalid-on', '`repeat` counts identical tool calls, so the policy must have `on: tool.call`', e.keySpan);
  if (!Number.isInteger(max) || max < 1) err('wrong-type', '`repeat.max` must be a whole number ≥ 1', maxE.value.span);
  return { kind: 'repeat', max };
}

function parseDuration(n: LNode, ctx: Ctx): number | undefined {
  if (n.type === 'scalar' && typeof n.value === 'number' && n.value > 0) return n.value;
  if (n.type === 'scalar' && typeof n.value === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(n.value.trim());
    if (m) {
      const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
      const v = Number(m[1]) * mult;
      if (v > 0) return v;
    }
  }
  ctx.sink.error('invalid-duration', 'durations are milliseconds or text like `30s`, `5m`, `1h`, `1d`', n.span, withPolicy(ctx.policy));
  return undefined;
}

function parseModify(n: LNode, ctx: Ctx): ModifySpec | undefined {
  const err = (code: string, msg: string, span: SourceSpan, help?: string): void =>
    ctx.sink.error(code, msg, span, { ...(help ? { help } : {}), ...withPolicy(ctx.policy) });
  if (n.type !== 'map') {
    err('wrong-type', '`modify` must be a mapping with `redact` and/or `set`', n.span);
    return undefined;
  }
  const spec: ModifySpec = { redact: [], set: [], replacement: '[REDACTED]' };
  for (const e of n.entries) {
    if (e.key === 'redact') {
      const items = e.value.type === 'seq' ? e.value.items : [e.value];
      for (const it of items) {
        if (it.type === 'scalar' && typeof it.value === 'string') {
          const p = parsePathChecked(it.value, it.span, ctx);
          if (p) spec.redact.push({ field: p });
        } else if (it.type === 'map') {
          const f = it.entries.find((x) => x.key === 'field');
          const pat = it.entries.find((x) => x.key === 'pattern');
          for (const x of it.entries)
            if (x.key !== 'field' && x.key !== 'pattern') err('unknown-field', `unknown field \`${x.key}\` in a redaction`, x.keySpan, 'known: field, pattern');
          const fs = f ? scalarString(f.value) : undefined;
          if (!f || fs === undefined) {
            err('missing-field', 'a redaction needs `field:`', it.span);
            continue;
          }
          const p = parsePathChecked(fs, f.value.span, ctx);
          let pattern: string | undefined;
          if (pat) {
            pattern = scalarString(pat.value);
            if (pattern === undefined) err('wrong-type', '`pattern` must be a string', pat.value.span);
            else if (!checkPattern(pattern, pat.value.span, ctx)) pattern = undefined;
          }
          if (p) spec.redact.push({ field: p, ...(pattern !== undefined ? { pattern } : {}) });
        } else err('wrong-type', 'a redaction is a field path or `{ field, pattern }`', it.span);
      }
    } else if (e.key === 'set') {
      if (e.value.type !== 'map') {
        err('wrong-type', '`set` maps field paths to new values', e.value.span);
        continue;
      }
      for (const s of e.value.entries) {
        const p = parsePathChecked(s.key, s.keySpan, ctx);
        if (p && p.multi) err('wrong-type', '`set` needs a path to one value, not a `[*]` list', s.keySpan);
        else if (p) spec.set.push({ field: p, value: plain(s.value) });
      }
    } else if (e.key === 'replacement') {
      const r = scalarString(e.value);
      if (r === undefined) err('wrong-type', '`replacement` must be a string', e.value.span);
      else spec.replacement = r;
    } else err('unknown-field', `unknown field \`${e.key}\` in \`modify\``, e.keySpan, 'known: redact, set, replacement');
  }
  if (spec.redact.length === 0 && spec.set.length === 0) err('empty-policy', '`modify` neither redacts nor sets anything', n.span);
  return spec;
}

function plain(n: LNode): unknown {
  if (n.type === 'scalar') return n.value;
  if (n.type === 'seq') return n.items.map(plain);
  const o: Record<string, unknown> = {};
  for (const e of n.entries) o[e.key] = plain(e.value);
  return o;
}

/** Conditions: `{all: [...]}`, `{any: [...]}`, `{not: c}`, `{field: {op: v}}`, `{field: v}` (eq), `{field: [..]}` (in), or a list (all). */
export function parseCondition(n: LNode, ctx: Ctx): Condition | undefined {
  if (++ctx.nodes > MAX_CONDITION_NODES) {
    if (ctx.nodes === MAX_CONDITION_NODES + 1)
      ctx.sink.error('limit-exceeded', `a policy may hold at most ${MAX_CONDITION_NODES} conditions`, n.span, withPolicy(ctx.policy));
    return undefined;
  }
  const err = (code: string, msg: string, span: SourceSpan, help?: string): void =>
    ctx.sink.error(code, msg, span, { ...(help ? { help } : {}), ...withPolicy(ctx.policy) });
  if (n.type === 'seq') {
    const items = n.items.map((i) => parseCondition(i, ctx)).filter((c): c is Condition => c !== undefined);
    if (n.items.length === 0) err('empty-condition', 'an empty list of conditions', n.span);
    return checkContradiction({ kind: 'all', items, span: n.span }, ctx);
  }
  if (n.type !== 'map') {
    err('wrong-type', 'a condition must be a mapping such as `{ tool: { eq: send_email } }`', n.span);
    return undefined;
  }
  if (n.entries.length === 0) {
    err('empty-condition', 'an empty condition', n.span);
    return undefined;
  }
  const parts: Condition[] = [];
  for (const e of n.entries) {
    if (e.key === 'all' || e.key === 'any') {
      const list = e.value.type === 'seq' ? e.value.items : [e.value];
      if (list.length === 0) {
        err('empty-condition', `\`${e.key}\` has no conditions`, e.value.span);
        continue;
      }
      const items = list.map((i) => parseCondition(i, ctx)).filter((c): c is Condition => c !== undefined);
      const c: Condition = { kind: e.key, items, span: e.keySpan };
      parts.push(c.kind === 'all' ? checkContradiction(c, ctx) : c);
    } else if (e.key === 'not') {
      const c = parseCondition(e.value, ctx);
      if (c) parts.push({ kind: 'not', item: c, span: e.keySpan });
    } else {
      const c = parseFieldTests(e.key, e.keySpan, e.value, ctx);
      if (c) parts.push(c);
    }
  }
  if (parts.length === 1) return parts[0];
  return checkContradiction({ kind: 'all', items: parts, span: n.span }, ctx);
}

function parseFieldTests(
  fieldText: string,
  keySpan: SourceSpan,
  v: LNode,
  ctx: Ctx,
  display = fieldText,
): Condition | undefined {
  const err = (code: string, msg: string, span: SourceSpan, help?: string): void =>
    ctx.sink.error(code, msg, span, { ...(help ? { help } : {}), ...withPolicy(ctx.policy) });
  const field = parsePathChecked(fieldText, keySpan, ctx);
  if (!field) return undefined;
  const mk = (test: Test, span: SourceSpan): Condition => ({ kind: 'test', field, test, span });
  if (v.type === 'scalar') return mk({ op: 'eq', value: v.value }, v.span);
  if (v.type === 'seq') {
    const values = scalarList(v, ctx);
    return values ? mk({ op: 'in', values }, v.span) : undefined;
  }
  const tests: Condition[] = [];
  for (const e of v.entries) {
    const op = e.key;
    const val = e.value;
    const num = (): number | undefined => {
      if (val.type === 'scalar' && typeof val.value === 'number') return val.value;
      err('wrong-type', `\`${op}\` on \`${display}\` needs a number`, val.span);
      return undefined;
    };
    const str = (): string | undefined => {
      if (val.type === 'scalar' && typeof val.value === 'string' && val.value.length > 0) return val.value;
      err('wrong-type', `\`${op}\` on \`${display}\` needs a non-empty string`, val.span);
      return undefined;
    };
    switch (op) {
      case 'eq':
      case 'ne':
        if (val.type !== 'scalar') err('wrong-type', `\`${op}\` needs a single value; use \`in\` for a list`, val.span);
        else tests.push(mk({ op, value: val.value }, e.keySpan));
        break;
      case 'in':
      case 'not_in': {
        if (val.type !== 'seq') {
          err('wrong-type', `\`${op}\` needs a list of values`, val.span);
          break;
        }
        const values = scalarList(val, ctx);
        if (values) tests.push(mk({ op, values }, e.keySpan));
        break;
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte': {
        const x = num();
        if (x !== undefined) tests.push(mk({ op, value: x }, e.keySpan));
        break;
      }
      case 'exists':
        if (val.type !== 'scalar' || typeof val.value !== 'boolean') err('wrong-type', '`exists` needs true or false', val.span);
        else tests.push(mk({ op: 'exists', value: val.value }, e.keySpan));
        break;
      case 'prefix':
      case 'suffix':
      case 'contains': {
        const s = str();
        if (s !== undefined) tests.push(mk({ op, value: s }, e.keySpan));
        break;
      }
      case 'length': {
        if (val.type === 'scalar' && typeof val.value === 'number' && val.value >= 0) {
          tests.push(mk({ op: 'length', compare: 'eq', value: val.value }, e.keySpan));
        } else if (val.type === 'map' && val.entries.length > 0) {
          for (const le of val.entries) {
            if (!(COMPARE_OPS as readonly string[]).includes(le.key)) {
              err('unknown-operator', `\`length\` takes ${COMPARE_OPS.join(', ')}, not \`${le.key}\``, le.keySpan);
              continue;
            }
            if (le.value.type !== 'scalar' || typeof le.value.value !== 'number') {
              err('wrong-type', `\`length.${le.key}\` needs a number`, le.value.span);
              continue;
            }
            tests.push(mk({ op: 'length', compare: le.key as CompareOp, value: le.value.value }, le.keySpan));
          }
        } else err('wrong-type', '`length` needs a number or `{ gt: n }`-style comparisons', val.span);
        break;
      }
      case 'pattern': {
        const s = str();
        if (s !== undefined && checkPattern(s, val.span, ctx)) tests.push(mk({ op: 'pattern', source: s }, e.keySpan));
        break;
      }
      default: {
        const near = closest(op, TEST_OPS);
        err(
          'unknown-operator',
          `unknown operator \`${op}\` on \`${display}\``,
          e.keySpan,
          near ? `did you mean \`${near}\`?` : `operators: ${TEST_OPS.join(', ')}`,
        );
      }
    }
  }
  if (v.entries.length === 0) err('empty-condition', `no tests for \`${display}\``, v.span);
  if (tests.length === 1) return tests[0];
  if (tests.length === 0) return undefined;
  return checkContradiction({ kind: 'all', items: tests, span: keySpan }, ctx);
}

function checkPattern(source: string, span: SourceSpan, ctx: Ctx): boolean {
  if (cachedPattern(source)) return true;
  const r = compilePattern(source);
  if (r.ok) return true;
  for (const d of r.diagnostics) {
    // point inside the quoted string when the value is on one line (offset + 1 skips a quote)
    const inner: SourceSpan = { file: span.file, offset: span.offset + 1 + d.offset, length: Math.max(1, d.length) };
    const extra: { help?: string; policy?: string } = { ...withPolicy(ctx.policy) };
    if (d.help !== undefined) extra.help = d.help;
    ctx.sink.error(`pattern-${d.code}`.replace(/^pattern-pattern-/, 'pattern-'), d.message, span.length > source.length ? inner : span, extra);
  }
  return false;
}

function parsePathChecked(text: string, span: SourceSpan, ctx: Ctx): FieldPath | undefined {
  const r = parseFieldPath(text);
  if (!r.ok) {
    ctx.sink.error('invalid-field-path', r.message, span, withPolicy(ctx.policy));
    return undefined;
  }
  // a path must exist on at least one of the policy's event kinds; on the others it is just absent
  const problems = ctx.kinds.map((k) => checkPathForKind(r.path, k));
  if (ctx.kinds.length > 0 && problems.every((p) => p !== undefined)) {
    ctx.sink.error('unknown-field', problems[0]!, span, {
      help: ctx.kinds.length > 1 ? `none of ${ctx.kinds.join(', ')} has this field; see docs/events.md` : 'see the event format in docs/events.md',
      ...withPolicy(ctx.policy),
    });
    return undefined;
  }
  return r.path;
}

function scalarList(n: LNode & { type: 'seq' }, ctx: Ctx): Scalar[] | undefined {
  if (n.items.length === 0) {
    ctx.sink.error('empty-condition', 'an empty list never matches', n.span, withPolicy(ctx.policy));
    return undefined;
  }
  if (n.items.length > MAX_SET_SIZE) {
    ctx.sink.error('limit-exceeded', `lists hold at most ${MAX_SET_SIZE} values`, n.span, withPolicy(ctx.policy));
    return undefined;
  }
  const out: Scalar[] = [];
  for (const it of n.items) {
    if (it.type !== 'scalar') {
      ctx.sink.error('wrong-type', 'list values must be strings, numbers, booleans or null', it.span, withPolicy(ctx.policy));
      return undefined;
    }
    out.push(it.value);
  }
  return out;
}

/** Flags `all` blocks that can never be true on a single-valued field (e.g. `gt: 10` with `lt: 5`). */
function checkContradiction(c: Condition & { kind: 'all' }, ctx: Ctx): Condition {
  const byField = new Map<string, { test: Test; span: SourceSpan | undefined }[]>();
  for (const it of c.items) {
    if (it.kind !== 'test' || it.field.multi) continue;
    const l = byField.get(it.field.text) ?? [];
    l.push({ test: it.test, span: it.span });
    byField.set(it.field.text, l);
  }
  for (const [field, tests] of byField) {
    if (tests.length < 2) continue;
    const why = contradiction(tests.map((t) => t.test));
    if (why)
      ctx.sink.error('contradictory-condition', `conditions on \`${field}\` can never all hold: ${why}`, tests[tests.length - 1]!.span ?? c.span, {
        help: 'use `any` if either should match, or fix the bounds',
        ...withPolicy(ctx.policy),
      });
  }
  return c;
}

function contradiction(tests: Test[]): string | undefined {
  let lo = -Infinity;
  let loIncl = true;
  let hi = Infinity;
  let hiIncl = true;
  let eq: { v: Scalar } | undefined;
  const ne: Scalar[] = [];
  let inSet: Scalar[] | undefined;
  let mustExist = false;
  let mustNotExist = false;
  for (const t of tests) {
    switch (t.op) {
      case 'eq':
        if (eq && !Object.is(eq.v, t.value)) return `it cannot equal both \`${String(eq.v)}\` and \`${String(t.value)}\``;
        eq = { v: t.value };
        mustExist = true;
        break;
      case 'ne':
        ne.push(t.value);
        break;
      case 'in':
        inSet = inSet ? inSet.filter((x) => t.values.includes(x)) : [...t.values];
        mustExist = true;
        break;
      case 'gt':
      case 'gte':
        if (t.value > lo || (t.value === lo && t.op === 'gt')) {
          lo = t.value;
          loIncl = t.op === 'gte';
        }
        mustExist = true;
        break;
      case 'lt':
      case 'lte':
        if (t.value < hi || (t.value === hi && t.op === 'lt')) {
          hi = t.value;
          hiIncl = t.op === 'lte';
        }
        mustExist = true;
        break;
      case 'exists':
        if (t.value) mustExist = true;
        else mustNotExist = true;
        break;
      case 'not_in':
        break;
      default:
        mustExist = true;
    }
  }
  if (mustExist && mustNotExist) return '`exists: false` excludes every other test';
  if (lo > hi || (lo === hi && !(loIncl && hiIncl))) return `no number is ${loIncl ? '≥' : '>'} ${lo} and ${hiIncl ? '≤' : '<'} ${hi}`;
  if (eq) {
    if (ne.some((x) => Object.is(x, eq!.v))) return `it must equal and not equal \`${String(eq.v)}\``;
    if (inSet && !inSet.some((x) => Object.is(x, eq!.v))) return `\`${String(eq.v)}\` is not in the \`in\` list`;
    if (typeof eq.v === 'number' && (eq.v < lo || eq.v > hi || (eq.v === lo && !loIncl) || (eq.v === hi && !hiIncl)))
      return `\`${eq.v}\` is outside the numeric bounds`;
    if (typeof eq.v !== 'number' && (lo > -Infinity || hi < Infinity)) return `\`${String(eq.v)}\` is not a number but is compared as one`;
  }
  if (inSet && inSet.length === 0) return 'the `in` lists share no value';
  return undefined;
}

function parseEnum<T extends string>(
  e: LEntry | undefined,
  values: readonly T[],
  dflt: T,
  field: string,
  ctx: Ctx,
): T {
  if (!e) return dflt;
  const s = scalarString(e.value);
  if (s !== undefined && (values as readonly string[]).includes(s)) return s as T;
  const near = s !== undefined ? closest(s, values) : undefined;
  ctx.sink.error('invalid-value', `\`${field}\` must be one of ${values.join(', ')}; got \`${String(s ?? '?')}\``, e.value.span, {
    ...(near ? { help: `did you mean \`${near}\`?` } : {}),
    ...withPolicy(ctx.policy),
  });
  return dflt;
}

function parseStringList(e: LEntry | undefined, field: string, ctx: Ctx): string[] | undefined {
  if (!e) return undefined;
  const v = e.value;
  if (v.type === 'scalar' && typeof v.value === 'string') return [v.value];
  if (v.type === 'seq' && v.items.every((i) => i.type === 'scalar' && typeof i.value === 'string')) {
    if (v.items.length > MAX_SET_SIZE) {
      ctx.sink.error('limit-exceeded', `\`${field}\` holds at most ${MAX_SET_SIZE} values`, v.span, withPolicy(ctx.policy));
      return undefined;
    }
    return v.items.map((i) => (i as { value: string }).value);
  }
  ctx.sink.error('wrong-type', `\`${field}\` must be a string or a list of strings`, v.span, withPolicy(ctx.policy));
  return undefined;
}

function optString(e: LEntry | undefined, field: string, ctx: Ctx): string | undefined {
  if (!e) return undefined;
  if (e.value.type === 'scalar' && typeof e.value.value === 'string') return e.value.value;
  ctx.sink.error('wrong-type', `\`${field}\` must be a string`, e.value.span, withPolicy(ctx.policy));
  return undefined;
}

function scalarString(n: LNode): string | undefined {
  return n.type === 'scalar' && typeof n.value === 'string' ? n.value : undefined;
}

function checkTemplate(message: string, span: SourceSpan, ctx: Ctx): void {
  const re = /\{\{\s*([^}]*?)\s*\}\}/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(message))) {
    const inner = m[1] ?? '';
    if (inner === 'policy' || inner === 'tool' || inner === 'kind') continue;
    const r = parseFieldPath(inner);
    if (!r.ok) ctx.sink.error('invalid-template', `\`{{${inner}}}\` in \`message\` is not a field path`, span, withPolicy(ctx.policy));
  }
}

/** Nearest candidate by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase(), bestD);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  if (a.length > 64 || b.length > 64) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
