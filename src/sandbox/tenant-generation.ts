// One generation of a tenant's sandbox: an isolate with the hardened runtime and the tenant's
// compiled policies. A reload builds a new generation and retires the old one, which is disposed
// once its in-flight evaluations finish; a poisoned generation (timeout, out of memory, crash) is
// retired the same way and rebuilt from source on next use.

import { createHash } from 'node:crypto';
import ivm from '../native/isolated-vm.js';
import { EVENT_KINDS, type EventKind, type StreamEvent } from '../events/types.js';
import {
  diagnostic,
  findImport,
  locationIn,
  POLICY_NAME,
  type PolicyDiagnostic,
  type PolicySource,
} from './diagnostics.js';
import { SandboxError, type SandboxErrorCode } from './errors.js';
import type { PolicyContext } from './policy-sdk.js';
import { ISOLATE_RUNTIME_SOURCE } from './isolate-runtime.js';
import { DemandPayload, encodeForIsolate, FETCH_GONE, type BatchMarshalFormat, type CallPayload, type IsolatePayload, type MarshalFormat } from './marshal.js';
import { decodeParsed, decodeRunOutput, failure, type OnError, type SandboxVerdict } from './verdict.js';

export interface CompiledPolicy {
  name: string;
  version: string;
  index: number;
  on: ReadonlySet<EventKind> | null;
  onError: OnError;
}

export interface GenerationLimits {
  memoryLimitMb: number;
  timeoutMs: number;
  loadTimeoutMs: number;
  maxSourceBytes: number;
  maxPoliciesPerTenant: number;
  marshal: MarshalFormat;
  batchMarshal: BatchMarshalFormat;
}

export type BuildResult =
  | { ok: true; generation: TenantGeneration }
  | { ok: false; diagnostics: PolicyDiagnostic[] };

export interface BatchItem {
  policy: CompiledPolicy;
  event: StreamEvent;
  context: PolicyContext;
}

const TIMED_OUT = 'Script execution timed out.';
/** What isolated-vm throws (uncatchably, out of the whole call) when code calls import(). */
const DYNAMIC_IMPORT_REFUSED = 'Not supported';
/** Batches get one call; its limit is the per-item limit times the items, capped here. */
const MAX_BATCH_TIMEOUT_MS = 10_000;
let generationIds = 0;

export function policyVersion(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}

export function policyFilename(name: string): string {
  return `tenant-policy:///${name}.js`;
}

/** Name/size checks that need no isolate. */
export function checkSources(sources: readonly PolicySource[], limits: GenerationLimits): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  if (!Array.isArray(sources)) return [diagnostic('invalid_name', '', 'sources must be an array of `{ name, code }`')];
  if (sources.length > limits.maxPoliciesPerTenant) {
    out.push(
      diagnostic('too_many_policies', '', `a tenant may have at most ${limits.maxPoliciesPerTenant} policies; got ${sources.length}`),
    );
  }
  const seen = new Set<string>();
  for (const s of sources) {
    const name = typeof s?.name === 'string' ? s.name : '';
    if (!POLICY_NAME.test(name)) {
      out.push(
        diagnostic('invalid_name', name, `policy name \`${name.slice(0, 60)}\` is not valid`, undefined, 'use letters, digits, `.`, `_` and `-`, at most 128 characters'),
      );
      continue;
    }
    if (seen.has(name)) out.push(diagnostic('duplicate_name', name, `policy \`${name}\` is defined twice`));
    seen.add(name);
    if (typeof s.code !== 'string') {
      out.push(diagnostic('syntax_error', name, 'policy code must be a string'));
    } else if (Buffer.byteLength(s.code) > limits.maxSourceBytes) {
      out.push(diagnostic('source_too_large', name, `policy source is larger than ${limits.maxSourceBytes} bytes`));
    }
    if (s.onError !== undefined && s.onError !== 'block' && s.onError !== 'allow') {
      out.push(diagnostic('invalid_name', name, '`onError` must be `block` or `allow`'));
    }
  }
  return out;
}

interface Hooks {
  /** isolated-vm lost control of the isolate; it is unusable and the process may be unstable */
  onCatastrophic(generation: TenantGeneration, message: string): void;
}

