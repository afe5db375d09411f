// The Finding model: one record per policy verdict (and per audited allow or evaluation error)
// that the store keeps, the dashboard shows and the exporter ships. `buildFindings` is pure: the
// same event, decision and run context always give the same findings, ids included, so a replay
// reproduces them and the store can ignore a finding it already has.

import type { Action, Decision, Evidence, Mode, Outcome, PolicyType, Severity, Violation } from '../engine/decision.js';
import type { ChatMessage, Direction, EventKind, StreamEvent } from '../events/types.js';
import { defaultDirection } from '../events/types.js';
import { boundString, truncateText } from './bounded-value.js';
import { canonicalJson, safeDigestOf, sha256Hex } from './canonical-json.js';

export const FINDING_SCHEMA_VERSION = 1;

/**
 * What happened because of the finding. `allowed` only appears for audited allows (no violation);
 * `would_block` is a shadow policy that would have intervened; `error` is an evaluation that failed
 * (the event was then blocked or let through as the policy's `on_error` said; see `action`).
 */
export const FINDING_OUTCOMES = ['allowed', 'flagged', 'modified', 'would_block', 'blocked', 'halted', 'error'] as const;
export type FindingOutcome = (typeof FINDING_OUTCOMES)[number];

export interface ContextMessage {
  role: ChatMessage['role'];
  content: string;
  toolCallId?: string;
  name?: string;
}

/** What the agent was thinking and saying when the finding was made; bounded, secrets masked. */
export interface InterventionContext {
  recentReasoning: string[];
  lastMessages: ContextMessage[];
  /** true when entries were dropped or cut to fit the bounds */
  truncated: boolean;
}

export interface RelatedSpanIds {
  llm: string[];
  tool: string[];
}

/** `sha256:<hex>` digests of the canonical JSON of the event's arguments, before and after a rewrite. */
export interface ArgumentDigests {
  before: string;
  /** present when the event was rewritten (modify / redact) */
  after?: string;
}

export interface Finding {
  schemaVersion: typeof FINDING_SCHEMA_VERSION;
  id: string;
  /** ties together the findings of one evaluation (and its `run_guardrail` span) */
  evaluationId: string;
  /** milliseconds since the epoch */
  time: number;
  project: string;
  runId: string;
  agentId?: string;
  spanId?: string;
  parentSpanId?: string;
  eventKind: EventKind;
  direction: Direction;
  tool?: string;
  callId?: string;
  /** policy name; absent for an audited allow and for an engine error not tied to one policy */
  policy?: string;
  policyVersion?: string;
  policyType?: PolicyType;
  framework?: string;
  severity: Severity;
  classification?: string;
  runMode: Mode;
  effectiveMode: Mode;
  /** what the policy asked for; for `error` findings, what the failure led to (`block` = failed closed) */
  action: Action;
  /** the engine's outcome for the whole event */
  decisionOutcome: Outcome;
  outcome: FindingOutcome;
  shadow: boolean;
  message: string;
  evidence: Evidence[];
  context: InterventionContext;
  relatedSpanIds: RelatedSpanIds;
  argsDigest: ArgumentDigests;
  bundleHash: string;
  /** evaluation latency in milliseconds */
  latencyMs?: number;
  /** the evaluation error, for `error` findings */
  error?: string;
  /** hash chain: the previous record's `hash` (set by the store when chaining is on) */
  prevHash?: string;
  hash?: string;
}

export interface FindingLimits {
  maxMessageChars: number;
  maxEvidence: number;
  maxFieldPathChars: number;
  maxExcerptChars: number;
  maxReasoningEntries: number;
  maxContextMessages: number;
  maxContextEntryChars: number;
  /** budget for all context text together */
  maxContextChars: number;
  maxRelatedSpanIds: number;
}

export const DEFAULT_FINDING_LIMITS: FindingLimits = {
  maxMessageChars: 2_000,
  maxEvidence: 16,
  maxFieldPathChars: 200,
  maxExcerptChars: 240,
  maxReasoningEntries: 5,
  maxContextMessages: 10,
  maxContextEntryChars: 2_000,
  maxContextChars: 16_000,
  maxRelatedSpanIds: 32,
};

