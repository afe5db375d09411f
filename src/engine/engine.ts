// The engine: owns a kernel instance for a bundle, maps events to buckets, projects fields, calls the
// kernel and turns its answer into a Decision. Run state lives in kernel memory, one slot per run,
// bounded with least-recently-used eviction. Synchronous and allocation-light on the allow path.

import { EVENT_KINDS, type EventKind, type StreamEvent } from '../events/types.js';
import type { Bundle } from '../policy/compile.js';
import type { Policy } from '../policy/ast.js';
import { canonicalJson, tenantOf, withTenantPolicies } from '../policy/compile.js';
import type { Diagnostic } from '../policy/diagnostics.js';
import {
  effectiveMode,
  MODES,
  outcomeRank,
  severityRank,
  type Decision,
  type Mode,
  type Modification,
  type Outcome,
  type Violation,
} from './decision.js';
import { KernelInstance } from './kernel-instance.js';
import { Projector, ProjectionOverflow, type ListProjector } from './projection.js';
import { compileStringDispatch, type StringDispatch } from './string-dispatch.js';
import { collectEvidence, violationMessage } from './explain.js';
import type { FrameworkSet, RunState, FrameworkFinding } from '../frameworks/index.js';

export interface EngineOptions {
  /** runs whose sequence state is kept at once; the least recently used is evicted beyond this */
  maxRuns?: number;
  /** projected values per event (elements of `[*]` paths count one each) */
  maxValues?: number;
  /** evaluates `custom` policies (the sandbox); without it custom policies fail per their `on_error` */
  customEvaluator?: CustomPolicyEvaluator;
  /** clock for events without `time` (ms since the epoch) */
  now?: () => number;
  /** built-in security frameworks evaluated with the policies (see createFrameworks) */
  frameworks?: FrameworkSet;
}

export type CustomPolicyResult =
  | { status: 'ok'; violation: false }
  | {
      status: 'ok';
      violation: true;
      message?: string;
      severity?: Violation['severity'];
      classification?: string;
      action?: Violation['action'];
      evidence?: Violation['evidence'];
    }
  | { status: 'error'; message: string };

export interface CustomPolicyEvaluator {
  /** called when a bundle is installed (create, swap); problems make the engine refuse the bundle */
  prepare?(bundle: Bundle): { ok: true } | { ok: false; problems: string[]; diagnostics?: CustomPolicyDiagnostic[] };
  evaluate(policy: Policy & { type: 'custom' }, event: StreamEvent, context: { mode: Mode }): CustomPolicyResult;
  /**
   * Optional: all the custom policies that apply to one event at once, results in `calls` order.
   * An evaluator that can share work between them implements it (the sandbox encodes the event
   * once per tenant and mode); without it the engine calls `evaluate` per policy.
   */
  evaluateAll?(calls: readonly CustomPolicyCall[], event: StreamEvent): CustomPolicyResult[];
}

/** A tenant policy the sandbox would not load: a syntax error, a missing `evaluate`, … (line and column in its code). */
export interface CustomPolicyDiagnostic {
  tenant: string;
  policy: string;
  code: string;
  message: string;
  line: number;
  column: number;
  help?: string;
}

