// Human-in-the-loop approvals. An approval is asked of an async approver with a timeout (silence
// is a denial) and, once given, becomes a grant bound to exactly one execution: the run, the call
// id, the tool, the digest of the canonical arguments and the versions of the policies that asked.
// Grants are single-use and expire; an edited call does not match and is evaluated again. Grants
// live only in the SDK's memory, so they can never be rebuilt from client-supplied history.

import type { EventKind, JsonValue } from '../events/types.js';

export interface ApprovalRequest {
  /** unique per request */
  id: string;
  runId: string;
  agentId?: string;
  kind: EventKind;
  /** set for tool calls */
  tool?: string;
  callId?: string;
  /** what would be executed or sent (after any rewrite) */
  args: JsonValue;
  argsDigest: string;
  /** the policies that asked for approval */
  policies: Array<{ name: string; version: string; message: string }>;
  bundleHash: string;
  /** aborted when the run is halted or the approval times out */
  signal: AbortSignal;
}

export type ApprovalAnswer = boolean | { approved: boolean; by?: string; reason?: string };

/** Decides an approval request; no answer within the timeout is a denial. */
export type Approver = (request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>;

export type ApprovalResult =
  | { status: 'approved'; by?: string; reason?: string }
  | { status: 'denied'; reason: string }
  | { status: 'timeout'; reason: string };

export interface ApprovalBinding {
  runId: string;
  callId: string;
  tool: string;
  argsDigest: string;
  /** `name@version` of each policy that asked, sorted */
  policyVersions: string;
}

interface Grant {
  binding: ApprovalBinding;
  expiresAt: number;
  used: boolean;
}

function sameBinding(a: ApprovalBinding, b: ApprovalBinding): boolean {
  return a.runId === b.runId && a.callId === b.callId && a.tool === b.tool && a.argsDigest === b.argsDigest && a.policyVersions === b.policyVersions;
}

export function policyVersionsKey(policies: ReadonlyArray<{ name: string; version: string }>): string {
  return policies
    .map((p) => `${p.name}@${p.version}`)
    .sort()
    .join(',');
}

/** Grants of one run, keyed by call id. */
export class ApprovalGrants {
  private readonly grants = new Map<string, Grant>();

  grant(binding: ApprovalBinding, ttlMs: number, now = Date.now()): void {
    this.grants.set(binding.callId, { binding, expiresAt: now + ttlMs, used: false });
  }

  /** Uses the grant for exactly this binding, once; false when there is none, it expired, was used or differs. */
  consume(binding: ApprovalBinding, now = Date.now()): boolean {
    const g = this.grants.get(binding.callId);
    if (!g || g.used || now > g.expiresAt || !sameBinding(g.binding, binding)) return false;
    g.used = true;
    this.grants.delete(binding.callId);
    return true;
  }

  has(callId: string): boolean {
    return this.grants.has(callId);
  }
}

/** Calls the approver, bounded by `timeoutMs` and by `signal` (a halt); never throws. */
export async function askApprover(
  approver: Approver | undefined,
  request: Omit<ApprovalRequest, 'signal'>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ApprovalResult> {
  if (approver === undefined) return { status: 'denied', reason: 'approval required and no approver is configured' };
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      Promise.resolve().then(() => approver({ ...request, signal: controller.signal })),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      }),
      new Promise<'aborted'>((resolve) => {
        if (controller.signal.aborted) resolve('aborted');
        controller.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      }),
    ]);
    if (answer === 'timeout') return { status: 'timeout', reason: `no approval within ${timeoutMs} ms` };
    if (answer === 'aborted') return { status: 'denied', reason: 'the run was halted while waiting for approval' };
    const approved = typeof answer === 'boolean' ? answer : answer.approved === true;
    if (approved) {
      const result: ApprovalResult = { status: 'approved' };
      if (typeof answer === 'object' && answer.by !== undefined) result.by = answer.by;
      if (typeof answer === 'object' && answer.reason !== undefined) result.reason = answer.reason;
      return result;
    }
    return { status: 'denied', reason: typeof answer === 'object' && answer.reason ? `approval denied: ${answer.reason}` : 'approval denied' };
  } catch (e) {
    return { status: 'denied', reason: `the approver failed: ${(e as Error)?.message ?? String(e)}` };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    controller.abort();
  }
}
