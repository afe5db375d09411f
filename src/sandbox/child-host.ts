// The containment host: tenant isolates live in a child node process, reached over a msgpack pipe.
// A fatal V8 error in there kills only the child: in-flight evaluations fail closed
// (`child_crashed`), the culprit tenant (named by the child just before it aborts, found by the
// watchdog, or the only tenant with work in flight) gets a fault towards quarantine, evaluations
// fail closed (`child_unavailable`) while the child restarts, and the restarted child gets every
// tenant's last good sources back. The breaker lives here, not in the child, so it survives restarts.

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type net from 'node:net';
import type { StreamEvent } from '../events/types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { ChildLoadReply, ChildMessage, ChildOptions, LoadedPolicyInfo, ParentMessage } from './child-protocol.js';
import { diagnostic, type LoadResult, type PolicySource } from './diagnostics.js';
import { isTenantFault, SandboxError, type SandboxErrorCode } from './errors.js';
import type { BatchRequest, ChildSandboxHost, TenantStatus } from './host-types.js';
import { encodeFrame, FrameReader } from './ipc-framing.js';
import type { ResolvedOptions } from './options.js';
import type { PolicyContext } from './policy-sdk.js';
import { checkSources } from './tenant-generation.js';
import {
  decodeParsed,
  failure,
  type OnError,
  type SandboxVerdict,
  type SerializedVerdict,
} from './verdict.js';
import { SANDBOX_ERROR_CODES } from './errors.js';

interface TenantRecord {
  sources: readonly PolicySource[];
  policies: Map<string, { version: string; on: Set<string> | null; onError: OnError }>;
  evaluations: number;
}

type Pending =
  | { kind: 'load'; tenantId: string; deadline: number; resolve: (r: ChildLoadReply) => void }
  | { kind: 'eval'; tenantId: string; policy: string; deadline: number; resolve: (v: SerializedVerdict | SandboxError) => void }
  | { kind: 'batch'; tenantId: string; deadline: number; resolve: (v: SerializedVerdict[] | SandboxError) => void }
  | { kind: 'control'; tenantId: string; deadline: number; resolve: () => void };

const STDERR_TAIL = 4096;
const MAX_BACKOFF_MS = 5000;

export class ChildHost implements ChildSandboxHost {
  readonly process = 'child' as const;
  private child: ChildProcess | null = null;
  private socket: net.Socket | null = null;
  private state: 'starting' | 'ready' | 'disposed' = 'starting';
  private readyWaiters: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly tenants = new Map<string, TenantRecord>();
  private readonly breaker: CircuitBreaker;
  private stderrTail = '';
  private fatalTenant: string | undefined;
  private watchdogCulprit: string | undefined;
  private watchdog: NodeJS.Timeout | null = null;
  private restartCount = 0;
  private consecutiveCrashes = 0;
  private exitWaiters: (() => void)[] = [];

  constructor(private readonly options: ResolvedOptions) {
    this.breaker = new CircuitBreaker({
      threshold: options.quarantineAfter,
      windowMs: options.quarantineWindowMs,
      cooldownMs: options.quarantineMs,
      clock: options.clock,
    });
    this.spawnChild();
  }

  get childPid(): number | undefined {
    return this.child?.pid;
  }

  get restarts(): number {
    return this.restartCount;
  }

