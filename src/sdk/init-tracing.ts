// initTracing: configures and installs the SDK. Observe is the default mode and enforce is never
// assumed; a policy set that does not compile stops enforce mode from starting, and so does an
// enforce configuration with nothing to enforce unless that is explicitly intended.

import { join } from 'node:path';
import type { Mode } from '../engine/decision.js';
import { applyModifications, createEngine, sandboxEvaluator, type CustomPolicyEvaluator, type Engine, type TenantLoadResult } from '../engine/index.js';
import { createSandboxHost } from '../sandbox/index.js';
import type { SandboxHostOptions } from '../sandbox/options.js';
import { FindingsRecorder } from '../findings/recorder.js';
import { createFrameworks, type FrameworkSelection, type FrameworkSet } from '../frameworks/index.js';
import type { Finding } from '../findings/finding.js';
import { compilePolicies, formatDiagnostics, loadPolicySources, type Bundle, type PolicySource } from '../policy/index.js';
import { withTenantPolicies } from '../policy/compile.js';
import type { Approver } from './approvals.js';
import { CascadeConfigError } from './errors.js';
import type { ApplyModifications, GuardEngine } from './engine-port.js';
import { discardingRecorder, type Recorder } from './recorder.js';
import { activeTracer, installTracer, parseMode, Tracer } from './tracer.js';

/** File paths or globs, policy sources (YAML/JSON text or builder objects), or a compiled bundle. */
export type PolicyInput = string | readonly string[] | readonly PolicySource[] | Bundle;

export interface InitTracingOptions {
  /** recorded on every run, span and finding */
  project: string;
  /** `observe` (default), `detect` or `enforce`; enforce must be asked for */
  enforcementMode?: Mode;
  policies?: PolicyInput;
  /** built-in detector packs: names (`recommended` for all), or a map from name to `true`, a pack config or `false` */
  frameworks?: FrameworkSelection;
  /**
   * options for the isolated-vm sandbox that runs `type: custom` policies (inline: synchronous on
   * the guard path); `false` forbids custom policies. The process needs `--no-node-snapshot`.
   */
  sandbox?: (SandboxHostOptions & { process?: 'inline' }) | false;
  /** enforce mode with no policies and no frameworks refuses to start unless this is true */
  allowEmptyPolicySet?: boolean;
  /** OTLP/HTTP collector; spans are exported through a durable outbox */
  endpoint?: string;
  apiKey?: string;
  /** SQLite file for runs, spans and findings (default `.cascade/cascade.db`); `false` for none */
  store?: string | false;
  /** link stored findings into a tamper-evident hash chain (default true) */
  hashChain?: boolean;
  /** engine faults and latency-budget overruns in enforce mode: `block` (default) or `allow` */
  onError?: 'block' | 'allow';
  /** an evaluation slower than this counts as a fault, in ms (default: no budget) */
  latencyBudgetMs?: number;
  /** decides `require_approval`; without one, approval means denial */
  approver?: Approver;
  /** how long the approver may take, ms (default 30 000); silence is a denial */
  approvalTimeoutMs?: number;
  /** how long a granted approval stays usable, ms (default 600 000) */
  approvalTtlMs?: number;
  /** a denied tool call returns a denial for the model (`return`, default) or throws `PolicyViolationError` */
  onToolDenied?: 'return' | 'throw';
  /** a prevented response is replaced by `safeResponse` (`replace`, default) or throws */
  onResponsePrevented?: 'replace' | 'throw';
  safeResponse?: string;
  /** characters of streamed text held back until it is known what they are part of (default 256) */
  streamHoldBackChars?: number;
  /** record allowed evaluations as findings too: `true` (default) or a sampling rate in [0, 1] */
  auditAllows?: boolean | number;
  /** put prompts, responses, arguments and results on spans (off by default, as GenAI conventions ask) */
  captureContent?: boolean;
  /** called with each finding except audited allows (detect-mode alerting); never slows the agent */
  onFinding?: (finding: Finding) => void;
  /** recorder and exporter failures (the agent is never interrupted by them) */
  onRecorderError?: (error: Error) => void;
}

export interface CascadeTracing {
  readonly project: string;
  readonly mode: Mode;
  /** hash of the policy bundle in force */
  readonly bundleHash: string;
  readonly policyCount: number;
  /** the framework packs evaluated with the policies */
  readonly frameworks: readonly string[];
  /** the SQLite file findings go to, if any */
  readonly storePath: string | undefined;
  /** compiles and swaps in a new policy set without a restart; throws on a broken set */
  reloadPolicies(policies: PolicyInput): void;
  /**
   * Replaces one tenant's JavaScript policies (`custom` policy fields: `name`, `code`, optional
   * `on`, `on_error`, `severity`, …) without a restart, as `engine.loadTenantPolicies` does:
   * diagnostics with line and column instead of exceptions, and nothing changes on failure.
   */
  loadTenantPolicies(tenantId: string, definitions: readonly unknown[]): TenantLoadResult;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const DEFAULT_SAFE_RESPONSE = 'I can’t help with that request.';

function isBundle(value: unknown): value is Bundle {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as Bundle).hash === 'string' && typeof (value as Bundle).program === 'object';
}

