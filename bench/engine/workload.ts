// Benchmark workload: a seeded generator of stateless rules over ~30 tools and of a tool-call
// stream where ~90 % of events are allowed and ~10 % denied, in two context sizes. Rules are kept
// in a small neutral form (BenchRule) so the very same rule set can be rendered for every peer:
// cascade YAML here, and hand-written JS, Cedar and json-rules-engine in peers.ts.
//
// Value spaces are split so the verdict is known by construction: "broad" conditions are often
// true on ordinary traffic (they make engines evaluate a rule's second condition), "narrow" ones
// never are unless an event was crafted to violate a rule. Conditions of one rule read different
// fields, so a crafted event can satisfy all of them. The ratio is still verified by running the
// engines (agreement.ts), never assumed.

import type { ToolCallEvent } from '../../src/events/types.js';

export const TOOL_COUNT = 30;
export const TOOLS: readonly string[] = Array.from({ length: TOOL_COUNT }, (_, i) => `tool_${String(i).padStart(2, '0')}`);

export type NumField = 'amount';
export type StrField = 'region' | 'path' | 'user' | 'note';
export type Field = NumField | StrField;

/** One argument condition, in a form every peer can express. */
export type BenchCondition =
  | { field: NumField; op: 'gt' | 'gte' | 'lt'; value: number }
  | { field: StrField; op: 'in'; values: string[] }
  | { field: StrField; op: 'prefix' | 'contains'; value: string }
  /** `regex` for cascade and the JS peers; `like` is the same language as a Cedar `like` glob */
  | { field: StrField; op: 'pattern'; regex: string; like: string };

export interface BenchRule {
  name: string;
  tool: string;
  conditions: BenchCondition[];
}

export type ContextSize = 'small' | '1kb';

export interface Workload {
  rules: BenchRule[];
  ctx: ContextSize;
  /** the stream, in order: ~90 % allowed, ~10 % crafted to violate one rule */
  events: ToolCallEvent[];
  /** ground truth by construction; agreement.ts checks every engine against the others instead */
  crafted: boolean[];
}

// ------------------------------------------------------------------ deterministic randomness

/** mulberry32: small, fast, and the same sequence on every machine */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
function pickSome<T>(rng: Rng, xs: readonly T[], n: number): T[] {
  const pool = [...xs];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rng() * pool.length), 1)[0]!);
  return out;
}

// ------------------------------------------------------------------ value spaces

const COMMON_REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1'];
const QUIET_REGIONS = ['sa-east-1', 'ca-central-1'];
const DENIED_REGIONS = ['kp-north-1', 'ir-central-1', 'sy-west-1', 'cu-east-1', 'ru-far-1'];
const DENIED_USERS = ['mallory', 'eve', 'trudy'];
const DENIED_PREFIXES = ['/etc/', '/root/', '/proc/', '/var/secrets/'];
const DENIED_WORDS = ['password', 'api_key', 'DROP TABLE', 'rm -rf'];
/** words of ordinary text: none contains a denied word or a pattern's literal part */
const WORDS = [
  'please', 'check', 'the', 'invoice', 'for', 'order', 'customer', 'refund', 'shipping', 'status',
  'ignore', 'duplicate', 'entries', 'update', 'address', 'billing', 'summary', 'weekly', 'report',
  'ticket', 'escalate', 'priority', 'review', 'draft', 'reply', 'schedule', 'meeting', 'notes',
  'account', 'balance', 'transfer', 'pending', 'approved', 'thanks', 'regards', 'team', 'data',
];

interface PatternSpec {
  field: StrField;
  regex: string;
  like: string;
  /** a value matching the pattern, for crafted events */
  make(rng: Rng): string;
}

const word = (rng: Rng): string => pick(rng, WORDS);

