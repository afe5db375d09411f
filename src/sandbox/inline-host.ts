// The in-process sandbox host: one warm isolate generation per tenant, synchronous evaluation on
// the guard path, asynchronous variants that run off the event loop thread, hot reload, the
// circuit breaker and the incident stream. The child-process host runs one of these in its child.

import type { StreamEvent } from '../events/types.js';
import type { LoadResult, PolicySource } from './diagnostics.js';
import { diagnostic, sameSources } from './diagnostics.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { isTenantFault, SandboxError } from './errors.js';
import { encodeCall, type CallPayload } from './marshal.js';
import type { ResolvedOptions } from './options.js';
import type { PolicyContext } from './policy-sdk.js';
import {
  TenantGeneration,
  type BatchItem,
  type BuildResult,
  type CompiledPolicy,
  type GenerationLimits,
} from './tenant-generation.js';
import { failure, type OnError, type SandboxVerdict } from './verdict.js';
import type { BatchRequest, InlineSandboxHost, TenantStatus } from './host-types.js';

interface TenantState {
  id: string;
  sources: readonly PolicySource[];
  /** per policy: version, on-filter, on_error of the last successful load (known while not warm) */
  policies: Map<string, CompiledPolicy>;
  active: TenantGeneration | null;
  evaluations: number;
}

type Prepared =
  | { kind: 'done'; verdict: SandboxVerdict }
  | { kind: 'run'; tenant: TenantState; gen: TenantGeneration; policy: CompiledPolicy; probe: boolean };
type RunPrepared = Extract<Prepared, { kind: 'run' }>;

/** encodeCall threw (a cycle, a BigInt, a getter that throws) */
interface MarshalFailure {
  failed: unknown;
}

export interface InlineHostInternals {
  /** breaker bookkeeping off: the child host leaves quarantine to its parent */
  breaker: boolean;
  /** called on a catastrophic isolate error (the child aborts its process) */
  onCatastrophic?: (tenantId: string, message: string) => void;
}