/** Compiles whatever form the policies come in; returns the bundle or the formatted problems. */
export function resolvePolicies(input: PolicyInput | undefined): { ok: true; bundle: Bundle } | { ok: false; message: string } {
  if (isBundle(input)) return { ok: true, bundle: input };
  let sources: readonly PolicySource[];
  if (input === undefined) sources = [];
  else if (typeof input === 'string' || (Array.isArray(input) && input.every((p) => typeof p === 'string'))) {
    const paths = typeof input === 'string' ? [input] : (input as readonly string[]);
    const loaded = loadPolicySources(paths);
    if (loaded.missing.length > 0) return { ok: false, message: `policy files not found: ${loaded.missing.map((m) => `\`${m}\``).join(', ')}` };
    sources = loaded.sources;
  } else if (Array.isArray(input)) sources = input as readonly PolicySource[];
  else return { ok: false, message: '`policies` must be file paths or globs, policy sources, or a compiled bundle' };
  const result = compilePolicies(sources);
  if (!result.ok) {
    const texts = new Map<string, string>();
    for (const s of sources) if ('text' in s && typeof s.text === 'string') texts.set(s.file ?? '', s.text);
    return { ok: false, message: formatDiagnostics(result.diagnostics, texts) };
  }
  return { ok: true, bundle: result.bundle };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new CascadeConfigError(`initTracing: \`${name}\` must be a positive number, got \`${String(value)}\``);
  return value;
}

/**
 * Configures the SDK and installs it for the process; replaces an earlier configuration (whose
 * recorder is shut down). Throws `CascadeConfigError` for an unknown mode, a broken policy set in
 * enforce mode, or enforce mode with nothing to enforce.
 */