/** What `engine.loadTenantPolicies` gives back; on failure the policies in force stay in force. */
export type TenantLoadResult = { ok: true; bundle: Bundle; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

export interface CustomPolicyCall {
  policy: Policy & { type: 'custom' };
  /** the policy's effective mode for this event */
  mode: Mode;
}

export interface EvaluateOptions {
  /** the run's mode; `observe` skips evaluation entirely. Defaults to `enforce`. */
  mode?: Mode;
}

export interface EngineStats {
  evaluations: number;
  kernelTraps: number;
  runsEvicted: number;
  activeRuns: number;
  /** size of the kernel instance's linear memory (program image, working areas, run state) */
  kernelMemoryBytes: number;
  /** size of the compiled program image */
  imageBytes: number;
}

/** Undo information for the run-state updates an event made, kept off the public Decision type. */
interface CommitToken {
  runId: string;
  slot: number;
  generation: number;
  ops: Float64Array; // triples: addr, op, value
  committed: boolean;
}

const tokens = new WeakMap<Decision, CommitToken>();

const PEND_SET = 0;
const PEND_ADD = 1;

export interface Engine {
  evaluate(event: StreamEvent, options?: EvaluateOptions): Decision;
  /** applies a decision's deferred run-state updates (an approved `require_approval` call) */
  commit(decision: Decision): void;
  /** undoes the counter contributions of an event that was allowed but never executed */
  rollback(decision: Decision): void;
  endRun(runId: string): void;
  swap(bundle: Bundle): void;
  /**
   * Replaces tenant `tenantId`'s `custom` policies with `definitions` (each a `custom` policy's
   * fields: `name`, `code`, optional `on`, `on_error`, `severity`, …; `type` and `tenant` implied)
   * and swaps in the resulting bundle, as `swap` does: other tenants and policies are untouched,
   * sequence state carries over, evaluations after the call use the new code. Every policy is
   * compiled in the tenant's isolate first; a syntax error, a missing `evaluate` or a policy
   * problem comes back as diagnostics (with line and column), never as an exception, and then
   * nothing changes. An empty list removes the tenant's policies. The policies become part of
   * `engine.bundle`: a later `swap` installs exactly the bundle it is given, so build it from
   * `engine.bundle` (or reload the tenant) to keep them.
   */
  loadTenantPolicies(tenantId: string, definitions: readonly unknown[]): TenantLoadResult;
  readonly bundle: Bundle;
  stats(): EngineStats;
}

export class EngineError extends Error {
  override readonly name = 'EngineError';
}

const EMPTY_FINDINGS: FrameworkFinding[] = [];
const kindIndex = compileStringDispatch(EVENT_KINDS);
const RUN_END = EVENT_KINDS.indexOf('run.end');

export function createEngine(bundle: Bundle, options: EngineOptions = {}): Engine {
  return new WasmEngine(bundle, options);
}

class WasmEngine implements Engine {
  // the bundle and what is derived from it, all set together by adopt()
  bundle!: Bundle;
  private kernel!: KernelInstance;
  private projector!: Projector;
  /** per bucket: its projection, generated on the bucket's first event */
  private bucketProjection!: (ListProjector | undefined)[];
  private toolId!: StringDispatch;
  private readonly maxRuns: number;
  private readonly maxValues: number;
  private readonly runs = new Map<string, { slot: number; generation: number }>();
  private readonly fwRuns = new Map<string, RunState>();
  private readonly freeSlots: number[] = [];
  private readonly slotGeneration: Int32Array;
  private allowDecision!: Decision;
  /** custom policy indexes per event kind index */
  private customByKind!: (number[] | undefined)[];
  private readonly counters = { evaluations: 0, kernelTraps: 0, runsEvicted: 0 };

  constructor(bundle: Bundle, private readonly options: EngineOptions) {
    this.maxRuns = options.maxRuns ?? 4096;
    this.maxValues = options.maxValues ?? 4096;
    this.slotGeneration = new Int32Array(this.maxRuns);
    for (let i = this.maxRuns - 1; i >= 0; i--) this.freeSlots.push(i);
    checkBundle(bundle);
    prepareCustom(options.customEvaluator, bundle);
    this.adopt(bundle, new KernelInstance(bundle.program.image, this.maxRuns, this.maxValues));
  }

  /** Makes `bundle` (loaded into `kernel`) the engine's, with everything derived from it. */
  private adopt(bundle: Bundle, kernel: KernelInstance): void {
    this.kernel = kernel;
    this.bundle = bundle;
    this.projector = new Projector(bundle.program.slots);
    this.bucketProjection = [];
    this.toolId = compileStringDispatch(bundle.program.tools);
    this.allowDecision = frozenAllow(bundle.hash);
    this.customByKind = indexCustom(bundle);
  }

  stats(): EngineStats {
    return {
      ...this.counters,
      activeRuns: Math.max(this.runs.size, this.fwRuns.size),
      kernelMemoryBytes: this.kernel.x.memory.buffer.byteLength,
      imageBytes: this.bundle.program.image.byteLength,
    };
  }

  evaluate(event: StreamEvent, options?: EvaluateOptions): Decision {
    const mode = options?.mode ?? 'enforce';
    if (mode === 'observe') return this.allowDecision;
    if (mode !== 'enforce' && mode !== 'detect') return this.errorDecision(mode, [], `unknown mode \`${String(mode)}\`; use ${MODES.join(', ')}`, 'enforce');
    this.counters.evaluations++;
    const kind: unknown = event !== null && typeof event === 'object' ? event.kind : undefined;
    const kindIdx = typeof kind === 'string' ? kindIndex(kind) : -1;
    if (kindIdx < 0)
      return this.errorDecision(mode, [], `not a stream event: ${describeBadEvent(event)}`, mode);
    if (typeof event.runId !== 'string' || event.runId.length === 0)
      return this.errorDecision(mode, [], '`runId` must be a non-empty string', mode);
    const program = this.bundle.program;
    const nTools = program.tools.length;
    const tool = (event as { tool?: unknown }).tool;
    const known = typeof tool === 'string' ? this.toolId(tool) : -1;
    const toolId = known < 0 ? nTools : known;
    const bucket = kindIdx * (nTools + 1) + toolId;
    const plan = program.buckets[bucket]!;
    const custom = this.customByKind[kindIdx];
    let violated: number[] | undefined;
    let tokenOps: Float64Array | undefined;
    let runRef: { slot: number; generation: number } | undefined;
    if (plan.size > 0) {
      const k = this.kernel;
      let slot = -1;
      if (plan.stateful) {
        runRef = this.runSlot(event.runId);
        slot = runRef.slot;
      }
      let hlo = 0;
      let hhi = 0;
      if (plan.needsCallHash) [hlo, hhi] = callDigest(event);
      try {
        (this.bucketProjection[bucket] ??= this.projector.compile(plan.slots))(event, this.projector, k);
      } catch (err) {
        // oversized input, or a getter/proxy in the event that threw: the event cannot be judged
        const why = err instanceof ProjectionOverflow ? err.message : `could not read the event's fields: ${(err as Error)?.message ?? String(err)}`;
        return this.errorDecision(mode, this.bucketPolicies(bucket), why, mode);
      }
      let n: number;
      try {
        n = k.x.rt_eval(bucket, slot, plan.stateful ? eventTime(event, this.options.now) : 0, hlo, hhi);
      } catch (err) {
        // a trap: this instance is no longer trusted; keep its run state, replace it
        this.recoverFromTrap();
        return this.errorDecision(mode, this.bucketPolicies(bucket), `kernel trapped: ${(err as Error).message}`, mode);
      }
      if (n < 0) return this.errorDecision(mode, this.bucketPolicies(bucket), `kernel status ${n}`, mode);
      const pending = plan.stateful ? k.x.rt_pending_count() : 0;
      if (pending > 0) {
        tokenOps = new Float64Array(pending * 3);
        const base = k.pendingPtr;
        for (let i = 0; i < pending; i++) {
          const p = base + i * 16;
          tokenOps[i * 3] = k.i32[p >> 2]!;
          tokenOps[i * 3 + 1] = k.i32[(p >> 2) + 1]!;
          tokenOps[i * 3 + 2] = k.f64[(p + 8) >> 3]!;
        }
      }
      if (n > 0) {
        violated = new Array<number>(n);
        const out = k.outPtr >> 2;
        for (let i = 0; i < n; i++) violated[i] = program.kernelPolicies[k.i32[out + i]!]!;
      }
    }
    const fw = this.options.frameworks;
    let fwRun: RunState | undefined;
    let fwFindings: FrameworkFinding[] | undefined;
    if (fw) {
      fwRun = this.frameworkRun(event.runId, fw);
      try {
        fwFindings = fw.check(event, fwRun);
      } catch (err) {
        return this.errorDecision(mode, [], `framework check failed: ${(err as Error)?.message ?? String(err)}`, mode);
      }
    }
    if (!violated && !custom && !tokenOps && (!fwFindings || fwFindings.length === 0)) {
      if (fw && fwRun) fw.record(event, fwRun, EMPTY_FINDINGS);
      if (kindIdx === RUN_END) this.endRun(event.runId);
      return this.allowDecision;
    }
    const decision = this.assemble(event, mode, violated ?? [], custom, fwFindings);
    // content that reached the system is recorded (taint, injection marks) even when blocked;
    // counters of a tool call only move when the call goes ahead
    if (fw && fwRun && (proceeds(decision.outcome) || event.kind !== 'tool.call')) fw.record(event, fwRun, fwFindings ?? EMPTY_FINDINGS);
    if (tokenOps && runRef) {
      const token: CommitToken = { runId: event.runId, slot: runRef.slot, generation: runRef.generation, ops: tokenOps, committed: false };
      tokens.set(decision, token);
      if (proceeds(decision.outcome)) this.applyToken(token);
    }
    this.kernel.x.rt_discard();
    if (event.kind === 'run.end') this.endRun(event.runId);
    return decision;
  }

  private assemble(event: StreamEvent, mode: Mode, violated: number[], custom: number[] | undefined, fwFindings?: FrameworkFinding[]): Decision {
    const policies = this.bundle.policies;
    const violations: Violation[] = [];
    const errors: { policy?: string; message: string }[] = [];
    let outcome: Outcome = 'allow';
    const raise = (o: Outcome): void => {
      if (outcomeRank(o) > outcomeRank(outcome)) outcome = o;
    };
    const modifications: Modification[] = [];
    const push = (pi: number, over?: { message?: string; severity?: Violation['severity']; classification?: string; evidence?: Violation['evidence']; action?: Violation['action'] }): void => {
      const p = policies[pi]!;
      const action = over?.action ?? p.action;
      const eff = effectiveMode(mode, p.mode);
      const enforcing = eff === 'enforce';
      const v: Violation = {
        policy: p.name,
        policyVersion: this.bundle.policyVersions[pi]!,
        policyType: p.type,
        severity: over?.severity ?? p.severity,
        action,
        effectiveMode: eff,
        shadow: !enforcing && action !== 'allow',
        message: over?.message ?? violationMessage(p, event),
        evidence: over?.evidence ?? collectEvidence(p, event),
      };
      const cls = over?.classification ?? p.classification.join(',');
      if (cls) v.classification = cls;
      violations.push(v);
      if (enforcing) {
        raise(action === 'allow' ? 'flag' : action);
        if (action === 'modify' && p.modify) {
          for (const r of p.modify.redact)
            modifications.push({ policy: p.name, op: 'redact', field: r.field.text, ...(r.pattern !== undefined ? { pattern: r.pattern } : {}), replacement: p.modify.replacement });
          for (const s of p.modify.set) modifications.push({ policy: p.name, op: 'set', field: s.field.text, value: s.value });
        }
      } else raise('flag');
    };
    for (const pi of violated) push(pi);
    if (custom) {
      const calls = custom.map((pi) => {
        const p = policies[pi] as Policy & { type: 'custom' };
        return { policy: p, mode: effectiveMode(mode, p.mode) };
      });
      const results = customResults(this.options.customEvaluator, calls, event);
      for (let k = 0; k < custom.length; k++) {
        const pi = custom[k]!;
        const p = calls[k]!.policy;
        const r = results[k]!;
        if (r.status === 'error') {
          errors.push({ policy: p.name, message: r.message });
          const eff = effectiveMode(mode, p.mode);
          if (eff === 'enforce' && p.onError === 'block') raise('block');
          else raise('flag');
        } else if (r.violation) {
          push(pi, {
            ...(r.action !== undefined ? { action: r.action } : {}),
            ...(r.message !== undefined ? { message: r.message } : {}),
            ...(r.severity !== undefined ? { severity: r.severity } : {}),
            ...(r.classification !== undefined ? { classification: r.classification } : {}),
            ...(r.evidence !== undefined ? { evidence: r.evidence } : {}),
          });
        }
      }
    }
    const fw = this.options.frameworks;
    if (fw && fwFindings && fwFindings.length > 0) {
      const fv = fw.toViolations(fwFindings, mode);
      // tool calls proposed inside an `llm.response` are each judged again as `tool.call` before
      // they run (SDK and replay alike): there a framework denies the one call; here it only records,
      // so one bad call does not throw away the whole answer and its sibling calls
      if (event.kind === 'llm.response')
        for (const v of fv)
          if (v.action !== 'allow' && v.evidence.length > 0 && v.evidence.every((e) => e.field.startsWith('toolCalls['))) {
            v.action = 'allow';
            v.shadow = false;
          }
      const enforced: FrameworkFinding[] = [];
      fv.forEach((v, i) => {
        violations.push(v);
        if (v.effectiveMode === 'enforce') {
          raise(v.action === 'allow' ? 'flag' : v.action);
          if (v.action === 'modify') enforced.push(fwFindings[i]!);
        } else raise('flag');
      });
      if (enforced.length > 0) modifications.push(...fw.modifications(event, enforced));
    }
    if (mode === 'detect' && outcome !== 'allow') outcome = 'flag';
    const order = violations.map((v, i) => ({ v, i }));
    order.sort((a, b) => severityRank(b.v.severity) - severityRank(a.v.severity) || a.i - b.i);
    return {
      outcome,
      violations: order.map((o) => o.v),
      modifications,
      bundleHash: this.bundle.hash,
      errors,
    };
  }

  private errorDecision(mode: Mode | string, policyIdx: number[], message: string, runMode: Mode | string): Decision {
    const enforce = runMode === 'enforce';
    let failClosed = enforce;
    if (enforce && policyIdx.length > 0) {
      // the failure belongs to these policies: honour on_error and mode ceilings
      failClosed = policyIdx.some((i) => {
        const p = this.bundle.policies[i]!;
        return p.onError === 'block' && effectiveMode('enforce', p.mode) === 'enforce';
      });
    }
    void mode;
    return {
      outcome: failClosed ? 'block' : 'flag',
      violations: [],
      modifications: [],
      bundleHash: this.bundle.hash,
      errors: [{ message }],
    };
  }

  private bucketPolicies(bucket: number): number[] {
    const program = this.bundle.program;
    const img = new DataView(program.image.buffer, program.image.byteOffset, program.image.byteLength);
    const bucketsOff = img.getInt32(5 * 4, true);
    const off = img.getInt32(bucketsOff + bucket * 8, true);
    const cnt = img.getInt32(bucketsOff + bucket * 8 + 4, true);
    const out: number[] = [];
    for (let i = 0; i < cnt; i++) out.push(program.kernelPolicies[img.getInt32(off + i * 4, true)]!);
    return out;
  }

  commit(decision: Decision): void {
    const t = tokens.get(decision);
    if (t && !t.committed) this.applyToken(t);
  }

  rollback(decision: Decision): void {
    const t = tokens.get(decision);
    if (!t || !t.committed) return;
    t.committed = false;
    const run = this.runs.get(t.runId);
    if (!run || run.slot !== t.slot || run.generation !== t.generation) return; // the run's state is gone
    const f64 = this.kernel.f64;
    for (let i = 0; i < t.ops.length; i += 3) {
      const addr = t.ops[i]! >> 3;
      const op = t.ops[i + 1]!;
      const v = t.ops[i + 2]!;
      if (op === PEND_ADD) f64[addr] = f64[addr]! - v;
      else if (op === PEND_SET && f64[addr] === v) f64[addr] = 0;
    }
  }

  private applyToken(t: CommitToken): void {
    const run = this.runs.get(t.runId);
    t.committed = true;
    if (!run || run.slot !== t.slot || run.generation !== t.generation) return;
    const f64 = this.kernel.f64;
    for (let i = 0; i < t.ops.length; i += 3) {
      const addr = t.ops[i]! >> 3;
      if (t.ops[i + 1] === PEND_ADD) f64[addr] = f64[addr]! + t.ops[i + 2]!;
      else f64[addr] = t.ops[i + 2]!;
    }
  }

  private frameworkRun(runId: string, fw: FrameworkSet): RunState {
    let r = this.fwRuns.get(runId);
    if (r) {
      this.fwRuns.delete(runId);
    } else {
      r = fw.createRunState(runId);
      if (this.fwRuns.size >= this.maxRuns) {
        this.fwRuns.delete(this.fwRuns.keys().next().value as string);
        this.counters.runsEvicted++;
      }
    }
    this.fwRuns.set(runId, r);
    return r;
  }

  endRun(runId: string): void {
    this.fwRuns.delete(runId);
    const r = this.runs.get(runId);
    if (!r) return;
    this.runs.delete(runId);
    this.kernel.x.rt_reset_run(r.slot);
    this.slotGeneration[r.slot] = (this.slotGeneration[r.slot]! + 1) | 0;
    this.freeSlots.push(r.slot);
  }

  private runSlot(runId: string): { slot: number; generation: number } {
    const r = this.runs.get(runId);
    if (r) {
      // move to the back: Map iteration order is our LRU order
      this.runs.delete(runId);
      this.runs.set(runId, r);
      return r;
    }
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      const oldest = this.runs.keys().next().value as string;
      slot = this.runs.get(oldest)!.slot;
      this.runs.delete(oldest);
      this.slotGeneration[slot] = (this.slotGeneration[slot]! + 1) | 0;
      this.counters.runsEvicted++;
    }
    this.kernel.x.rt_reset_run(slot);
    const ref = { slot, generation: this.slotGeneration[slot]! };
    this.runs.set(runId, ref);
    return ref;
  }

  private recoverFromTrap(): void {
    this.counters.kernelTraps++;
    const old = this.kernel;
    const fresh = new KernelInstance(this.bundle.program.image, this.maxRuns, this.maxValues);
    const words = this.bundle.program.stateWords * this.maxRuns;
    fresh.f64.set(old.f64.subarray(old.statePtr >> 3, (old.statePtr >> 3) + words), fresh.statePtr >> 3);
    this.kernel = fresh;
  }

  swap(bundle: Bundle): void {
    checkBundle(bundle);
    // the kernel first: if it cannot be built, the sandbox has not been touched
    const fresh = new KernelInstance(bundle.program.image, this.maxRuns, this.maxValues);
    prepareCustom(this.options.customEvaluator, bundle);
    this.install(bundle, fresh);
  }

  loadTenantPolicies(tenantId: string, definitions: readonly unknown[]): TenantLoadResult {
    const compiled = withTenantPolicies(this.bundle, tenantId, definitions);
    if (!compiled.ok) return compiled;
    const bundle = compiled.bundle;
    const ev = this.options.customEvaluator;
    const hasCode = bundle.policies.some((p) => p.type === 'custom' && tenantOf(p) === tenantId);
    if (hasCode && !ev) {
      return { ok: false, diagnostics: [tenantDiagnostic(tenantId, '', 'no-sandbox', 'this engine has no sandbox for custom policies (createEngine `customEvaluator`, or initTracing `sandbox`)')] };
    }
    let fresh: KernelInstance;
    try {
      checkBundle(bundle);
      fresh = new KernelInstance(bundle.program.image, this.maxRuns, this.maxValues);
    } catch (e) {
      return { ok: false, diagnostics: [tenantDiagnostic(tenantId, '', 'internal-error', `the new bundle could not be loaded: ${(e as Error)?.message ?? String(e)}`)] };
    }
    if (ev?.prepare) {
      let r: ReturnType<NonNullable<CustomPolicyEvaluator['prepare']>>;
      try {
        r = ev.prepare(bundle);
      } catch (e) {
        r = { ok: false, problems: [`the sandbox threw: ${(e as Error)?.message ?? String(e)}`] };
      }
      if (!r.ok) {
        const diagnostics = r.diagnostics?.length
          ? r.diagnostics.map((d) => tenantDiagnostic(d.tenant, d.policy, d.code, d.message, d.line, d.column, d.help))
          : r.problems.map((m) => tenantDiagnostic(tenantId, '', 'sandbox-load', m));
        return { ok: false, diagnostics };
      }
    }
    this.install(bundle, fresh);
    return compiled;
  }

  /** Makes `bundle` (with its new kernel) the one in force, carrying unchanged sequence state over. */
  private install(bundle: Bundle, fresh: KernelInstance): void {
    // carry over the state of sequence policies that did not change (same name and version)
    const oldOffsets = stateOffsets(this.bundle);
    const newOffsets = stateOffsets(bundle);
    const oldWords = this.bundle.program.stateWords;
    const newWords = bundle.program.stateWords;
    for (const [key, to] of newOffsets) {
      const from = oldOffsets.get(key);
      if (!from || from.words !== to.words) continue;
      for (const { slot } of this.runs.values()) {
        const src = (this.kernel.statePtr >> 3) + slot * oldWords + from.offset;
        const dst = (fresh.statePtr >> 3) + slot * newWords + to.offset;
        fresh.f64.set(this.kernel.f64.subarray(src, src + from.words), dst);
      }
    }
    this.adopt(bundle, fresh);
  }
}

