// SandboxVerdict: what one tenant-policy evaluation concluded, and the host-side decoding of the
// trampoline's output. The isolate's output is re-validated here (types and limits) although the
// trampoline already checked it: the isolate is shared with tenant code, the host trusts nothing.

import {
  ACTIONS,
  SEVERITIES,
  type Action,
  type Evidence,
  type Mode,
  type Severity,
  type Violation,
} from '../engine/decision.js';
import { SandboxError, type SerializedSandboxError } from './errors.js';
import { RESULT_LIMITS } from './isolate-runtime.js';

/** What the policy declared should happen when it cannot produce a verdict. */
export type OnError = 'block' | 'allow';

interface VerdictBase {
  policy: string;
  /** sha256 (hex, first 16 chars) of the policy source that answered */
  policyVersion: string;
}

export interface SandboxPass extends VerdictBase {
  status: 'ok';
  violation: false;
  /** true when the policy's `on` list excluded this event kind: the sandbox was not entered */
  skipped?: true;
}

export interface SandboxViolation extends VerdictBase {
  status: 'ok';
  violation: true;
  message: string;
  severity?: Severity;
  classification?: string;
  action?: Action;
  evidence: Evidence[];
}

export interface SandboxFailure {
  status: 'error';
  policy: string;
  /** absent when the failure happened before a policy version was known (unknown tenant/policy) */
  policyVersion?: string;
  error: SandboxError;
  /** the policy's `on_error`: `block` (default) fails closed in enforce mode, `allow` fails open */
  onError: OnError;
}

export type SandboxVerdict = SandboxPass | SandboxViolation | SandboxFailure;

/** Trampoline output → verdict. `raw` is 0 or a JSON string (see isolate-runtime.ts). */
export function decodeRunOutput(
  raw: unknown,
  meta: { tenantId: string; policy: string; policyVersion: string; onError: OnError },
): SandboxVerdict {
  if (raw === 0) return { status: 'ok', violation: false, policy: meta.policy, policyVersion: meta.policyVersion };
  if (typeof raw !== 'string') return internalFailure(meta, 'the sandbox returned a value of the wrong type');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return internalFailure(meta, 'the sandbox returned unparseable output');
  }
  return decodeParsed(parsed, meta);
}

export function decodeParsed(
  parsed: unknown,
  meta: { tenantId: string; policy: string; policyVersion: string; onError: OnError },
): SandboxVerdict {
  if (parsed === 0) return { status: 'ok', violation: false, policy: meta.policy, policyVersion: meta.policyVersion };
  if (typeof parsed === 'string') return decodeRunOutput(parsed, meta);
  if (!isRecord(parsed)) return internalFailure(meta, 'the sandbox returned output of the wrong shape');
  if (typeof parsed['err'] === 'string') {
    const code = parsed['err'];
    const msg = typeof parsed['msg'] === 'string' ? parsed['msg'].slice(0, 1000) : 'no message';
    const line = typeof parsed['line'] === 'number' ? parsed['line'] : undefined;
    const col = typeof parsed['col'] === 'number' ? parsed['col'] : undefined;
    const mapped = code === 'threw' || code === 'bad_return' || code === 'oversized_return' ? code : 'internal';
    return failure(
      meta,
      new SandboxError(mapped, msg, { tenantId: meta.tenantId, policy: meta.policy, line, column: col }),
    );
  }
  if (parsed['v'] !== 1) return internalFailure(meta, 'the sandbox returned output of the wrong shape');
  const message = parsed['m'];
  if (typeof message !== 'string' || message.length === 0 || message.length > RESULT_LIMITS.messageChars) {
    return internalFailure(meta, 'the sandbox returned an invalid message');
  }
  const verdict: SandboxViolation = {
    status: 'ok',
    violation: true,
    policy: meta.policy,
    policyVersion: meta.policyVersion,
    message,
    evidence: [],
  };
  const s = parsed['s'];
  if (s !== undefined) {
    if (!(SEVERITIES as readonly unknown[]).includes(s)) return internalFailure(meta, 'invalid severity');
    verdict.severity = s as Severity;
  }
  const c = parsed['c'];
  if (c !== undefined) {
    if (typeof c !== 'string' || c.length > RESULT_LIMITS.classificationChars) return internalFailure(meta, 'invalid classification');
    verdict.classification = c;
  }
  const a = parsed['a'];
  if (a !== undefined) {
    if (!(ACTIONS as readonly unknown[]).includes(a)) return internalFailure(meta, 'invalid action');
    verdict.action = a as Action;
  }
  const e = parsed['e'];
  if (e !== undefined) {
    if (!Array.isArray(e) || e.length > RESULT_LIMITS.evidenceItems) return internalFailure(meta, 'invalid evidence');
    for (const item of e as unknown[]) {
      const ev = decodeEvidence(item);
      if (ev === null) return internalFailure(meta, 'invalid evidence item');
      verdict.evidence.push(ev);
    }
  }
  return verdict;
}