export function initTracing(options: InitTracingOptions): CascadeTracing {
  if (!options || typeof options.project !== 'string' || options.project.trim() === '') {
    throw new CascadeConfigError('initTracing: `project` must be a non-empty string');
  }
  const mode = options.enforcementMode === undefined ? 'observe' : parseMode(options.enforcementMode, 'initTracing');
  let frameworks: FrameworkSet | undefined;
  if (options.frameworks !== undefined) {
    try {
      frameworks = createFrameworks(options.frameworks);
    } catch (e) {
      throw new CascadeConfigError(`initTracing: ${(e as Error).message}`, { cause: e });
    }
    if (frameworks.packs.length === 0) frameworks = undefined;
  }
  const resolved = resolvePolicies(options.policies);
  let bundle: Bundle;
  if (resolved.ok) bundle = resolved.bundle;
  else if (mode === 'enforce') throw new CascadeConfigError(`initTracing: refusing to enforce a policy set that does not compile:\n${resolved.message}`);
  else {
    process.emitWarning(`cascade-runtime: the policy set does not compile; running ${mode} without policies:\n${resolved.message}`, 'CascadeWarning');
    const empty = compilePolicies([]);
    if (!empty.ok) throw new CascadeConfigError('initTracing: could not build an empty policy set');
    bundle = empty.bundle;
  }
  // tenant JavaScript (`type: custom`) runs in an isolated-vm sandbox, created only when needed
  let customEvaluator: CustomPolicyEvaluator | undefined;
  // (a `sandbox` object asks for one up front: a platform that loads tenant code later, with
  // `loadTenantPolicies`, may start without any)
  if (bundle.policies.some((p) => p.type === 'custom') || (typeof options.sandbox === 'object' && options.sandbox !== null)) {
    if (options.sandbox === false) throw new CascadeConfigError('initTracing: the policy set has `custom` policies but `sandbox` is false');
    try {
      customEvaluator = sandboxEvaluator(createSandboxHost(options.sandbox ?? {}));
    } catch (e) {
      throw new CascadeConfigError(`initTracing: could not start the policy sandbox: ${(e as Error).message}`, { cause: e });
    }
  }
  let engine: Engine;
  try {
    engine = createEngine(bundle, { ...(frameworks ? { frameworks } : {}), ...(customEvaluator ? { customEvaluator } : {}) });
  } catch (e) {
    throw new CascadeConfigError(`initTracing: ${(e as Error).message}`, { cause: e });
  }
  const frameworkCount = frameworks?.packs.length ?? 0;
  /** tenant policies loaded at run time, re-applied by reloadPolicies */
  const tenantDefinitions = new Map<string, readonly unknown[]>();
  const storePath = options.store === false ? undefined : (options.store ?? join('.cascade', 'cascade.db'));
  const onFinding = options.onFinding;
  const onRecorderError = options.onRecorderError ?? ((e: Error) => process.emitWarning(`cascade-runtime: ${e.message}`, 'CascadeWarning'));
  const recorder: Recorder =
    storePath === undefined && options.endpoint === undefined
      ? discardingRecorder
      : FindingsRecorder.open({
          project: options.project,
          store: storePath === undefined ? false : { path: storePath, ...(options.hashChain !== undefined ? { hashChain: options.hashChain } : {}) },
          ...(options.endpoint !== undefined ? { exporter: { endpoint: options.endpoint, ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}), ...(storePath !== undefined ? { outboxPath: join(storePath, '..', 'export-outbox.db') } : {}) } } : {}),
          captureContent: options.captureContent ?? false,
          auditAllows: options.auditAllows ?? true,
          ...(onFinding !== undefined ? { onFinding: (f: Finding) => (f.outcome === 'allowed' ? undefined : onFinding(f)) } : {}),
          onError: onRecorderError,
        });
  const guardEngine: GuardEngine = engine;
  const apply: ApplyModifications = applyModifications;
  const tracer = new Tracer({
    project: options.project,
    mode,
    engine: guardEngine,
    applyModifications: apply,
    bundleHash: () => engine.bundle.hash,
    ruleCount: bundle.policies.length + frameworkCount,
    allowEmptyPolicySet: options.allowEmptyPolicySet === true,
    recorder,
    onError: options.onError ?? 'block',
    latencyBudgetMs: options.latencyBudgetMs,
    approver: options.approver,
    approvalTimeoutMs: positive(options.approvalTimeoutMs, 30_000, 'approvalTimeoutMs'),
    approvalTtlMs: positive(options.approvalTtlMs, 600_000, 'approvalTtlMs'),
    onToolDenied: options.onToolDenied ?? 'return',
    onResponsePrevented: options.onResponsePrevented ?? 'replace',
    safeResponse: options.safeResponse ?? DEFAULT_SAFE_RESPONSE,
    streamHoldBackChars: Math.floor(positive(options.streamHoldBackChars, 256, 'streamHoldBackChars')),
  });
  try {
    tracer.assertEnforceable(mode, 'initTracing');
  } catch (e) {
    void recorder.shutdown().catch(() => undefined);
    throw e;
  }
  const previous = activeTracer();
  installTracer(tracer);
  if (previous) void previous.close().catch(() => undefined);
  return {
    project: options.project,
    mode,
    get bundleHash() {
      return engine.bundle.hash;
    },
    get policyCount() {
      return engine.bundle.policies.length;
    },
    frameworks: frameworks?.names ?? [],
    storePath,
    reloadPolicies(policies: PolicyInput): void {
      const resolved = resolvePolicies(policies);
      if (!resolved.ok) throw new CascadeConfigError(`reloadPolicies: the new policy set does not compile; the current one stays in force:\n${resolved.message}`);
      // tenant code loaded at run time is carried into the new set (it is not in the operator's files)
      let bundle = resolved.bundle;
      for (const [tenant, definitions] of tenantDefinitions) {
        const r = withTenantPolicies(bundle, tenant, definitions);
        if (!r.ok) {
          throw new CascadeConfigError(
            `reloadPolicies: tenant \`${tenant}\`'s policies, loaded with loadTenantPolicies, do not fit the new set; the current one stays in force:\n${r.diagnostics.map((d) => `  ${d.code}: ${d.message}`).join('\n')}`,
          );
        }
        bundle = r.bundle;
      }
      const next = { ok: true as const, bundle };
      if (mode === 'enforce' && next.bundle.policies.length + frameworkCount === 0 && !options.allowEmptyPolicySet) {
        throw new CascadeConfigError('reloadPolicies: the new policy set is empty and enforce mode would enforce nothing; the current one stays in force');
      }
      engine.swap(next.bundle);
      tracer.settings.ruleCount = next.bundle.policies.length + frameworkCount;
    },
    loadTenantPolicies(tenantId: string, definitions: readonly unknown[]): TenantLoadResult {
      const r = engine.loadTenantPolicies(tenantId, definitions);
      if (r.ok) {
        tracer.settings.ruleCount = r.bundle.policies.length + frameworkCount;
        if (Array.isArray(definitions) && definitions.length > 0) tenantDefinitions.set(tenantId, [...definitions]);
        else tenantDefinitions.delete(tenantId);
      }
      return r;
    },
    flush: () => tracer.recorder.flush(),
    shutdown: () => tracer.close(),
  };
}

/** Waits until everything recorded so far is stored and, with an endpoint, delivered. */
export async function flush(): Promise<void> {
  await activeTracer()?.recorder.flush();
}

/**
 * Flushes and closes the store and the exporter. Policies stay enforced afterwards (a late call
 * is never let through unchecked); only recording stops.
 */
export async function shutdown(): Promise<void> {
  await activeTracer()?.close();
}