export class InlineHost implements InlineSandboxHost {
  readonly process = 'inline' as const;
  private readonly tenants = new Map<string, TenantState>();
  private readonly breaker: CircuitBreaker;
  private readonly limits: GenerationLimits;
  private disposed = false;
  /** the tenant at the most-recently-used end of `tenants` (insertion order is the LRU order) */
  private mostRecent: TenantState | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly internals: InlineHostInternals = { breaker: true },
  ) {
    this.breaker = new CircuitBreaker({
      threshold: internals.breaker ? options.quarantineAfter : Number.POSITIVE_INFINITY,
      windowMs: options.quarantineWindowMs,
      cooldownMs: options.quarantineMs,
      clock: options.clock,
    });
    this.limits = {
      memoryLimitMb: options.memoryLimitMb,
      timeoutMs: options.timeoutMs,
      loadTimeoutMs: options.loadTimeoutMs,
      maxSourceBytes: options.maxSourceBytes,
      maxPoliciesPerTenant: options.maxPoliciesPerTenant,
      marshal: options.marshal,
      batchMarshal: options.batchMarshal,
    };
  }

  private readonly hooks = {
    onCatastrophic: (gen: TenantGeneration, message: string): void => {
      this.options.onIncident({
        type: 'fault',
        time: this.options.clock(),
        tenantId: gen.tenantId,
        error: new SandboxError('isolate_crashed', `catastrophic isolate error: ${message}`, { tenantId: gen.tenantId }),
      });
      this.internals.onCatastrophic?.(gen.tenantId, message);
    },
  };

  // ---- loading ----

  loadTenantPolicies(tenantId: string, sources: readonly PolicySource[]): LoadResult {
    if (this.disposed) return disposedLoad(tenantId);
    // the same sources again (an engine swapping in a bundle where this tenant did not change):
    // the warm isolate stays, with its module state; a poisoned one is rebuilt on next use anyway
    if (sameSources(this.tenants.get(tenantId)?.sources, sources)) return { ok: true };
    return this.install(tenantId, sources, TenantGeneration.buildSync(tenantId, sources, this.limits, this.hooks));
  }

  async loadTenantPoliciesAsync(tenantId: string, sources: readonly PolicySource[]): Promise<LoadResult> {
    if (this.disposed) return disposedLoad(tenantId);
    if (sameSources(this.tenants.get(tenantId)?.sources, sources)) return { ok: true };
    const built = await TenantGeneration.buildAsync(tenantId, sources, this.limits, this.hooks);
    if (this.disposed) {
      if (built.ok) built.generation.dispose();
      return disposedLoad(tenantId);
    }
    return this.install(tenantId, sources, built);
  }

  /** Atomic swap: the new generation serves every evaluation that starts from now on. */
  private install(tenantId: string, sources: readonly PolicySource[], built: BuildResult): LoadResult {
    if (!built.ok) {
      this.options.onIncident({ type: 'load_failed', time: this.options.clock(), tenantId, diagnostics: built.diagnostics.length });
      return built;
    }
    const previous = this.tenants.get(tenantId);
    // re-inserting moves the tenant to the most-recently-used end
    this.tenants.delete(tenantId);
    const state: TenantState = {
      id: tenantId,
      sources: sources.map((s) => ({ ...s })),
      policies: built.generation.policies,
      active: built.generation,
      evaluations: previous?.evaluations ?? 0,
    };
    this.tenants.set(tenantId, state);
    this.mostRecent = state;
    previous?.active?.retire();
    // new code is a fresh start for the breaker
    this.breaker.reset(tenantId);
    this.evictColdTenants();
    return { ok: true };
  }

  unloadTenant(tenantId: string): void {
    const t = this.tenants.get(tenantId);
    if (t === undefined) return;
    this.tenants.delete(tenantId);
    if (this.mostRecent === t) this.mostRecent = undefined;
    t.active?.retire();
    this.breaker.reset(tenantId);
  }

  /** Keep at most maxWarmTenants isolates; the least recently used lose theirs (sources stay). */
  private evictColdTenants(): void {
    let warm = 0;
    for (const t of this.tenants.values()) if (t.active !== null) warm++;
    if (warm <= this.options.maxWarmTenants) return;
    for (const t of this.tenants.values()) {
      if (warm <= this.options.maxWarmTenants) break;
      if (t.active !== null) {
        t.active.retire();
        t.active = null;
        warm--;
      }
    }
  }

  private touch(t: TenantState): void {
    // the common case, the same tenant again, needs no reordering
    if (this.mostRecent === t) return;
    this.tenants.delete(t.id);
    this.tenants.set(t.id, t);
    this.mostRecent = t;
  }

  /** The tenant's warm generation, rebuilding it if it was poisoned or evicted. */
  private warmGeneration(t: TenantState): TenantGeneration | SandboxError {
    const current = t.active;
    if (current !== null && current.poisoned === null && !current.isDisposed) return current;
    if (current !== null) {
      this.options.onIncident({
        type: 'isolate_replaced',
        time: this.options.clock(),
        tenantId: t.id,
        reason: current.poisoned ?? 'isolate_crashed',
      });
      current.retire();
      t.active = null;
    }
    const built = TenantGeneration.buildSync(t.id, t.sources, this.limits, this.hooks);
    if (!built.ok) {
      const first = built.diagnostics[0];
      return new SandboxError(
        'isolate_crashed',
        `the tenant's isolate could not be rebuilt: ${first?.code ?? 'unknown'}: ${first?.message ?? ''}`,
        { tenantId: t.id },
      );
    }
    t.active = built.generation;
    t.policies = built.generation.policies;
    this.evictColdTenants();
    return built.generation;
  }

  // ---- evaluating ----

  private prepare(tenantId: string, policyName: string, event: StreamEvent): Prepared {
    const t = this.tenants.get(tenantId);
    const unknownMeta = { policy: policyName, onError: 'block' as OnError };
    if (this.disposed) {
      return { kind: 'done', verdict: failure(unknownMeta, new SandboxError('disposed', 'the sandbox host was disposed', { tenantId, policy: policyName })) };
    }
    if (t === undefined) {
      return {
        kind: 'done',
        verdict: failure(unknownMeta, new SandboxError('unknown_tenant', `tenant \`${tenantId}\` has no policies loaded`, { tenantId, policy: policyName })),
      };
    }
    const policy = t.policies.get(policyName);
    if (policy === undefined) {
      return {
        kind: 'done',
        verdict: failure(unknownMeta, new SandboxError('unknown_policy', `tenant \`${tenantId}\` has no policy \`${policyName}\``, { tenantId, policy: policyName })),
      };
    }
    const meta = { policy: policy.name, policyVersion: policy.version, onError: policy.onError };
    if (policy.on !== null && !policy.on.has(event.kind)) {
      return { kind: 'done', verdict: { status: 'ok', violation: false, policy: policy.name, policyVersion: policy.version, skipped: true } };
    }
    const gate = this.breaker.gate(tenantId);
    if (gate.state === 'open') {
      return {
        kind: 'done',
        verdict: failure(
          meta,
          new SandboxError('quarantined', `tenant \`${tenantId}\` is quarantined until ${new Date(gate.until).toISOString()} after repeated faults`, {
            tenantId,
            policy: policy.name,
          }),
        ),
      };
    }
    const probe = gate.state === 'probe';
    // most recently used first, so a rebuild below never evicts this tenant
    this.touch(t);
    const gen = this.warmGeneration(t);
    if (!(gen instanceof TenantGeneration)) {
      return { kind: 'done', verdict: this.finish(t, failure(meta, gen), probe) };
    }
    // the rebuilt generation has its own index for the policy
    const compiled = gen.policies.get(policyName) ?? policy;
    gen.inFlight++;
    return { kind: 'run', tenant: t, gen, policy: compiled, probe };
  }

  /** Breaker and incident bookkeeping for one finished evaluation. */
  private finish(t: TenantState, verdict: SandboxVerdict, probe: boolean): SandboxVerdict {
    t.evaluations++;
    if (verdict.status === 'error' && isTenantFault(verdict.error.code)) {
      this.recordFault(t.id, verdict.error);
    } else if (verdict.status === 'ok') {
      if (this.breaker.recordSuccess(t.id)) {
        this.options.onIncident({ type: 'quarantine_lifted', time: this.options.clock(), tenantId: t.id });
      }
    } else if (probe) {
      this.breaker.releaseProbe(t.id);
    }
    return verdict;
  }

  /** Count a fault against a tenant (also used by the child host's parent for crashes). */
  recordFault(tenantId: string, error: SandboxError): void {
    const time = this.options.clock();
    this.options.onIncident({ type: 'fault', time, tenantId, ...(error.policy === undefined ? {} : { policy: error.policy }), error });
    const outcome = this.breaker.recordFault(tenantId);
    if (outcome.tripped) {
      this.options.onIncident({ type: 'quarantined', time, tenantId, until: outcome.until, faults: outcome.faults, lastError: error });
    }
  }

  private retireIfPoisoned(t: TenantState, gen: TenantGeneration): void {
    if (gen.poisoned !== null && t.active === gen) {
      this.options.onIncident({ type: 'isolate_replaced', time: this.options.clock(), tenantId: t.id, reason: gen.poisoned });
      t.active = null;
      gen.retire();
    }
  }

  /** Encodes event and context once; an encoding failure becomes the verdict of every policy that needed it. */
  private encode(event: StreamEvent, context: PolicyContext, sync = true): CallPayload | MarshalFailure {
    // an async call lets the host run (and change its objects) while the policy does: send everything
    const format = !sync && this.limits.marshal === 'on-demand' ? 'json' : this.limits.marshal;
    try {
      return encodeCall(format, event, context);
    } catch (cause) {
      return { failed: cause };
    }
  }

  /** One prepared evaluation on an encoded payload, with the host's bookkeeping around it. */
  private runPrepared(p: RunPrepared, payload: CallPayload | MarshalFailure, now: number): SandboxVerdict {
    let verdict: SandboxVerdict;
    try {
      verdict = 'failed' in payload ? marshalFailure(p, payload) : p.gen.runSync(p.policy, payload, now);
    } finally {
      p.gen.settle();
    }
    this.retireIfPoisoned(p.tenant, p.gen);
    return this.finish(p.tenant, verdict, p.probe);
  }

  evaluate(tenantId: string, policyName: string, event: StreamEvent, context: PolicyContext): SandboxVerdict {
    const p = this.prepare(tenantId, policyName, event);
    if (p.kind === 'done') return p.verdict;
    const payload = this.encode(event, context);
    try {
      return this.runPrepared(p, payload, clockFor(event, context));
    } finally {
      if (!('failed' in payload)) payload.release();
    }
  }

  evaluatePolicies(tenantId: string, policies: readonly string[], event: StreamEvent, context: PolicyContext): SandboxVerdict[] {
    const out: SandboxVerdict[] = new Array(policies.length);
    let payload: CallPayload | MarshalFailure | undefined;
    const now = clockFor(event, context);
    try {
      for (let i = 0; i < policies.length; i++) {
        const p = this.prepare(tenantId, policies[i]!, event);
        if (p.kind === 'done') {
          out[i] = p.verdict;
          continue;
        }
        // encoded on the first policy that enters the isolate, then shared by the rest
        payload ??= this.encode(event, context);
        out[i] = this.runPrepared(p, payload, now);
      }
    } finally {
      if (payload !== undefined && !('failed' in payload)) payload.release();
    }
    return out;
  }

  async evaluateAsync(tenantId: string, policyName: string, event: StreamEvent, context: PolicyContext): Promise<SandboxVerdict> {
    const p = this.prepare(tenantId, policyName, event);
    if (p.kind === 'done') return p.verdict;
    const payload = this.encode(event, context, false);
    let verdict: SandboxVerdict;
    try {
      verdict = 'failed' in payload ? marshalFailure(p, payload) : await p.gen.runAsync(p.policy, payload, clockFor(event, context));
    } finally {
      p.gen.settle();
      if (!('failed' in payload)) payload.release();
    }
    this.retireIfPoisoned(p.tenant, p.gen);
    return this.finish(p.tenant, verdict, p.probe);
  }

  evaluateBatch(tenantId: string, requests: readonly BatchRequest[]): SandboxVerdict[] {
    return this.runBatch(tenantId, requests, (gen, items, nows) => gen.batchSync(items, nows), (r) =>
      this.evaluate(tenantId, r.policy, r.event, r.context),
    ) as SandboxVerdict[];
  }

  async evaluateBatchAsync(tenantId: string, requests: readonly BatchRequest[]): Promise<SandboxVerdict[]> {
    return this.runBatch(tenantId, requests, (gen, items, nows) => gen.batchAsync(items, nows), (r) =>
      this.evaluateAsync(tenantId, r.policy, r.event, r.context),
    );
  }

  /**
   * Shared batch logic. Requests that need no isolate (unknown policy, skipped kind, quarantine)
   * are answered directly; the rest go in one call. If that call dies as a whole (timeout,
   * memory, crash) nothing tells which item did it, so the items are re-run one at a time on a
   * fresh isolate, each with its own limits, and only the culprit gets the fault.
   */
  private runBatch<R extends SandboxVerdict[] | SandboxError | Promise<SandboxVerdict[] | SandboxError>>(
    tenantId: string,
    requests: readonly BatchRequest[],
    call: (gen: TenantGeneration, items: BatchItem[], nows: number[]) => R,
    single: (r: BatchRequest) => SandboxVerdict | Promise<SandboxVerdict>,
  ): SandboxVerdict[] | Promise<SandboxVerdict[]> {
    const out: (SandboxVerdict | undefined)[] = new Array(requests.length);
    const pending: { at: number; prepared: Extract<Prepared, { kind: 'run' }>; request: BatchRequest }[] = [];
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!;
      const p = this.prepare(tenantId, r.policy, r.event);
      if (p.kind === 'done') {
        out[i] = p.verdict;
        continue;
      }
      // one generation per batch: prepare() returns the same warm one for every item
      pending.push({ at: i, prepared: p, request: r });
    }
    if (pending.length === 0) return out as SandboxVerdict[];
    const gen = pending[0]!.prepared.gen;
    const tenant = pending[0]!.prepared.tenant;
    const items: BatchItem[] = pending.map((x) => ({ policy: x.prepared.policy, event: x.request.event, context: x.request.context }));
    const nows = pending.map((x) => clockFor(x.request.event, x.request.context));
    const settleAll = (): void => {
      for (const x of pending) x.prepared.gen.settle();
    };
    const complete = (result: SandboxVerdict[] | SandboxError): SandboxVerdict[] | Promise<SandboxVerdict[]> => {
      settleAll();
      if (result instanceof SandboxError) {
        this.retireIfPoisoned(tenant, gen);
        for (const x of pending) if (x.prepared.probe) this.breaker.releaseProbe(tenantId);
        if (!isTenantFault(result.code)) {
          for (const x of pending) out[x.at] = failure({ policy: x.prepared.policy.name, policyVersion: x.prepared.policy.version, onError: x.prepared.policy.onError }, result);
          return out as SandboxVerdict[];
        }
        // find the culprit item by item
        const reruns = pending.map((x) => single(x.request));
        if (reruns.some((r) => r instanceof Promise)) {
          return Promise.all(reruns).then((vs) => {
            vs.forEach((v, k) => (out[pending[k]!.at] = v));
            return out as SandboxVerdict[];
          });
        }
        (reruns as SandboxVerdict[]).forEach((v, k) => (out[pending[k]!.at] = v));
        return out as SandboxVerdict[];
      }
      result.forEach((v, k) => {
        const x = pending[k]!;
        out[x.at] = this.finish(tenant, v, x.prepared.probe);
      });
      return out as SandboxVerdict[];
    };
    let called: R;
    try {
      called = call(gen, items, nows);
    } catch (e) {
      settleAll();
      throw e;
    }
    if (called instanceof Promise) return called.then(complete, (e: unknown) => {
      settleAll();
      throw e;
    });
    return complete(called as SandboxVerdict[] | SandboxError);
  }

  // ---- introspection and teardown ----

  tenantStatus(tenantId: string): TenantStatus | undefined {
    const t = this.tenants.get(tenantId);
    if (t === undefined) return undefined;
    const until = this.breaker.quarantinedUntil(tenantId);
    const heap = t.active?.heapUsedBytes();
    const status: TenantStatus = {
      tenantId,
      policies: [...t.policies.values()].map((p) => ({ name: p.name, version: p.version })),
      warm: t.active !== null && t.active.poisoned === null,
      evaluations: t.evaluations,
      recentFaults: this.breaker.faultCount(tenantId),
    };
    if (until !== undefined) status.quarantinedUntil = until;
    if (heap !== undefined) status.heapUsedBytes = heap;
    return status;
  }

  /** The compiled policy as the tenant's current generation knows it. */
  compiledPolicy(tenantId: string, policy: string): CompiledPolicy | undefined {
    return this.tenants.get(tenantId)?.policies.get(policy);
  }

  tenantSources(): Map<string, readonly PolicySource[]> {
    const m = new Map<string, readonly PolicySource[]>();
    for (const t of this.tenants.values()) m.set(t.id, t.sources);
    return m;
  }

  releaseQuarantine(tenantId: string): void {
    this.breaker.reset(tenantId);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.tenants.values()) {
      // in-flight async calls reject with `disposed` through the generation's lost signal
      t.active?.dispose();
      t.active = null;
    }
    this.tenants.clear();
    this.mostRecent = undefined;
  }
}

/** The frozen clock a policy sees: the context's time, else the event's, else 0. */
export function clockFor(event: StreamEvent, context: PolicyContext): number {
  const now = context?.now ?? event?.time;
  return typeof now === 'number' && Number.isFinite(now) ? now : 0;
}

function marshalFailure(p: RunPrepared, m: MarshalFailure): SandboxVerdict {
  const why = m.failed instanceof Error ? m.failed.message : String(m.failed);
  return failure(
    { policy: p.policy.name, policyVersion: p.policy.version, onError: p.policy.onError },
    new SandboxError('marshal_failed', `event or context could not be encoded: ${why}`, { tenantId: p.tenant.id, policy: p.policy.name, cause: m.failed }),
  );
}

function disposedLoad(tenantId: string): LoadResult {
  return { ok: false, diagnostics: [diagnostic('tenant_unavailable', '', `the sandbox host was disposed; tenant \`${tenantId}\` was not loaded`)] };
}