  ready(): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'disposed') return Promise.reject(new SandboxError('disposed', 'the sandbox host was disposed'));
    return new Promise((resolve) => {
      this.readyWaiters.push(resolve);
      this.updateRef();
    });
  }

  // ---- child lifecycle ----

  private spawnChild(): void {
    const here = fileURLToPath(import.meta.url);
    const ext = extname(here);
    const entry = fileURLToPath(new URL(`./child-main${ext}`, import.meta.url));
    const execArgv = ['--no-node-snapshot', ...this.options.childExecArgv];
    if (ext === '.ts') {
      // running from source (tests, benchmarks): the child needs the same TypeScript loader
      const tsx = createRequire(import.meta.url).resolve('tsx');
      execArgv.push('--import', pathToFileURL(tsx).href);
    }
    const childOptions: ChildOptions = {
      memoryLimitMb: this.options.memoryLimitMb,
      timeoutMs: this.options.timeoutMs,
      loadTimeoutMs: this.options.loadTimeoutMs,
      maxWarmTenants: this.options.maxWarmTenants,
      maxSourceBytes: this.options.maxSourceBytes,
      maxPoliciesPerTenant: this.options.maxPoliciesPerTenant,
      marshal: this.options.marshal,
      batchMarshal: this.options.batchMarshal,
    };
    const child = spawn(process.execPath, [...execArgv, entry, JSON.stringify(childOptions)], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child = child;
    this.fatalTenant = undefined;
    this.watchdogCulprit = undefined;
    this.stderrTail = '';
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-STDERR_TAIL);
    });
    const socket = child.stdio[3] as net.Socket;
    this.socket = socket;
    const reader = new FrameReader(
      (m) => this.onMessage(m as ChildMessage),
      (reason) => {
        this.stderrTail += `\n[parent] protocol error: ${reason}`;
        child.kill('SIGKILL');
      },
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => {});
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', () => {
      // spawn failure: 'exit' may not follow; treat as an exit
      this.onExit(child, null, null);
    });
    this.updateRef();
  }

  private onMessage(m: ChildMessage): void {
    if (m === null || typeof m !== 'object') return;
    switch (m.t) {
      case 'ready':
        void this.restore();
        return;
      case 'fatal':
        if (typeof m.tenantId === 'string') this.fatalTenant = m.tenantId;
        return;
      case 'replaced':
        if (typeof m.tenantId === 'string') {
          const reason = (SANDBOX_ERROR_CODES as readonly string[]).includes(m.reason) ? (m.reason as SandboxErrorCode) : 'internal';
          this.options.onIncident({ type: 'isolate_replaced', time: this.options.clock(), tenantId: m.tenantId, reason });
        }
        return;
      case 'reply': {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        this.settle(p, m);
        this.stopWatchdogIfIdle();
        return;
      }
    }
  }

  private settle(p: Pending, m: Extract<ChildMessage, { t: 'reply' }>): void {
    const protocolError = new SandboxError('internal', m.error ?? 'malformed reply from the sandbox child', { tenantId: p.tenantId });
    switch (p.kind) {
      case 'load':
        p.resolve(m.load ?? { ok: false, diagnostics: [diagnostic('load_crashed', '', protocolError.message)] });
        return;
      case 'eval':
        p.resolve(m.verdict ?? protocolError);
        return;
      case 'batch':
        p.resolve(Array.isArray(m.verdicts) ? m.verdicts : protocolError);
        return;
      case 'control':
        p.resolve();
        return;
    }
  }

  /** A new child is up: give it every tenant back, then open for evaluations. */
  private async restore(): Promise<void> {
    const restored = [...this.tenants.entries()].map(async ([tenantId, t]) => {
      const r = await this.request<ChildLoadReply>({ t: 'load', tenantId, sources: [...t.sources] }, 'load', tenantId, this.loadDeadline(t.sources));
      if (r.ok) t.policies = policyTable(r.policies);
    });
    await Promise.all(restored);
    if (this.state === 'disposed' || this.child === null) return;
    if (this.restartCount > 0) {
      this.options.onIncident({ type: 'child_restarted', time: this.options.clock(), restarts: this.restartCount });
    }
    this.state = 'ready';
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w();
    this.updateRef();
    // a child that stayed up a while resets the crash backoff
    const child = this.child;
    setTimeout(() => {
      if (this.child === child) this.consecutiveCrashes = 0;
    }, 10_000).unref();
  }

  private onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.child !== child) return;
    this.child = null;
    this.socket?.destroy();
    this.socket = null;
    const wasDisposed = this.state === 'disposed';
    if (!wasDisposed) this.state = 'starting';
    const culprit = this.fatalTenant ?? this.watchdogCulprit ?? this.soleTenantInFlight();
    const time = this.options.clock();
    if (!wasDisposed) {
      const incident: Parameters<ResolvedOptions['onIncident']>[0] = {
        type: 'child_exited',
        time,
        code,
        signal,
        stderrTail: this.stderrTail,
      };
      if (culprit !== undefined) incident.tenantId = culprit;
      this.options.onIncident(incident);
    }
    const reason = wasDisposed
      ? new SandboxError('disposed', 'the sandbox host was disposed')
      : undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      const err =
        reason ??
        new SandboxError(
          'child_crashed',
          p.tenantId === culprit
            ? `the sandbox child process died while running this tenant's code (${signal ?? `exit ${code}`})`
            : `the sandbox child process died (${signal ?? `exit ${code}`}) while this evaluation was queued in it`,
          { tenantId: p.tenantId },
        );
      failPending(p, err);
    }
    if (culprit !== undefined && !wasDisposed) {
      this.recordFault(
        culprit,
        new SandboxError('child_crashed', `tenant code killed the sandbox child process (${signal ?? `exit ${code}`})`, {
          tenantId: culprit,
          cause: this.stderrTail.slice(-500),
        }),
      );
    }
    this.stopWatchdogIfIdle();
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
    if (wasDisposed) return;
    this.restartCount++;
    this.consecutiveCrashes++;
    const delay = this.consecutiveCrashes <= 1 ? 0 : Math.min(50 * 2 ** (this.consecutiveCrashes - 2), MAX_BACKOFF_MS);
    // not unref'd: callers may be awaiting ready()
    setTimeout(() => {
      if (this.state !== 'disposed') this.spawnChild();
    }, delay);
  }

  private soleTenantInFlight(): string | undefined {
    let only: string | undefined;
    for (const p of this.pending.values()) {
      if (p.kind !== 'eval' && p.kind !== 'batch') continue;
      if (only === undefined) only = p.tenantId;
      else if (only !== p.tenantId) return undefined;
    }
    return only;
  }

  // ---- requests ----

  private request<T>(message: DistributiveOmit<ParentMessage, 'id'>, kind: Pending['kind'], tenantId: string, deadline: number): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      const p = { kind, tenantId, deadline, resolve } as Pending;
      if (this.socket === null || this.state === 'disposed') {
        failPending(p, new SandboxError(this.state === 'disposed' ? 'disposed' : 'child_unavailable', 'the sandbox child process is not running', { tenantId }));
        return;
      }
      this.pending.set(id, p);
      this.updateRef();
      this.startWatchdog();
      this.socket.write(encodeFrame({ ...message, id }));
    });
  }

  /** Hold the event loop open only while someone waits on the child; an idle host does not. */
  private updateRef(): void {
    const busy = this.pending.size > 0 || this.readyWaiters.length > 0;
    const child = this.child as (ChildProcess & { ref?: () => void; unref?: () => void }) | null;
    if (busy) {
      child?.ref?.();
      this.socket?.ref();
    } else {
      child?.unref?.();
      this.socket?.unref();
    }
  }

  private startWatchdog(): void {
    if (this.watchdog !== null) return;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const p of this.pending.values()) {
        if (now > p.deadline) {
          // isolated-vm's own limit did not stop it: the child is hung or wedged
          this.watchdogCulprit = p.tenantId;
          this.stderrTail += `\n[parent] watchdog: a ${p.kind} for tenant ${p.tenantId} overran its deadline; killing the child`;
          this.child?.kill('SIGKILL');
          return;
        }
      }
    }, 25);
    this.watchdog.unref();
  }

  private stopWatchdogIfIdle(): void {
    if (this.pending.size === 0 && this.watchdog !== null) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
    this.updateRef();
  }

  private evalDeadline(n = 1): number {
    return Date.now() + Math.min(this.options.timeoutMs * n, 10_000) + this.options.childWatchdogMs;
  }

  private loadDeadline(sources: readonly PolicySource[]): number {
    return Date.now() + this.options.loadTimeoutMs * Math.max(1, sources.length) + this.options.childWatchdogMs + 5000;
  }

  private whenSettled<T>(p: Promise<T>): Promise<T> {
    return p.finally(() => this.stopWatchdogIfIdle());
  }

  // ---- API ----

  async loadTenantPoliciesAsync(tenantId: string, sources: readonly PolicySource[]): Promise<LoadResult> {
    if (this.state === 'disposed') return { ok: false, diagnostics: [diagnostic('tenant_unavailable', '', 'the sandbox host was disposed')] };
    const pre = checkSources(sources, this.options);
    if (pre.length > 0) return { ok: false, diagnostics: pre };
    await this.ready();
    const copy = sources.map((s) => ({ ...s }));
    const r = await this.whenSettled(
      this.request<ChildLoadReply>({ t: 'load', tenantId, sources: copy }, 'load', tenantId, this.loadDeadline(copy)),
    );
    if (!r.ok) {
      this.options.onIncident({ type: 'load_failed', time: this.options.clock(), tenantId, diagnostics: r.diagnostics.length });
      return { ok: false, diagnostics: r.diagnostics };
    }
    const previous = this.tenants.get(tenantId);
    this.tenants.set(tenantId, { sources: copy, policies: policyTable(r.policies), evaluations: previous?.evaluations ?? 0 });
    this.breaker.reset(tenantId);
    return { ok: true };
  }

  private gate(
    tenantId: string,
    policyName: string,
    event: StreamEvent,
  ): { verdict: SandboxVerdict } | { meta: { policy: string; policyVersion: string; onError: OnError }; probe: boolean; tenant: TenantRecord } {
    const unknown = { policy: policyName, onError: 'block' as OnError };
    if (this.state === 'disposed') return { verdict: failure(unknown, new SandboxError('disposed', 'the sandbox host was disposed', { tenantId, policy: policyName })) };
    const t = this.tenants.get(tenantId);
    if (t === undefined) {
      return { verdict: failure(unknown, new SandboxError('unknown_tenant', `tenant \`${tenantId}\` has no policies loaded`, { tenantId, policy: policyName })) };
    }
    const p = t.policies.get(policyName);
    if (p === undefined) {
      return { verdict: failure(unknown, new SandboxError('unknown_policy', `tenant \`${tenantId}\` has no policy \`${policyName}\``, { tenantId, policy: policyName })) };
    }
    const meta = { policy: policyName, policyVersion: p.version, onError: p.onError };
    if (p.on !== null && !p.on.has(event.kind)) {
      return { verdict: { status: 'ok', violation: false, policy: policyName, policyVersion: p.version, skipped: true } };
    }
    const g = this.breaker.gate(tenantId);
    if (g.state === 'open') {
      return {
        verdict: failure(
          meta,
          new SandboxError('quarantined', `tenant \`${tenantId}\` is quarantined until ${new Date(g.until).toISOString()} after repeated faults`, { tenantId, policy: policyName }),
        ),
      };
    }
    const probe = g.state === 'probe';
    if (this.state !== 'ready') {
      if (probe) this.breaker.releaseProbe(tenantId);
      return {
        verdict: failure(meta, new SandboxError('child_unavailable', 'the sandbox child process is restarting; failing per on_error', { tenantId, policy: policyName })),
      };
    }
    return { meta, probe, tenant: t };
  }

  /** Child output is untrusted: re-validate every verdict through the same decoder as the isolate's. */
  private accept(
    v: SerializedVerdict | SandboxError,
    meta: { policy: string; policyVersion: string; onError: OnError },
    tenantId: string,
  ): SandboxVerdict {
    const full = { ...meta, tenantId };
    if (SandboxError.isInstance(v)) return failure(meta, v);
    if (v === null || typeof v !== 'object') return failure(meta, new SandboxError('internal', 'malformed verdict from the sandbox child', { tenantId }));
    if (v.status === 'ok' && v.violation === false) {
      return v.skipped === true
        ? { status: 'ok', violation: false, policy: meta.policy, policyVersion: meta.policyVersion, skipped: true }
        : decodeParsed(0, full);
    }
    if (v.status === 'ok' && v.violation === true) {
      const wire: Record<string, unknown> = { v: 1, m: v.message, e: v.evidence };
      if (v.severity !== undefined) wire['s'] = v.severity;
      if (v.classification !== undefined) wire['c'] = v.classification;
      if (v.action !== undefined) wire['a'] = v.action;
      return decodeParsed(wire, full);
    }
    if (v.status === 'error' && v.error !== null && typeof v.error === 'object' && typeof v.error.message === 'string') {
      const code = (SANDBOX_ERROR_CODES as readonly string[]).includes(v.error.code) ? v.error.code : 'internal';
      const err = new SandboxError(code, v.error.message.slice(0, 1000), {
        tenantId,
        policy: meta.policy,
        line: typeof v.error.line === 'number' ? v.error.line : undefined,
        column: typeof v.error.column === 'number' ? v.error.column : undefined,
      });
      return failure(meta, err);
    }
    return failure(meta, new SandboxError('internal', 'malformed verdict from the sandbox child', { tenantId }));
  }

  private finish(tenantId: string, t: TenantRecord, v: SandboxVerdict, probe: boolean): SandboxVerdict {
    t.evaluations++;
    if (v.status === 'error') {
      // a crash is counted once, against the culprit, in onExit
      if (isTenantFault(v.error.code) && v.error.code !== 'child_crashed') this.recordFault(tenantId, v.error);
      else if (probe) this.breaker.releaseProbe(tenantId);
    } else if (this.breaker.recordSuccess(tenantId)) {
      this.options.onIncident({ type: 'quarantine_lifted', time: this.options.clock(), tenantId });
    }
    return v;
  }

  private recordFault(tenantId: string, error: SandboxError): void {
    const time = this.options.clock();
    this.options.onIncident({ type: 'fault', time, tenantId, ...(error.policy === undefined ? {} : { policy: error.policy }), error });
    const outcome = this.breaker.recordFault(tenantId);
    if (outcome.tripped) {
      this.options.onIncident({ type: 'quarantined', time, tenantId, until: outcome.until, faults: outcome.faults, lastError: error });
    }
  }

  async evaluateAsync(tenantId: string, policy: string, event: StreamEvent, context: PolicyContext): Promise<SandboxVerdict> {
    const g = this.gate(tenantId, policy, event);
    if ('verdict' in g) return g.verdict;
    const reply = await this.whenSettled(
      this.request<SerializedVerdict | SandboxError>({ t: 'eval', tenantId, policy, event, context }, 'eval', tenantId, this.evalDeadline()),
    );
    return this.finish(tenantId, g.tenant, this.accept(reply, g.meta, tenantId), g.probe);
  }

  async evaluateBatchAsync(tenantId: string, requests: readonly BatchRequest[]): Promise<SandboxVerdict[]> {
    const out: SandboxVerdict[] = new Array(requests.length);
    const sent: { at: number; meta: { policy: string; policyVersion: string; onError: OnError }; probe: boolean; tenant: TenantRecord }[] = [];
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i]!;
      const g = this.gate(tenantId, r.policy, r.event);
      if ('verdict' in g) out[i] = g.verdict;
      else sent.push({ at: i, ...g });
    }
    if (sent.length === 0) return out;
    const payload = sent.map((s) => {
      const r = requests[s.at]!;
      return { policy: r.policy, event: r.event, context: r.context };
    });
    const reply = await this.whenSettled(
      this.request<SerializedVerdict[] | SandboxError>({ t: 'batch', tenantId, requests: payload }, 'batch', tenantId, this.evalDeadline(sent.length)),
    );
    sent.forEach((s, k) => {
      const v = SandboxError.isInstance(reply)
        ? reply
        : Array.isArray(reply) && reply.length === sent.length
          ? reply[k]!
          : new SandboxError('internal', 'malformed batch reply from the sandbox child', { tenantId });
      out[s.at] = this.finish(tenantId, s.tenant, this.accept(v, s.meta, tenantId), s.probe);
    });
    return out;
  }

  async unloadTenant(tenantId: string): Promise<void> {
    this.tenants.delete(tenantId);
    this.breaker.reset(tenantId);
    if (this.state !== 'ready') return;
    await this.whenSettled(this.request<void>({ t: 'unload', tenantId }, 'control', tenantId, this.evalDeadline()));
  }

  tenantStatus(tenantId: string): TenantStatus | undefined {
    const t = this.tenants.get(tenantId);
    if (t === undefined) return undefined;
    const status: TenantStatus = {
      tenantId,
      policies: [...t.policies.entries()].map(([name, p]) => ({ name, version: p.version })),
      warm: this.state === 'ready',
      evaluations: t.evaluations,
      recentFaults: this.breaker.faultCount(tenantId),
    };
    const until = this.breaker.quarantinedUntil(tenantId);
    if (until !== undefined) status.quarantinedUntil = until;
    return status;
  }

  releaseQuarantine(tenantId: string): void {
    this.breaker.reset(tenantId);
  }

  /** Kill the child the hard way (tests, operators). It is restarted like after any crash. */
  killChild(signal: NodeJS.Signals = 'SIGKILL'): boolean {
    return this.child?.kill(signal) ?? false;
  }

  async dispose(): Promise<void> {
    if (this.state === 'disposed') return;
    this.state = 'disposed';
    const child = this.child;
    for (const w of this.readyWaiters) w();
    this.readyWaiters = [];
    if (child === null) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    // keep the loop alive until the child is really gone
    child.ref();
    this.socket?.end();
    child.kill('SIGKILL');
    await exited;
  }
}

function failPending(p: Pending, err: SandboxError): void {
  switch (p.kind) {
    case 'load':
      p.resolve({ ok: false, diagnostics: [diagnostic('load_crashed', '', err.message)] });
      return;
    case 'eval':
    case 'batch':
      p.resolve(err);
      return;
    case 'control':
      p.resolve();
      return;
  }
}

function policyTable(list: LoadedPolicyInfo[]): TenantRecord['policies'] {
  const m: TenantRecord['policies'] = new Map();
  for (const p of list) m.set(p.name, { version: p.version, on: p.on === null ? null : new Set(p.on), onError: p.onError });
  return m;
}

type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;

