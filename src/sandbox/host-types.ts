// The sandbox host's public interfaces: one async surface both hosts share, and the synchronous
// surface only the in-process host can offer.

import type { StreamEvent } from '../events/types.js';
import type { LoadResult, PolicySource } from './diagnostics.js';
import type { PolicyContext } from './policy-sdk.js';
import type { SandboxVerdict } from './verdict.js';

/** The run context the engine hands to tenant policies (see policy-sdk.ts). */
export type RunContextForPolicies = PolicyContext;

export interface BatchRequest {
  policy: string;
  event: StreamEvent;
  context: RunContextForPolicies;
}

export interface TenantStatus {
  tenantId: string;
  policies: { name: string; version: string }[];
  /** an isolate is built and usable */
  warm: boolean;
  evaluations: number;
  /** faults inside the breaker window */
  recentFaults: number;
  /** epoch ms; set while quarantined */
  quarantinedUntil?: number;
  heapUsedBytes?: number;
}

export interface AsyncSandboxHost {
  readonly process: 'inline' | 'child';
  /** Compile the tenant's policies into a new isolate and swap it in atomically; in-flight evaluations finish on the old one. */
  loadTenantPoliciesAsync(tenantId: string, sources: readonly PolicySource[]): Promise<LoadResult>;
  evaluateAsync(tenantId: string, policy: string, event: StreamEvent, context: RunContextForPolicies): Promise<SandboxVerdict>;
  /** Many evaluations in one isolate call (replay). Results are in request order. */
  evaluateBatchAsync(tenantId: string, requests: readonly BatchRequest[]): Promise<SandboxVerdict[]>;
  unloadTenant(tenantId: string): void | Promise<void>;
  tenantStatus(tenantId: string): TenantStatus | undefined;
  /** Lift a quarantine by hand (the operator fixed the cause some other way). */
  releaseQuarantine(tenantId: string): void;
  dispose(): void | Promise<void>;
}

export interface InlineSandboxHost extends AsyncSandboxHost {
  readonly process: 'inline';
  loadTenantPolicies(tenantId: string, sources: readonly PolicySource[]): LoadResult;
  /** Synchronous: blocks for at most the time limit (plus an isolate rebuild after a fault). */
  evaluate(tenantId: string, policy: string, event: StreamEvent, context: RunContextForPolicies): SandboxVerdict;
  /**
   * Several of the tenant's policies on one event, verdicts in `policies` order. The event and
   * context are encoded once for all of them; each policy still runs in its own isolate call
   * with its own time limit, exactly as `evaluate` would run it.
   */
  evaluatePolicies(tenantId: string, policies: readonly string[], event: StreamEvent, context: RunContextForPolicies): SandboxVerdict[];
  evaluateBatch(tenantId: string, requests: readonly BatchRequest[]): SandboxVerdict[];
  unloadTenant(tenantId: string): void;
  dispose(): void;
}

export interface ChildSandboxHost extends AsyncSandboxHost {
  readonly process: 'child';
  /** Resolves once the child is up (evaluations before that fail closed with `child_unavailable`). */
  ready(): Promise<void>;
  /** pid of the current child, if one is running */
  readonly childPid: number | undefined;
  /** How many times the child was restarted after dying. */
  readonly restarts: number;
  unloadTenant(tenantId: string): Promise<void>;
  dispose(): Promise<void>;
}

export type SandboxHost = InlineSandboxHost | ChildSandboxHost;