export class TenantGeneration {
  readonly id = ++generationIds;
  readonly policies = new Map<string, CompiledPolicy>();
  inFlight = 0;
  /** set when the isolate must not be used again */
  poisoned: SandboxErrorCode | null = null;
  retired = false;
  private disposed = false;
  private runRef: ivm.Reference | undefined;
  private runDemandRef: ivm.Reference | undefined;
  private batchRef: ivm.Reference | undefined;
  /** the on-demand payload of the call in progress: the only one the isolate can fetch from */
  private demand: DemandPayload | null = null;
  private lostReject: ((e: SandboxError) => void) | undefined;
  /** rejects when the isolate is lost catastrophically, so pending async calls do not hang */
  readonly lost: Promise<never>;

  private constructor(
    readonly tenantId: string,
    private readonly isolate: ivm.Isolate,
    private readonly context: ivm.Context,
    private readonly limits: GenerationLimits,
  ) {
    this.lost = new Promise<never>((_, reject) => {
      this.lostReject = reject;
    });
    this.lost.catch(() => {});
  }

  // ---- building ----

  static buildSync(tenantId: string, sources: readonly PolicySource[], limits: GenerationLimits, hooks: Hooks): BuildResult {
    const pre = checkSources(sources, limits);
    if (pre.length > 0) return { ok: false, diagnostics: pre };
    const gen = TenantGeneration.create(tenantId, limits, hooks);
    const diagnostics: PolicyDiagnostic[] = [];
    try {
      const register = gen.installRuntime();
      try {
        for (const source of sources) {
          const compiled = gen.compile(source, diagnostics);
          if (compiled === null) continue;
          try {
            const evaluated = gen.guardTopLevel(source.name, diagnostics, () =>
              compiled.evaluateSync({ timeout: limits.loadTimeoutMs }),
            );
            if (evaluated) gen.register(register, compiled, source, diagnostics);
          } finally {
            compiled.release();
          }
          if (gen.isolate.isDisposed) break;
        }
      } finally {
        register.release();
      }
    } catch (e) {
      diagnostics.push(diagnostic('load_crashed', '', `the sandbox failed while loading: ${describe(e)}`));
    }
    if (diagnostics.length > 0) {
      gen.dispose();
      return { ok: false, diagnostics };
    }
    return { ok: true, generation: gen };
  }

  /** Same as buildSync, but top-level tenant code runs off the event loop thread. */
  static async buildAsync(
    tenantId: string,
    sources: readonly PolicySource[],
    limits: GenerationLimits,
    hooks: Hooks,
  ): Promise<BuildResult> {
    const pre = checkSources(sources, limits);
    if (pre.length > 0) return { ok: false, diagnostics: pre };
    const gen = TenantGeneration.create(tenantId, limits, hooks);
    const diagnostics: PolicyDiagnostic[] = [];
    try {
      const register = gen.installRuntime();
      try {
        for (const source of sources) {
          const compiled = gen.compile(source, diagnostics);
          if (compiled === null) continue;
          try {
            let failed: unknown;
            try {
              await Promise.race([compiled.evaluate({ timeout: limits.loadTimeoutMs }), gen.lost]);
            } catch (e) {
              failed = e;
            }
            const evaluated = gen.guardTopLevel(source.name, diagnostics, () => {
              if (failed !== undefined) throw failed;
            });
            if (evaluated) gen.register(register, compiled, source, diagnostics);
          } finally {
            if (!gen.isolate.isDisposed) compiled.release();
          }
          if (gen.isolate.isDisposed || gen.poisoned !== null) break;
        }
      } finally {
        if (!gen.isolate.isDisposed) register.release();
      }
    } catch (e) {
      diagnostics.push(diagnostic('load_crashed', '', `the sandbox failed while loading: ${describe(e)}`));
    }
    if (diagnostics.length > 0) {
      gen.dispose();
      return { ok: false, diagnostics };
    }
    return { ok: true, generation: gen };
  }

  private static create(tenantId: string, limits: GenerationLimits, hooks: Hooks): TenantGeneration {
    let gen: TenantGeneration | undefined;
    const isolate = new ivm.Isolate({
      memoryLimit: limits.memoryLimitMb,
      onCatastrophicError: (message: string) => {
        if (gen === undefined) return;
        gen.poisoned = 'isolate_crashed';
        gen.lostReject?.(new SandboxError('isolate_crashed', `isolate lost: ${message}`, { tenantId }));
        hooks.onCatastrophic(gen, message);
      },
    });
    let context: ivm.Context;
    try {
      context = isolate.createContextSync();
    } catch (e) {
      isolate.dispose();
      throw e;
    }
    gen = new TenantGeneration(tenantId, isolate, context, limits);
    return gen;
  }