/** What the caller knows about the run and the evaluation beyond the event and the decision. */
export interface FindingRunContext {
  project: string;
  /** the run's mode (after any per-run override) */
  runMode: Mode;
  /** evaluation time, used when the event carries none */
  now: number;
  /** unique id of this evaluation; derived from the event when absent */
  evaluationId?: string;
  latencyMs?: number;
  recentReasoning?: readonly string[];
  /** the conversation as the model sees it; defaults to the messages of an `llm.request` event */
  lastMessages?: readonly ChatMessage[];
  relatedSpanIds?: { llm?: readonly string[]; tool?: readonly string[] };
  /** the event after modifications were applied, when the decision rewrote it */
  rewrittenEvent?: StreamEvent;
  /** result of a `require_approval` round trip */
  approval?: 'approved' | 'denied' | 'timeout';
  /** record allows too: `true`, or a sampling rate in [0, 1] (deterministic per evaluation) */
  auditAllows?: boolean | number;
  /** masks secrets/PII in any free text the finding keeps (the SDK passes its redactor) */
  redactText?: (text: string) => string;
  limits?: Partial<FindingLimits>;
}

const REDACTED = '[redacted]';
const INTERVENING: ReadonlySet<Action> = new Set(['block', 'modify', 'prevent_response', 'halt', 'require_approval']);

/**
 * Builds the findings for one evaluated event: one per violation judged in detect or enforce,
 * one per evaluation error, and, when allows are audited and nothing was violated, one `allowed`.
 * Observe mode records no findings. Never throws on odd input.
 */
export function buildFindings(event: StreamEvent, decision: Decision, ctx: FindingRunContext): Finding[] {
  if (ctx.runMode === 'observe') return [];
  const limits: FindingLimits = { ...DEFAULT_FINDING_LIMITS, ...ctx.limits };
  const argsBefore = safeDigestOf(argumentsOf(event));
  const argsAfter = ctx.rewrittenEvent !== undefined ? safeDigestOf(argumentsOf(ctx.rewrittenEvent)) : undefined;
  const time = typeof event.time === 'number' && Number.isFinite(event.time) ? event.time : ctx.now;
  const evaluationId =
    ctx.evaluationId ??
    'eval_' +
      sha256Hex(
        canonicalJson({
          runId: event.runId,
          spanId: event.spanId,
          kind: event.kind,
          callId: 'callId' in event ? event.callId : undefined,
          time,
          bundle: decision.bundleHash,
          args: argsBefore,
        }),
      ).slice(0, 24);

  // Raw text that a rewrite removed must not survive anywhere in the finding.
  const secrets = collectRewrittenSecrets(event, decision.violations);
  const clean = (text: string): string => scrub(text, secrets, ctx.redactText);
  const context = buildContext(event, ctx, limits, clean);
  const related = relatedSpans(event, ctx, limits);

  const base = {
    schemaVersion: FINDING_SCHEMA_VERSION,
    evaluationId,
    time,
    project: ctx.project,
    runId: event.runId,
    eventKind: event.kind,
    direction: event.direction ?? defaultDirection(event.kind),
    runMode: ctx.runMode,
    decisionOutcome: decision.outcome,
    context,
    relatedSpanIds: related,
    argsDigest: argsAfter !== undefined && argsAfter !== argsBefore ? { before: argsBefore, after: argsAfter } : { before: argsBefore },
    bundleHash: decision.bundleHash,
  } as const;

  const findings: Finding[] = [];
  const push = (partial: Omit<Finding, 'id' | keyof typeof base>): void => {
    const finding: Finding = { ...base, id: '', ...partial };
    setOptional(finding, 'agentId', event.agentId);
    setOptional(finding, 'spanId', event.spanId);
    setOptional(finding, 'parentSpanId', event.parentSpanId);
    if (event.kind === 'tool.call' || event.kind === 'tool.result') {
      finding.tool = truncateText(event.tool, 200);
      finding.callId = truncateText(event.callId, 200);
    }
    if (typeof ctx.latencyMs === 'number' && Number.isFinite(ctx.latencyMs)) finding.latencyMs = ctx.latencyMs;
    finding.id = 'fnd_' + sha256Hex(`${evaluationId}\u0000${findings.length}`).slice(0, 24);
    findings.push(orderKeys(finding));
  };

  for (const v of decision.violations) {
    if (v.effectiveMode === 'observe') continue;
    const partial: Omit<Finding, 'id' | keyof typeof base> = {
      policy: truncateText(v.policy, 200),
      policyVersion: truncateText(v.policyVersion, 200),
      policyType: v.policyType,
      severity: v.severity,
      effectiveMode: v.effectiveMode,
      action: v.action,
      outcome: outcomeOf(v, ctx.approval),
      shadow: v.shadow,
      message: truncateText(clean(v.message), limits.maxMessageChars),
      evidence: boundEvidence(v.evidence, limits, clean),
    };
    if (v.framework !== undefined) partial.framework = truncateText(v.framework, 200);
    if (v.classification !== undefined) partial.classification = truncateText(v.classification, 200);
    push(partial);
  }

  for (const err of decision.errors) {
    const failedClosed = ctx.runMode === 'enforce' && (decision.outcome === 'block' || decision.outcome === 'halt' || decision.outcome === 'prevent_response');
    const consequence = ctx.runMode !== 'enforce' ? 'recorded only' : failedClosed ? 'failed closed' : 'allowed (on_error: allow)';
    const what = err.policy !== undefined ? `evaluation of \`${err.policy}\` failed` : 'evaluation failed';
    const errorText = truncateText(clean(String(err.message)), limits.maxMessageChars);
    const partial: Omit<Finding, 'id' | keyof typeof base> = {
      severity: 'high',
      effectiveMode: ctx.runMode,
      action: failedClosed ? 'block' : 'allow',
      outcome: 'error',
      shadow: false,
      message: truncateText(`${what}: ${errorText}; ${consequence}`, limits.maxMessageChars),
      evidence: [],
      error: errorText,
    };
    if (err.policy !== undefined) partial.policy = truncateText(err.policy, 200);
    push(partial);
  }

  if (decision.violations.length === 0 && decision.errors.length === 0 && sampled(ctx.auditAllows, evaluationId)) {
    push({
      severity: 'info',
      effectiveMode: ctx.runMode,
      action: 'allow',
      outcome: 'allowed',
      shadow: false,
      message: 'allowed',
      evidence: [],
    });
  }
  return findings;
}