function proceeds(o: Outcome): boolean {
  return o === 'allow' || o === 'flag' || o === 'modify';
}

function frozenAllow(hash: string): Decision {
  return Object.freeze({
    outcome: 'allow' as const,
    violations: Object.freeze([]) as readonly Violation[],
    modifications: Object.freeze([]) as readonly Modification[],
    bundleHash: hash,
    errors: Object.freeze([]) as readonly { message: string }[],
  });
}

function indexCustom(bundle: Bundle): (number[] | undefined)[] {
  const m: (number[] | undefined)[] = EVENT_KINDS.map(() => undefined);
  bundle.policies.forEach((p, i) => {
    if (p.type !== 'custom') return;
    for (const k of p.on) (m[EVENT_KINDS.indexOf(k)] ??= []).push(i);
  });
  return m;
}

function stateOffsets(bundle: Bundle): Map<string, { offset: number; words: number }> {
  const out = new Map<string, { offset: number; words: number }>();
  const img = new DataView(bundle.program.image.buffer, bundle.program.image.byteOffset, bundle.program.image.byteLength);
  const policiesOff = img.getInt32(6 * 4, true);
  bundle.program.kernelPolicies.forEach((pi, k) => {
    const p = bundle.policies[pi]!;
    if (p.type !== 'sequence') return;
    const offset = img.getInt32(policiesOff + (k * 8 + 3) * 4, true);
    const s = p.sequence;
    const words = s.kind === 'count' ? (s.windowMs === undefined ? 1 : s.max + 2) : s.kind === 'repeat' ? 48 : 1;
    out.set(`${p.name}@${bundle.policyVersions[pi]}`, { offset, words });
  });
  return out;
}