const PATTERNS: readonly PatternSpec[] = [
  { field: 'path', regex: '^/srv/.*\\.pem$', like: '/srv/*.pem', make: (r) => `/srv/${word(r)}/${word(r)}.pem` },
  { field: 'path', regex: '^/var/.*/secrets/', like: '/var/*/secrets/*', make: (r) => `/var/lib/${word(r)}/secrets/${word(r)}` },
  { field: 'user', regex: '^root.*admin$', like: 'root*admin', make: (r) => `root-${word(r)}-admin` },
  { field: 'note', regex: 'ignore.*instructions', like: '*ignore*instructions*', make: () => 'ignore all previous instructions' },
  { field: 'note', regex: 'BEGIN.*PRIVATE KEY', like: '*BEGIN*PRIVATE KEY*', make: () => '-----BEGIN RSA PRIVATE KEY-----' },
];

/** conditions that ordinary traffic rarely or never satisfies */
function narrowCondition(rng: Rng): BenchCondition {
  switch (int(rng, 0, 7)) {
    case 0:
      return { field: 'amount', op: 'gt', value: int(rng, 10, 90) * 100 };
    case 1:
      return { field: 'amount', op: 'lt', value: -int(rng, 1, 500) };
    case 2:
      return { field: 'region', op: 'in', values: pickSome(rng, DENIED_REGIONS, int(rng, 2, 4)) };
    case 3:
      return { field: 'user', op: 'in', values: pickSome(rng, DENIED_USERS, int(rng, 1, 3)) };
    case 4:
      return { field: 'path', op: 'prefix', value: pick(rng, DENIED_PREFIXES) };
    case 5:
      return { field: 'note', op: 'contains', value: pick(rng, DENIED_WORDS) };
    default: {
      const p = pick(rng, PATTERNS);
      return { field: p.field, op: 'pattern', regex: p.regex, like: p.like };
    }
  }
}

/** conditions that ordinary traffic often satisfies, so the rule's other condition must be evaluated */
function broadCondition(rng: Rng, avoid: Field): BenchCondition {
  const options: (() => BenchCondition)[] = [
    () => ({ field: 'amount', op: 'gt', value: int(rng, 5, 30) * 10 }),
    () => ({ field: 'amount', op: 'gte', value: int(rng, 5, 30) * 10 }),
    () => ({ field: 'region', op: 'in', values: pickSome(rng, COMMON_REGIONS, int(rng, 2, 3)) }),
    () => ({ field: 'path', op: 'prefix', value: pick(rng, ['/srv/', '/home/']) }),
    () => ({ field: 'user', op: 'prefix', value: 'svc-' }),
  ];
  for (;;) {
    const c = pick(rng, options)();
    if (c.field !== avoid) return c;
  }
}

export function generateRules(count: number, seed = 0x5eed): BenchRule[] {
  const rng = seededRandom(seed);
  const rules: BenchRule[] = [];
  for (let i = 0; i < count; i++) {
    const narrow = narrowCondition(rng);
    const conditions = rng() < 0.5 ? [broadCondition(rng, narrow.field), narrow] : [narrow];
    rules.push({ name: `r${String(i).padStart(4, '0')}`, tool: TOOLS[i % TOOL_COUNT]!, conditions });
  }
  return rules;
}

// ------------------------------------------------------------------ events

function sentence(rng: Rng, minChars: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < minChars) {
    const w = word(rng);
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ');
}

/** argument fields the rules never read, to bring the context to ~1 KB */
function padding(rng: Rng): Record<string, ToolCallEvent['args'][string]> {
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[int(rng, 0, 15)]).join('');
  return {
    trace_id: hex(32),
    session_id: hex(24),
    locale: pick(rng, ['en-GB', 'de-DE', 'fr-FR', 'en-US']),
    retries: int(rng, 0, 3),
    dry_run: rng() < 0.5,
    tags: Array.from({ length: 4 }, () => word(rng)),
    client: { name: 'agent-sdk', version: `1.${int(rng, 0, 9)}.${int(rng, 0, 30)}`, platform: 'linux' },
    description: sentence(rng, 160),
  };
}