/** How one violation played out. */
export function outcomeOf(v: Violation, approval?: FindingRunContext['approval']): FindingOutcome {
  if (v.shadow) return INTERVENING.has(v.action) ? 'would_block' : 'flagged';
  if (v.effectiveMode !== 'enforce') return 'flagged';
  switch (v.action) {
    case 'allow':
      return 'flagged';
    case 'block':
    case 'prevent_response':
      return 'blocked';
    case 'modify':
      return 'modified';
    case 'halt':
      return 'halted';
    case 'require_approval':
      return approval === 'approved' ? 'flagged' : 'blocked';
  }
}

/** The part of an event that policies inspect and rewrite; its digest is the finding's `argsDigest`. */
export function argumentsOf(event: StreamEvent): unknown {
  switch (event.kind) {
    case 'run.start':
      return { input: event.input };
    case 'llm.request':
      return { messages: event.messages, tools: event.tools };
    case 'llm.response':
      return { content: event.content, toolCalls: event.toolCalls, reasoning: event.reasoning };
    case 'tool.call':
      return event.args;
    case 'tool.result':
      return { result: event.result, error: event.error };
    case 'reasoning':
      return { text: event.text };
    case 'agent.response':
      return { content: event.content };
    case 'run.end':
      return { status: event.status, error: event.error };
  }
}

function sampled(audit: boolean | number | undefined, evaluationId: string): boolean {
  if (audit === undefined || audit === false) return false;
  if (audit === true) return true;
  if (!(audit > 0)) return false;
  if (audit >= 1) return true;
  return parseInt(sha256Hex(evaluationId).slice(0, 8), 16) / 0x1_0000_0000 < audit;
}

function buildContext(
  event: StreamEvent,
  ctx: FindingRunContext,
  l: FindingLimits,
  clean: (s: string) => string,
): InterventionContext {
  let budget = l.maxContextChars;
  let truncated = false;
  const take = (text: string): string => {
    const b = boundString(clean(text), Math.max(0, Math.min(l.maxContextEntryChars, budget)));
    if (b.truncated) truncated = true;
    budget -= b.value.length;
    return b.value;
  };

  const reasoningSource = ctx.recentReasoning ?? (event.kind === 'reasoning' ? [event.text] : []);
  const reasoning = tail(reasoningSource, l.maxReasoningEntries);
  if (reasoning.length < reasoningSource.length) truncated = true;
  const messagesSource = ctx.lastMessages ?? (event.kind === 'llm.request' ? event.messages : []);
  const messages = tail(messagesSource, l.maxContextMessages);
  if (messages.length < messagesSource.length) truncated = true;

  // Newest entries matter most: spend the budget from the end backwards.
  const lastMessages: ContextMessage[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as ChatMessage;
    if (budget <= 0) {
      truncated = true;
      break;
    }
    const cm: ContextMessage = { role: m.role, content: take(typeof m.content === 'string' ? m.content : String(m.content)) };
    if (typeof m.toolCallId === 'string') cm.toolCallId = truncateText(m.toolCallId, 200);
    if (typeof m.name === 'string') cm.name = truncateText(m.name, 200);
    lastMessages.unshift(cm);
  }
  const recentReasoning: string[] = [];
  for (let i = reasoning.length - 1; i >= 0; i--) {
    if (budget <= 0) {
      truncated = true;
      break;
    }
    recentReasoning.unshift(take(String(reasoning[i])));
  }
  return { recentReasoning, lastMessages, truncated };
}