function checkBundle(bundle: Bundle): void {
  if (!bundle || typeof bundle !== 'object' || !bundle.program || !(bundle.program.image instanceof Uint8Array))
    throw new EngineError('not a compiled bundle: pass the `bundle` of a successful compilePolicies() result');
}

function eventTime(event: StreamEvent, now?: () => number): number {
  const t = event.time;
  const v = typeof t === 'number' && Number.isFinite(t) ? t : now ? now() : Date.now();
  return v < 0 ? 0 : v;
}

/** Digest of (tool, canonical arguments) for loop detection: two 32-bit FNV-1a variants. */
export function callDigest(event: StreamEvent): [number, number] {
  const e = event as { tool?: unknown; args?: unknown };
  const s = `${String(e.tool)}\u0000${canonicalJson(e.args ?? null)}`;
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a | 0, b | 0];
}

function tenantDiagnostic(tenant: string, policy: string, code: string, message: string, line = 0, column = 0, help?: string): Diagnostic {
  return {
    code,
    severity: 'error',
    message,
    file: `tenant:${tenant}${policy === '' ? '' : `/${policy}`}`,
    line,
    column,
    length: 0,
    ...(help !== undefined ? { help } : {}),
    ...(policy !== '' ? { policy } : {}),
  };
}

function prepareCustom(ev: CustomPolicyEvaluator | undefined, bundle: Bundle): void {
  if (!ev?.prepare) return;
  const r = ev.prepare(bundle);
  if (!r.ok) throw new EngineError(`custom policies could not be loaded:\n  ${r.problems.join('\n  ')}`);
}