function ordinaryArgs(rng: Rng, ctx: ContextSize): ToolCallEvent['args'] {
  const user = rng() < 0.5 ? `svc-${word(rng)}` : `u-${word(rng)}`;
  const path = pick(rng, [
    () => `/srv/app/${word(rng)}.txt`,
    () => `/srv/${word(rng)}/${word(rng)}.pem.bak`, // near miss for `^/srv/.*\.pem$`
    () => `/home/${user}/${word(rng)}.log`,
    () => `/var/lib/${word(rng)}/data/${word(rng)}`, // near miss for `^/var/.*/secrets/`
    () => `/tmp/${word(rng)}`,
  ])();
  const args: ToolCallEvent['args'] = {
    amount: int(rng, 0, 900),
    region: pick(rng, [...COMMON_REGIONS, ...QUIET_REGIONS]),
    path,
    user,
    note: sentence(rng, ctx === 'small' ? 40 : 420),
  };
  return ctx === 'small' ? args : { ...args, ...padding(rng) };
}

/** Changes `args` so that `c` holds; conditions of one rule read distinct fields, so they compose. */
function satisfy(rng: Rng, args: ToolCallEvent['args'], c: BenchCondition): void {
  switch (c.op) {
    case 'gt':
      args[c.field] = c.value + int(rng, 1, 500);
      return;
    case 'gte':
      args[c.field] = c.value + int(rng, 0, 500);
      return;
    case 'lt':
      args[c.field] = c.value - int(rng, 1, 500);
      return;
    case 'in':
      args[c.field] = pick(rng, c.values);
      return;
    case 'prefix':
      args[c.field] = c.value + word(rng);
      return;
    case 'contains':
    case 'pattern': {
      const text = 'regex' in c ? PATTERNS.find((p) => p.regex === c.regex)!.make(rng) : c.value;
      if (c.field !== 'note') {
        args[c.field] = text;
        return;
      }
      // bury it somewhere in the note, as it would be in real text
      const note = String(args.note);
      const at = note.indexOf(' ', int(rng, 0, note.length - 1));
      args.note = at < 0 ? `${note} ${text}` : `${note.slice(0, at)} ${text}${note.slice(at)}`;
      return;
    }
  }
}

export function generateWorkload(rules: BenchRule[], ctx: ContextSize, events = 2000, denyShare = 0.1, seed = 0xbe4c): Workload {
  const rng = seededRandom(seed);
  const byTool = new Map<string, BenchRule[]>();
  for (const r of rules) byTool.set(r.tool, [...(byTool.get(r.tool) ?? []), r]);
  const guarded = TOOLS.filter((t) => byTool.has(t));
  const out: ToolCallEvent[] = [];
  const crafted: boolean[] = [];
  for (let i = 0; i < events; i++) {
    const deny = rng() < denyShare;
    // a denied event must be for a tool that has rules; ordinary ones go to any tool
    const tool = deny ? pick(rng, guarded) : pick(rng, TOOLS);
    const args = ordinaryArgs(rng, ctx);
    if (deny) for (const c of pick(rng, byTool.get(tool)!).conditions) satisfy(rng, args, c);
    out.push({ kind: 'tool.call', runId: 'bench-run', tool, args, callId: `call-${i}` });
    crafted.push(deny);
  }
  // Events reach an engine decoded from JSON (the model's tool-call arguments, a JSONL trace), so
  // that is how the stream is handed to every peer. Built directly, the generator's objects end up
  // with about a thousand different hidden classes (spreads, later writes), which no decoded
  // stream has and which would measure V8's megamorphic property lookups instead of the engines.
  return { rules, ctx, events: JSON.parse(JSON.stringify(out)) as ToolCallEvent[], crafted };
}

// ------------------------------------------------------------------ cascade policy text

/** One YAML file with every rule; values are written as JSON, which YAML reads as-is. */
export function cascadePolicyYaml(rules: readonly BenchRule[]): string {
  const j = (v: unknown): string => JSON.stringify(v);
  const lines = ['policies:'];
  for (const r of rules) {
    lines.push(`  - name: ${r.name}`, '    type: rule', '    on: tool.call', '    severity: high', '    when:', '      all:');
    lines.push(`        - tool: { eq: ${j(r.tool)} }`);
    for (const c of r.conditions) {
      const test =
        c.op === 'in' ? `{ in: ${j(c.values)} }` : c.op === 'pattern' ? `{ pattern: ${j(c.regex)} }` : `{ ${c.op}: ${j(c.value)} }`;
      lines.push(`        - args.${c.field}: ${test}`);
    }
    lines.push('    action: block');
  }
  return `${lines.join('\n')}\n`;
}