  /** Runs the hardening runtime; keeps References to run/runBatch, returns the one to register. */
  private installRuntime(): ivm.Reference {
    // the runtime's only way back to the host: node `id` of the on-demand payload being evaluated
    const fetchNode = new ivm.Callback((serial: unknown, id: unknown): string | number => {
      const d = this.demand;
      return d === null ? FETCH_GONE : d.fetch(serial, id);
    });
    const runtime = this.context.evalClosureSync(ISOLATE_RUNTIME_SOURCE, [this.limits.marshal, this.limits.batchMarshal, fetchNode], {
      result: { reference: true },
      timeout: 2000,
    }) as ivm.Reference;
    try {
      this.runRef = runtime.getSync('run', { reference: true }) as ivm.Reference;
      this.runDemandRef = runtime.getSync('runDemand', { reference: true }) as ivm.Reference;
      this.batchRef = runtime.getSync('runBatch', { reference: true }) as ivm.Reference;
      return runtime.getSync('register', { reference: true }) as ivm.Reference;
    } finally {
      runtime.release();
    }
  }

  private compile(source: PolicySource, diagnostics: PolicyDiagnostic[]): ivm.Module | null {
    const filename = policyFilename(source.name);
    let mod: ivm.Module;
    try {
      // never pass cachedData: it is machine code and must not come from a tenant
      mod = this.isolate.compileModuleSync(source.code, { filename });
    } catch (e) {
      const message = describe(e);
      const at = locationIn(message, filename);
      diagnostics.push(
        diagnostic('syntax_error', source.name, message.replace(/\s*\[tenant-policy:[^\]]*\]$/, '').toLowerCase(), at),
      );
      return null;
    }
    const deps = mod.dependencySpecifiers;
    if (deps.length > 0) {
      for (const d of deps) {
        diagnostics.push(
          diagnostic(
            'import_not_allowed',
            source.name,
            `policies cannot import modules; found \`import\` of \`${d}\``,
            findImport(source.code, d),
            'inline what you need: the sandbox has ECMAScript built-ins only',
          ),
        );
      }
      mod.release();
      return null;
    }
    try {
      mod.instantiateSync(this.context, () => {
        throw new Error('imports are not allowed');
      });
    } catch (e) {
      diagnostics.push(diagnostic('syntax_error', source.name, `module could not be linked: ${describe(e)}`));
      mod.release();
      return null;
    }
    return mod;
  }

  /** Runs a step that executes tenant top-level code; turns its failure into a diagnostic. */
  private guardTopLevel(name: string, diagnostics: PolicyDiagnostic[], step: () => void): boolean {
    try {
      step();
      return true;
    } catch (e) {
      const message = describe(e);
      if (this.isolate.isDisposed || this.poisoned === 'isolate_crashed') {
        const memory = /memory limit/i.test(message);
        this.poisoned = memory ? 'memory_limit' : 'isolate_crashed';
        diagnostics.push(
          diagnostic(
            memory ? 'top_level_memory' : 'load_crashed',
            name,
            memory
              ? `module top-level code went over the ${this.limits.memoryLimitMb} MB memory limit`
              : `the isolate was lost while running module top-level code: ${message}`,
          ),
        );
      } else if (message.includes(TIMED_OUT)) {
        this.poisoned = 'timeout';
        diagnostics.push(
          diagnostic('top_level_timeout', name, `module top-level code ran longer than ${this.limits.loadTimeoutMs} ms`),
        );
      } else {
        const stack = e instanceof Error && typeof e.stack === 'string' ? e.stack : message;
        diagnostics.push(
          diagnostic('top_level_threw', name, `module top-level code threw: ${message}`, locationIn(stack, policyFilename(name))),
        );
      }
      return false;
    }
  }

  private register(register: ivm.Reference, mod: ivm.Module, source: PolicySource, diagnostics: PolicyDiagnostic[]): void {
    const ns = mod.namespace;
    let raw: unknown;
    try {
      raw = register.applySync(undefined, [ns.derefInto(), source.name], { timeout: this.limits.loadTimeoutMs });
    } catch (e) {
      this.guardTopLevel(source.name, diagnostics, () => {
        throw e;
      });
      return;
    } finally {
      ns.release();
    }
    const r = typeof raw === 'string' ? (JSON.parse(raw) as Record<string, unknown>) : {};
    if (r['ok'] !== true) {
      const code = r['code'] === 'invalid_on' ? 'invalid_on' : 'missing_evaluate';
      diagnostics.push(
        diagnostic(
          code,
          source.name,
          typeof r['message'] === 'string' ? r['message'] : 'module does not export `evaluate`',
          undefined,
          code === 'missing_evaluate'
            ? 'write `export function evaluate(event, context) { ... }`; top-level await is not supported'
            : undefined,
        ),
      );
      return;
    }
    let on: Set<EventKind> | null = null;
    if (Array.isArray(r['on'])) {
      on = new Set();
      for (const k of r['on'] as string[]) {
        if (!(EVENT_KINDS as readonly string[]).includes(k)) {
          diagnostics.push(
            diagnostic('invalid_on', source.name, `\`on\` lists unknown event kind \`${k}\``, undefined, `known kinds: ${EVENT_KINDS.join(', ')}`),
          );
          return;
        }
        on.add(k as EventKind);
      }
    }
    this.policies.set(source.name, {
      name: source.name,
      version: policyVersion(source.code),
      index: r['index'] as number,
      on,
      onError: source.onError ?? 'block',
    });
  }

  // ---- evaluating ----

  private meta(p: CompiledPolicy): { tenantId: string; policy: string; policyVersion: string; onError: OnError } {
    return { tenantId: this.tenantId, policy: p.name, policyVersion: p.version, onError: p.onError };
  }

  /** One evaluation with its own time limit, on an encoded event and context (marshal.ts, encodeCall). */
  runSync(p: CompiledPolicy, payload: CallPayload, now: number): SandboxVerdict {
    if (payload instanceof DemandPayload) return this.runDemandSync(p, payload, now);
    try {
      const raw = this.runRef!.applySync(undefined, payload.args(p.index, now), { timeout: this.limits.timeoutMs });
      return decodeRunOutput(raw, this.meta(p));
    } catch (e) {
      return failure(this.meta(p), this.classify(e, p.name, this.limits.timeoutMs));
    }
  }

  /** As runSync, with the payload open for fetches for exactly the length of the call. */
  private runDemandSync(p: CompiledPolicy, payload: DemandPayload, now: number): SandboxVerdict {
    const failuresBefore = payload.failures;
    let verdict: SandboxVerdict;
    this.demand = payload;
    try {
      const raw = this.runDemandRef!.applySync(undefined, payload.args(p.index, now), { timeout: this.limits.timeoutMs });
      verdict = decodeRunOutput(raw, this.meta(p));
    } catch (e) {
      verdict = failure(this.meta(p), this.classify(e, p.name, this.limits.timeoutMs));
    } finally {
      this.demand = null;
    }
    // a value the policy read could not be encoded: whatever the policy made of the error it got,
    // it decided on incomplete data
    if (payload.failures !== failuresBefore) {
      const failed = payload.failure;
      const why = failed instanceof Error ? failed.message : String(failed);
      return failure(this.meta(p), new SandboxError('marshal_failed', `a value the policy read could not be sent into the sandbox: ${why}`, { tenantId: this.tenantId, policy: p.name }));
    }
    return verdict;
  }

  async runAsync(p: CompiledPolicy, payload: CallPayload, now: number): Promise<SandboxVerdict> {
    try {
      const raw = await Promise.race([
        this.runRef!.apply(undefined, payload.args(p.index, now), { timeout: this.limits.timeoutMs }),
        this.lost,
      ]);
      return decodeRunOutput(raw, this.meta(p));
    } catch (e) {
      return failure(this.meta(p), this.classify(e, p.name, this.limits.timeoutMs));
    }
  }

  private batchPayload(items: readonly BatchItem[], nows: readonly number[]): IsolatePayload {
    return encodeForIsolate(
      this.limits.batchMarshal,
      items.map((it, i) => [it.policy.index, it.event, it.context, nows[i]]),
    );
  }

  private batchTimeout(n: number): number {
    return Math.min(this.limits.timeoutMs * Math.max(1, n), MAX_BATCH_TIMEOUT_MS);
  }

  private decodeBatch(raw: unknown, items: readonly BatchItem[]): SandboxVerdict[] {
    const parsed: unknown = typeof raw === 'string' ? JSON.parse(raw) : undefined;
    if (!Array.isArray(parsed) || parsed.length !== items.length) {
      return items.map((it) =>
        failure(this.meta(it.policy), new SandboxError('internal', 'the sandbox returned a malformed batch', { tenantId: this.tenantId })),
      );
    }
    return items.map((it, i) => decodeParsed(parsed[i], this.meta(it.policy)));
  }

  /**
   * One isolate call for all items. On a fault that stops the whole call (timeout, memory, crash)
   * every item gets the error: the host then re-runs them one by one to find the culprit.
   */
  batchSync(items: readonly BatchItem[], nows: readonly number[]): SandboxVerdict[] | SandboxError {
    let payload: IsolatePayload;
    try {
      payload = this.batchPayload(items, nows);
    } catch (e) {
      return new SandboxError('marshal_failed', `batch could not be encoded: ${describe(e)}`, { tenantId: this.tenantId, cause: e });
    }
    try {
      const raw = this.batchRef!.applySync(undefined, [payload.arg], { timeout: this.batchTimeout(items.length) });
      return this.decodeBatch(raw, items);
    } catch (e) {
      return this.classify(e, undefined, this.batchTimeout(items.length));
    } finally {
      payload.release();
    }
  }

  async batchAsync(items: readonly BatchItem[], nows: readonly number[]): Promise<SandboxVerdict[] | SandboxError> {
    let payload: IsolatePayload;
    try {
      payload = this.batchPayload(items, nows);
    } catch (e) {
      return new SandboxError('marshal_failed', `batch could not be encoded: ${describe(e)}`, { tenantId: this.tenantId, cause: e });
    }
    try {
      const raw = await Promise.race([
        this.batchRef!.apply(undefined, [payload.arg], { timeout: this.batchTimeout(items.length) }),
        this.lost,
      ]);
      return this.decodeBatch(raw, items);
    } catch (e) {
      return this.classify(e, undefined, this.batchTimeout(items.length));
    } finally {
      payload.release();
    }
  }

  /** An exception out of the isolate call: never tenant-thrown (the runtime catches those). */
  private classify(e: unknown, policy: string | undefined, limitMs: number): SandboxError {
    if (SandboxError.isInstance(e)) return e;
    const message = describe(e);
    const opts = { tenantId: this.tenantId, policy, cause: e };
    let err: SandboxError;
    if (this.isolate.isDisposed || this.poisoned === 'isolate_crashed') {
      const memory = /memory limit/i.test(message);
      err = memory
        ? new SandboxError('memory_limit', `the policy went over the ${this.limits.memoryLimitMb} MB memory limit; the isolate was disposed`, opts)
        : new SandboxError('isolate_crashed', `the isolate was lost: ${message}`, opts);
    } else if (message.includes(TIMED_OUT)) {
      err = new SandboxError('timeout', `the policy ran longer than ${limitMs} ms and was stopped`, opts);
    } else if (message === DYNAMIC_IMPORT_REFUSED) {
      // isolated-vm refuses import() with an exception the policy cannot catch
      err = new SandboxError('threw', 'evaluate used dynamic `import()`, which policies cannot use', opts);
    } else {
      err = new SandboxError('internal', `the sandbox call failed: ${message}`, opts);
    }
    // after a termination the tenant's module state may be half-updated: never reuse the isolate
    this.poisoned ??= err.code;
    return err;
  }

  heapUsedBytes(): number | undefined {
    if (this.disposed || this.isolate.isDisposed) return undefined;
    try {
      const s = this.isolate.getHeapStatisticsSync();
      return s.used_heap_size + s.externally_allocated_size;
    } catch {
      return undefined;
    }
  }

  /** Dispose now if nothing is in flight, else when the last evaluation finishes. */
  retire(): void {
    this.retired = true;
    if (this.inFlight === 0) this.dispose();
  }

  /** Called by the host after an evaluation on this generation settles. */
  settle(): void {
    this.inFlight--;
    if (this.retired && this.inFlight === 0) this.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.lostReject?.(new SandboxError('disposed', 'the isolate was disposed', { tenantId: this.tenantId }));
    try {
      this.runRef?.release();
      this.runDemandRef?.release();
      this.batchRef?.release();
      this.context.release();
    } catch {
      // references of a disposed isolate are already gone
    } finally {
      if (!this.isolate.isDisposed) this.isolate.dispose();
    }
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
