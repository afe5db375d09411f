// Host options, their defaults, and the incident stream the engine turns into findings.

import type { SandboxError, SandboxErrorCode } from './errors.js';
import { BATCH_MARSHAL_FORMATS, MARSHAL_FORMATS, type BatchMarshalFormat, type MarshalFormat } from './marshal.js';

export interface SandboxHostOptions {
  /** per-tenant isolate heap limit in MB (isolated-vm minimum 8). Default 32 */
  memoryLimitMb?: number;
  /** wall-clock limit per evaluation in ms (isolated-vm `timeout`). Default 5 */
  timeoutMs?: number;
  /** wall-clock limit for a module's top-level code at load time, in ms. Default 50 */
  loadTimeoutMs?: number;
  /** `inline` runs isolates in this process (sync API); `child` in a child process (async API). Default inline */
  process?: 'inline' | 'child';
  /** faults within `quarantineWindowMs` that quarantine a tenant. Default 5 */
  quarantineAfter?: number;
  /** Default 60_000 */
  quarantineWindowMs?: number;
  /** first quarantine length; doubles on each failed probe up to 16×. Default 30_000 */
  quarantineMs?: number;
  /** tenants whose isolates stay warm; older ones are disposed and rebuilt on next use. Default 64 */
  maxWarmTenants?: number;
  /** largest policy source accepted, in bytes. Default 256 KiB */
  maxSourceBytes?: number;
  /** most policies per tenant. Default 64 */
  maxPoliciesPerTenant?: number;
  /**
   * how event and context cross into the isolate per call. Default `on-demand`: a skeleton now,
   * large values when the policy reads them (the benchmark winner, bench/RESULTS-sandbox.md).
   * Async calls use `json` in its place.
   */
  marshal?: MarshalFormat;
  /**
   * how a batch crosses. Default `structured-clone`: it keeps objects shared between requests
   * (one context, a growing history) shared, so replay batches copy far less (bench/RESULTS-sandbox.md)
   */
  batchMarshal?: BatchMarshalFormat;
  /** receives faults, quarantines, isolate replacements and child restarts; must not throw */
  onIncident?: (incident: SandboxIncident) => void;
  /** time source for the circuit breaker (tests). Default Date.now */
  clock?: () => number;
  /** child mode: extra node flags for the child (it always gets --no-node-snapshot) */
  childExecArgv?: readonly string[];
  /** child mode: a request outstanding this long past its own time limit kills the child. Default 2000 */
  childWatchdogMs?: number;
}

export interface ResolvedOptions {
  memoryLimitMb: number;
  timeoutMs: number;
  loadTimeoutMs: number;
  quarantineAfter: number;
  quarantineWindowMs: number;
  quarantineMs: number;
  maxWarmTenants: number;
  maxSourceBytes: number;
  maxPoliciesPerTenant: number;
  marshal: MarshalFormat;
  batchMarshal: BatchMarshalFormat;
  onIncident: (incident: SandboxIncident) => void;
  clock: () => number;
  childExecArgv: readonly string[];
  childWatchdogMs: number;
}

export function resolveOptions(o: SandboxHostOptions = {}): ResolvedOptions {
  const positive = (name: string, v: number | undefined, d: number, min = 0): number => {
    if (v === undefined) return d;
    if (typeof v !== 'number' || Number.isNaN(v) || v < min) throw new RangeError(`sandbox option \`${name}\` must be a number >= ${min}`);
    return v;
  };
  const oneOf = <T extends string>(name: string, v: T | undefined, allowed: readonly T[], d: T): T => {
    if (v === undefined) return d;
    if (!allowed.includes(v)) throw new RangeError(`sandbox option \`${name}\` must be one of ${allowed.join(', ')}; got ${JSON.stringify(v)}`);
    return v;
  };
  const onIncident = o.onIncident;
  return {
    memoryLimitMb: positive('memoryLimitMb', o.memoryLimitMb, 32, 8),
    timeoutMs: positive('timeoutMs', o.timeoutMs, 5, 1),
    loadTimeoutMs: positive('loadTimeoutMs', o.loadTimeoutMs, 50, 1),
    quarantineAfter: positive('quarantineAfter', o.quarantineAfter, 5, 1),
    quarantineWindowMs: positive('quarantineWindowMs', o.quarantineWindowMs, 60_000, 1),
    quarantineMs: positive('quarantineMs', o.quarantineMs, 30_000, 0),
    maxWarmTenants: positive('maxWarmTenants', o.maxWarmTenants, 64, 1),
    maxSourceBytes: positive('maxSourceBytes', o.maxSourceBytes, 256 * 1024, 1),
    maxPoliciesPerTenant: positive('maxPoliciesPerTenant', o.maxPoliciesPerTenant, 64, 1),
    marshal: oneOf('marshal', o.marshal, MARSHAL_FORMATS, 'on-demand'),
    batchMarshal: oneOf('batchMarshal', o.batchMarshal, BATCH_MARSHAL_FORMATS, 'structured-clone'),
    onIncident: onIncident
      ? (i) => {
          try {
            onIncident(i);
          } catch {
            // an incident sink that throws must not change a verdict
          }
        }
      : () => {},
    clock: o.clock ?? Date.now,
    childExecArgv: o.childExecArgv ?? [],
    childWatchdogMs: positive('childWatchdogMs', o.childWatchdogMs, 2000, 1),
  };
}

/** Something the operator should know about; the engine records each as a finding. */
export type SandboxIncident =
  | { type: 'fault'; time: number; tenantId: string; policy?: string; error: SandboxError }
  | { type: 'quarantined'; time: number; tenantId: string; until: number; faults: number; lastError: SandboxError }
  | { type: 'quarantine_lifted'; time: number; tenantId: string }
  | { type: 'isolate_replaced'; time: number; tenantId: string; reason: SandboxErrorCode }
  | { type: 'load_failed'; time: number; tenantId: string; diagnostics: number }
  | { type: 'child_exited'; time: number; code: number | null; signal: string | null; stderrTail: string; tenantId?: string }
  | { type: 'child_restarted'; time: number; restarts: number };