function decodeEvidence(item: unknown): Evidence | null {
  if (!isRecord(item)) return null;
  const field = item['field'];
  if (typeof field !== 'string' || field.length > RESULT_LIMITS.fieldChars) return null;
  const out: Evidence = { field };
  const start = item['start'];
  const end = item['end'];
  const excerpt = item['excerpt'];
  if (start !== undefined) {
    if (!Number.isInteger(start) || (start as number) < 0) return null;
    out.start = start as number;
  }
  if (end !== undefined) {
    if (!Number.isInteger(end) || (end as number) < 0) return null;
    out.end = end as number;
  }
  if (excerpt !== undefined) {
    if (typeof excerpt !== 'string' || excerpt.length > RESULT_LIMITS.excerptChars) return null;
    out.excerpt = excerpt;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function failure(
  meta: { policy: string; policyVersion?: string | undefined; onError: OnError },
  error: SandboxError,
): SandboxFailure {
  const out: SandboxFailure = { status: 'error', policy: meta.policy, error, onError: meta.onError };
  if (meta.policyVersion !== undefined) out.policyVersion = meta.policyVersion;
  return out;
}

function internalFailure(
  meta: { tenantId: string; policy: string; policyVersion: string; onError: OnError },
  message: string,
): SandboxFailure {
  return failure(meta, new SandboxError('internal', message, { tenantId: meta.tenantId, policy: meta.policy }));
}

// ---- crossing a process boundary ----

export type SerializedVerdict =
  | SandboxPass
  | SandboxViolation
  | { status: 'error'; policy: string; policyVersion?: string; onError: OnError; error: SerializedSandboxError };

export function serializeVerdict(v: SandboxVerdict): SerializedVerdict {
  if (v.status !== 'error') return v;
  const out: SerializedVerdict = { status: 'error', policy: v.policy, onError: v.onError, error: v.error.toJSON() };
  if (v.policyVersion !== undefined) out.policyVersion = v.policyVersion;
  return out;
}

export function deserializeVerdict(v: SerializedVerdict): SandboxVerdict {
  if (v.status !== 'error') return v;
  return failure(
    { policy: v.policy, policyVersion: v.policyVersion, onError: v.onError },
    SandboxError.fromJSON(v.error),
  );
}

// ---- handing a verdict to the engine ----

export interface ViolationMeta {
  policyVersion?: string;
  /** the policy's declared severity, used when the tenant code did not return one */
  severity: Severity;
  /** the policy's declared action, used when the tenant code did not return one */
  action: Action;
  classification?: string;
  effectiveMode: Mode;
}

/**
 * The Violation a verdict amounts to, or null for a pass. A failure becomes a violation whose
 * action is `block` when the policy fails closed (its `on_error`), `allow` otherwise; the engine
 * still records the error itself in `Decision.errors`.
 */
export function verdictToViolation(v: SandboxVerdict, meta: ViolationMeta): Violation | null {
  if (v.status === 'ok' && !v.violation) return null;
  const action: Action = v.status === 'error' ? (v.onError === 'block' ? 'block' : 'allow') : (v.action ?? meta.action);
  const intervenes = action !== 'allow';
  const out: Violation = {
    policy: v.policy,
    policyVersion: v.policyVersion ?? meta.policyVersion ?? 'unknown',
    policyType: 'custom',
    severity: v.status === 'ok' ? (v.severity ?? meta.severity) : meta.severity,
    action,
    effectiveMode: meta.effectiveMode,
    shadow: intervenes && meta.effectiveMode !== 'enforce',
    message: v.status === 'ok' ? v.message : `sandbox ${v.error.code}: ${v.error.message}`,
    evidence: v.status === 'ok' ? v.evidence : [],
  };
  const classification = v.status === 'ok' ? (v.classification ?? meta.classification) : meta.classification;
  if (classification !== undefined) out.classification = classification;
  return out;
}