function relatedSpans(event: StreamEvent, ctx: FindingRunContext, l: FindingLimits): RelatedSpanIds {
  const llm = new Set<string>();
  const tool = new Set<string>();
  for (const id of ctx.relatedSpanIds?.llm ?? []) llm.add(id);
  for (const id of ctx.relatedSpanIds?.tool ?? []) tool.add(id);
  if (event.spanId !== undefined) {
    if (event.kind === 'llm.request' || event.kind === 'llm.response') llm.add(event.spanId);
    if (event.kind === 'tool.call' || event.kind === 'tool.result') tool.add(event.spanId);
  }
  const cap = (s: Set<string>): string[] => [...s].slice(-l.maxRelatedSpanIds).map((id) => truncateText(id, 200));
  return { llm: cap(llm), tool: cap(tool) };
}

function boundEvidence(evidence: readonly Evidence[], l: FindingLimits, clean: (s: string) => string): Evidence[] {
  const out: Evidence[] = [];
  for (const e of evidence.slice(0, l.maxEvidence)) {
    const item: Evidence = { field: truncateText(String(e.field), l.maxFieldPathChars) };
    if (typeof e.start === 'number' && Number.isFinite(e.start)) item.start = e.start;
    if (typeof e.end === 'number' && Number.isFinite(e.end)) item.end = e.end;
    if (typeof e.excerpt === 'string') item.excerpt = truncateText(clean(e.excerpt), l.maxExcerptChars);
    out.push(item);
  }
  return out;
}

/** Exact text matched by a violation whose action rewrites the event: what a redaction removed. */
function collectRewrittenSecrets(event: StreamEvent, violations: readonly Violation[]): string[] {
  const secrets = new Set<string>();
  for (const v of violations) {
    if (v.action !== 'modify') continue;
    for (const e of v.evidence) {
      if (typeof e.start !== 'number' || typeof e.end !== 'number' || e.end <= e.start) continue;
      const text = valueAtPath(event, e.field);
      if (typeof text !== 'string') continue;
      const raw = text.slice(e.start, e.end);
      // Very short matches would mask half the context; they carry little secret material anyway.
      if (raw.length >= 4) secrets.add(raw);
    }
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

function scrub(text: string, secrets: readonly string[], redact?: (s: string) => string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(REDACTED);
  if (redact !== undefined) {
    try {
      out = redact(out);
    } catch {
      // A broken redactor must not leak what it was given: keep nothing.
      out = REDACTED;
    }
  }
  return out;
}

/** Resolves `args.to`, `messages[2].content`, `toolCalls[0].args.url` inside an event. */
export function valueAtPath(root: unknown, path: string): unknown {
  const parts = path.match(/[^.[\]]+/g) ?? [];
  let cur: unknown = root;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(p)] : (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function tail<T>(items: readonly T[], n: number): readonly T[] {
  return items.length > n ? items.slice(items.length - n) : items;
}

function setOptional<K extends 'agentId' | 'spanId' | 'parentSpanId'>(f: Finding, key: K, value: string | undefined): void {
  if (typeof value === 'string') f[key] = truncateText(value, 200);
}

const KEY_ORDER: readonly (keyof Finding)[] = [
  'schemaVersion', 'id', 'evaluationId', 'time', 'project', 'runId', 'agentId', 'spanId', 'parentSpanId',
  'eventKind', 'direction', 'tool', 'callId', 'policy', 'policyVersion', 'policyType', 'framework',
  'severity', 'classification', 'runMode', 'effectiveMode', 'action', 'decisionOutcome', 'outcome', 'shadow',
  'message', 'evidence', 'context', 'relatedSpanIds', 'argsDigest', 'bundleHash', 'latencyMs', 'error',
  'prevHash', 'hash',
];

/** Stable member order so that stored JSON reads the same for every record. */
function orderKeys(f: Finding): Finding {
  const out: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (f[k] !== undefined) out[k] = f[k];
  return out as unknown as Finding;
}

