// Authoring types for tenant policies (`cascade-runtime/policy-sdk`). A tenant policy is ES module
// text that exports `evaluate(event, context)` and, optionally, `on` (the event kinds it wants).
// It runs inside an isolated-vm isolate: these types describe what it receives and must return,
// and `definePolicy` lets TypeScript authors get them checked before compiling to plain JS.
//
// ```js
// export const on = ['tool.call'];
// export function evaluate(event, context) {
//   if (event.tool === 'issue_refund' && event.args.amount > 500) {
//     return { violation: true, message: `refund of ${event.args.amount} needs a human`,
//              severity: 'high', action: 'require_approval',
//              evidence: [{ field: 'args.amount' }] };
//   }
//   return { violation: false };
// }
// ```
//
// The environment inside the sandbox:
// - ECMAScript built-ins only, all frozen; no `require`, `import`, `process`, timers, network,
//   filesystem, `WebAssembly`, `SharedArrayBuffer`, `Atomics`, `WeakRef`, `FinalizationRegistry`.
// - `Date.now()` and `new Date()` return `context.now` (else `event.time`, else 0): the clock does
//   not move during an evaluation, and a replay sees the same time as the original run.
// - `Math.random()` is a seeded generator restarted for every evaluation: the same input gives the
//   same output. There is no other source of randomness.
// - `console.*` exists and does nothing.
// - `evaluate` must be synchronous and finish within the host's time limit (a few ms by default).
// - module-level variables survive between evaluations of a warm isolate but are lost whenever the
//   isolate is replaced (reload, fault, eviction): never rely on them.

import type { EventKind, JsonValue, StreamEvent } from '../events/types.js';
import type { Action, Evidence, Mode, Severity } from '../engine/decision.js';

export type { EventKind, JsonValue, StreamEvent, Action, Evidence, Mode, Severity };

/** The event as the policy sees it: a plain-data copy of the StreamEvent. */
export type PolicyEvent = StreamEvent;

/** What the engine tells a policy about the run besides the event itself. */
export interface PolicyContext {
  runId: string;
  agentId?: string;
  /** effective enforcement mode for this policy in this run */
  mode: Mode;
  /** the run's metadata (from `traceRun(name, { metadata })`) */
  metadata?: Record<string, JsonValue>;
  /** earlier events of the run, oldest first; the engine decides how many */
  history?: readonly StreamEvent[];
  /** how many times each tool has been called so far in the run */
  toolCalls?: Readonly<Record<string, number>>;
  /** milliseconds since the epoch; what `Date.now()` returns inside the sandbox */
  now?: number;
  /** per-tenant configuration the platform passes through (allowlists, thresholds) */
  config?: Record<string, JsonValue>;
}

export type PolicyResult =
  | { violation: false; message?: string }
  | {
      violation: true;
      /** at most 2000 characters */
      message: string;
      severity?: Severity;
      /** category string, e.g. `OWASP-LLM01` */
      classification?: string;
      /** what the engine should do in enforce mode; defaults to the policy's declared action */
      action?: Action;
      /** at most 32 items */
      evidence?: Evidence[];
    };

export type EvaluateFunction = (event: PolicyEvent, context: PolicyContext) => PolicyResult;

/** The shape of a tenant policy module. */
export interface PolicyModule {
  evaluate: EvaluateFunction;
  /** event kinds to evaluate; others are skipped without entering the sandbox */
  on?: readonly EventKind[];
}

/** Identity helper for TypeScript authors: `export const { evaluate, on } = definePolicy({ ... })`. */
export function definePolicy<const M extends PolicyModule>(module: M): M {
  return module;
}