/** One result per call, never throwing: an evaluator that throws or answers wrongly fails those calls. */
function customResults(ev: CustomPolicyEvaluator | undefined, calls: readonly CustomPolicyCall[], event: StreamEvent): CustomPolicyResult[] {
  if (!ev) return calls.map(() => ({ status: 'error', message: 'no sandbox is configured for custom policies' }));
  if (ev.evaluateAll) {
    let rs: unknown;
    try {
      rs = ev.evaluateAll(calls, event);
    } catch (err) {
      const message = `custom policy evaluator threw: ${(err as Error)?.message ?? String(err)}`;
      return calls.map(() => ({ status: 'error', message }));
    }
    if (Array.isArray(rs) && rs.length === calls.length) {
      return rs.map((r: unknown) =>
        r !== null && typeof r === 'object' && ((r as CustomPolicyResult).status === 'ok' || (r as CustomPolicyResult).status === 'error')
          ? (r as CustomPolicyResult)
          : { status: 'error', message: 'custom policy evaluator returned a malformed result' },
      );
    }
    return calls.map(() => ({ status: 'error', message: 'custom policy evaluator returned the wrong number of results' }));
  }
  return calls.map((c) => safeCustom(ev, c.policy, event, c.mode));
}

function safeCustom(ev: CustomPolicyEvaluator, p: Policy & { type: 'custom' }, event: StreamEvent, mode: Mode): CustomPolicyResult {
  try {
    return ev.evaluate(p, event, { mode });
  } catch (err) {
    return { status: 'error', message: `custom policy evaluator threw: ${(err as Error)?.message ?? String(err)}` };
  }
}

function describeBadEvent(e: unknown): string {
  if (e === null || typeof e !== 'object') return `got ${e === null ? 'null' : typeof e}`;
  const k = (e as { kind?: unknown }).kind;
  return k === undefined ? 'missing `kind`' : `unknown kind \`${String(k)}\`; kinds: ${EVENT_KINDS.join(', ')}`;
}
