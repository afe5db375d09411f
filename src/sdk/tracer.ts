// The installed SDK: settings, the gate, the recorder and the run every guarded call outside a
// `traceRun` belongs to. `initTracing` builds one and installs it process-wide.

import { MODES, type Mode } from '../engine/decision.js';
import type { Approver } from './approvals.js';
import type { ApplyModifications, GuardEngine } from './engine-port.js';
import { CascadeConfigError } from './errors.js';
import { Gate } from './gate.js';
import { discardingRecorder, type Recorder } from './recorder.js';
import { Run } from './run-context.js';

export interface TracerSettings {
  project: string;
  mode: Mode;
  engine: GuardEngine;
  applyModifications: ApplyModifications;
  bundleHash: () => string;
  /** policies plus framework packs in the bundle; enforcing zero of them needs `allowEmptyPolicySet` */
  ruleCount: number;
  allowEmptyPolicySet: boolean;
  recorder: Recorder;
  onError: 'block' | 'allow';
  latencyBudgetMs: number | undefined;
  approver: Approver | undefined;
  approvalTimeoutMs: number;
  approvalTtlMs: number;
  onToolDenied: 'return' | 'throw';
  onResponsePrevented: 'replace' | 'throw';
  safeResponse: string;
  streamHoldBackChars: number;
}

const MAX_UNANSWERED = 10_000;

export class Tracer {
  readonly gate: Gate;
  private fallbackRun: Run | undefined;
  private sink: Recorder;
  /** set by shutdown: enforcement goes on, recording stops */
  closed = false;

  constructor(readonly settings: TracerSettings) {
    this.sink = settings.recorder;
    // The gate records through this forwarder, so that a shut-down tracer stops recording while
    // it keeps enforcing.
    const forward: Recorder = {
      runStarted: (r) => this.sink.runStarted(r),
      runEnded: (r) => this.sink.runEnded(r),
      event: (e) => this.sink.event(e),
      evaluation: (r) => this.sink.evaluation(r),
      flush: () => this.sink.flush(),
      shutdown: () => this.sink.shutdown(),
    };
    this.gate = new Gate({
      engine: settings.engine,
      applyModifications: settings.applyModifications,
      recorder: forward,
      bundleHash: settings.bundleHash,
      onError: settings.onError,
      latencyBudgetMs: settings.latencyBudgetMs,
      approver: settings.approver,
      approvalTimeoutMs: settings.approvalTimeoutMs,
    });
  }

  /**
   * Calls a model asked for that never ran (denied, or left behind by a halt), by call id, with the
   * tool result text that keeps a later conversation valid. Bounded; the oldest entries go first.
   */
  private readonly unanswered = new Map<string, string>();

  rememberUnanswered(callId: string, text: string): void {
    this.unanswered.delete(callId);
    this.unanswered.set(callId, text);
    if (this.unanswered.size > MAX_UNANSWERED) this.unanswered.delete(this.unanswered.keys().next().value as string);
  }

  unansweredCallText(callId: string): string | undefined {
    return this.unanswered.get(callId);
  }

  get recorder(): Recorder {
    return this.sink;
  }

  /** Drains and closes the recorder; guarded calls stay enforced but are no longer recorded. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sink = this.sink;
    this.sink = discardingRecorder;
    await sink.shutdown();
  }

  /** The run guarded calls outside any `traceRun` belong to; its state lasts as long as the tracer. */
  defaultRun(): Run {
    this.fallbackRun ??= new Run({ name: `${this.settings.project}:default`, mode: this.settings.mode, metadata: {} });
    return this.fallbackRun;
  }

  /** Refuses enforcement with nothing to enforce unless that was explicitly allowed. */
  assertEnforceable(mode: Mode, where: string): void {
    if (mode === 'enforce' && this.settings.ruleCount === 0 && !this.settings.allowEmptyPolicySet) {
      throw new CascadeConfigError(
        `${where}: enforce mode with no policies and no frameworks would enforce nothing; add policies or frameworks, or pass \`allowEmptyPolicySet: true\` if this is intended`,
      );
    }
  }
}

let installed: Tracer | undefined;

export function installTracer(tracer: Tracer | undefined): void {
  installed = tracer;
}

export function activeTracer(): Tracer | undefined {
  return installed;
}

/** Reads a mode name; anything else is an error that lists the valid ones. */
export function parseMode(value: unknown, where: string): Mode {
  if (typeof value === 'string' && (MODES as readonly string[]).includes(value)) return value as Mode;
  throw new CascadeConfigError(`${where}: unknown enforcement mode \`${String(value)}\`; valid modes are ${MODES.map((m) => `\`${m}\``).join(', ')}`);
}

/** The less strict of two modes never applies to a child: a sub-agent can tighten its mode, not loosen it. */
export function stricterMode(a: Mode, b: Mode): Mode {
  return MODES.indexOf(a) >= MODES.indexOf(b) ? a : b;
}
