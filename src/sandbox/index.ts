// Sandbox: tenant-authored JavaScript policies (`type: custom`) run in isolated-vm isolates.
//
// ## API
//
//   const host = createSandboxHost({ timeoutMs: 5, memoryLimitMb: 32 });          // inline (sync)
//   const host = createSandboxHost({ process: 'child' }); await host.ready();      // contained (async)
//
//   host.loadTenantPolicies(tenantId, [{ name, code, onError? }])  → LoadResult     (inline only)
//   host.loadTenantPoliciesAsync(tenantId, sources)                → Promise<LoadResult>
//   host.evaluate(tenantId, policy, event, context)                → SandboxVerdict (inline only, sync)
//   host.evaluatePolicies(tenantId, policies, event, context)      → SandboxVerdict[] (inline only, sync;
//                                    the event is encoded once, each policy keeps its own time limit)
//   host.evaluateAsync(tenantId, policy, event, context)           → Promise<SandboxVerdict>
//   host.evaluateBatch(tenantId, [{ policy, event, context }])     → SandboxVerdict[] (inline only)
//   host.evaluateBatchAsync(tenantId, requests)                    → Promise<SandboxVerdict[]>
//   host.unloadTenant(tenantId) · host.tenantStatus(tenantId) · host.releaseQuarantine(tenantId)
//   host.dispose()
//
// Nothing on the evaluation path throws: every failure is a verdict.
//
// ## Shapes
//
//   LoadResult = { ok: true }
//              | { ok: false; diagnostics: { code, message, policy, line, column, help? }[] }
//     Loading is all-or-nothing: on any diagnostic the tenant keeps its previous policies.
//     A successful load swaps in a new isolate; evaluations already running finish on the old one.
//
//   SandboxVerdict =
//     | { status: 'ok'; violation: false; policy; policyVersion; skipped?: true }
//     | { status: 'ok'; violation: true;  policy; policyVersion; message; severity?; classification?;
//         action?; evidence: Evidence[] }
//     | { status: 'error'; policy; policyVersion?; error: SandboxError; onError: 'block' | 'allow' }
//
//   `skipped` means the policy's `on` list excluded the event kind (the isolate was not entered).
//   `policyVersion` is a hash of the policy source that answered (tells versions apart across reloads).
//   `onError` is the policy's declared on_error (source option, default `block`): the engine fails
//   closed on `block` in enforce mode; `verdictToViolation()` does that mapping.
//   `SandboxError.code` says why (timeout, memory_limit, isolate_crashed, threw, bad_return,
//   oversized_return, child_crashed, child_unavailable, quarantined, unknown_tenant,
//   unknown_policy, marshal_failed, disposed, internal); `line`/`column` locate a throw.
//
//   SandboxIncident (options.onIncident): fault | quarantined | quarantine_lifted |
//   isolate_replaced | load_failed | child_exited | child_restarted. The engine records each as a
//   finding; a verdict's error plus its incident is the record of why.
//
// ## Guarantees and their limits
//
// - One isolate per tenant (memoryLimitMb, default 32), per-evaluation wall-clock timeout (default
//   5 ms), no host objects: only strings and numbers cross in; results come back as a string the
//   host re-validates. The context is decoded inside the isolate on the policy's first use of it. Tenant code cannot reach `require`, `process`, timers, network, files,
//   `WebAssembly`, `SharedArrayBuffer`, `Atomics`; intrinsics are frozen; time and randomness are
//   deterministic (see policy-sdk.ts).
// - Quarantine: `quarantineAfter` faults (default 5) within `quarantineWindowMs` (60 s) stop the
//   tenant's policies for `quarantineMs` (30 s, doubling per failed probe); reloading resets it.
// - Inline mode cannot survive every hostile allocation: a single huge allocation (e.g.
//   `new Array(2**28).fill(0)`) makes V8 hit a fatal out-of-memory inside the isolate, and a
//   *synchronous* call then never returns (measured: the process hangs). Run untrusted tenants with
//   `process: 'child'`, where the child uses async calls, aborts on the catastrophic-error callback
//   and is restarted by this process.
// - The timeout is wall-clock (isolated-vm): a machine under load can time out a slow but honest
//   policy. Leave headroom.

import type { LoadResult } from './diagnostics.js';
import { ChildHost } from './child-host.js';
import type { ChildSandboxHost, InlineSandboxHost, SandboxHost } from './host-types.js';
import { InlineHost } from './inline-host.js';
import { resolveOptions, type SandboxHostOptions } from './options.js';

export function createSandboxHost(options?: SandboxHostOptions & { process?: 'inline' }): InlineSandboxHost;
export function createSandboxHost(options: SandboxHostOptions & { process: 'child' }): ChildSandboxHost;
export function createSandboxHost(options?: SandboxHostOptions): SandboxHost;
export function createSandboxHost(options: SandboxHostOptions = {}): SandboxHost {
  const resolved = resolveOptions(options);
  if (options.process === 'child') return new ChildHost(resolved);
  if (options.process !== undefined && options.process !== 'inline') {
    throw new RangeError(`sandbox option \`process\` must be \`inline\` or \`child\`; got \`${String(options.process)}\``);
  }
  return new InlineHost(resolved);
}

export type { LoadResult };
export type { PolicyDiagnostic, PolicySource, DiagnosticCode } from './diagnostics.js';
export { DIAGNOSTIC_CODES } from './diagnostics.js';
export { SandboxError, SANDBOX_ERROR_CODES, isTenantFault } from './errors.js';
export type { SandboxErrorCode, SerializedSandboxError } from './errors.js';
export type { SandboxHostOptions, SandboxIncident } from './options.js';
export type {
  AsyncSandboxHost,
  BatchRequest,
  ChildSandboxHost,
  InlineSandboxHost,
  RunContextForPolicies,
  SandboxHost,
  TenantStatus,
} from './host-types.js';
export type {
  OnError,
  SandboxFailure,
  SandboxPass,
  SandboxVerdict,
  SandboxViolation,
  ViolationMeta,
} from './verdict.js';
export { verdictToViolation } from './verdict.js';
export type { BatchMarshalFormat, MarshalFormat } from './marshal.js';
export { BATCH_MARSHAL_FORMATS, MARSHAL_FORMATS } from './marshal.js';
export type { PolicyContext, PolicyEvent, PolicyResult, PolicyModule, EvaluateFunction } from './policy-sdk.js';
