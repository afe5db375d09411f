// The shape of one hostile-code regression: the tenant source, where it runs, and what the host
// must make of it. One attack per file in ./attacks; each runs in a fresh node process (driver.ts).

import type { StreamEvent } from '../../src/events/types.js';
import type { DiagnosticCode, RunContextForPolicies, SandboxErrorCode, SandboxHostOptions } from '../../src/sandbox/index.js';

export type AttackExpectation =
  /** fail closed: an error verdict (onError block) with one of these codes, and a fault incident */
  | { verdict: 'error'; codes: readonly SandboxErrorCode[]; message?: RegExp }
  /** the documented outcome is a verdict the policy itself returns (its message is the record) */
  | { verdict: 'violation'; message: RegExp }
  /** the source never becomes a policy: load returns these diagnostics */
  | { load: 'rejected'; codes: readonly DiagnosticCode[] };

export interface Attack {
  description: string;
  /** the attacker tenant's policy source */
  code: string;
  event?: StreamEvent;
  /** the run context the attacker's policy gets (default: a small one naming the attacker) */
  context?: RunContextForPolicies;
  /** default ['inline']; `child` for attacks that can take a whole process down */
  modes?: readonly ('inline' | 'child')[];
  /** why the attack does not run inline, when it does not */
  inlineExcluded?: string;
  expect: AttackExpectation;
  host?: Pick<SandboxHostOptions, 'timeoutMs' | 'loadTimeoutMs' | 'memoryLimitMb' | 'marshal'>;
  /** upper bound for the attack evaluation, ms (generous: it asserts "bounded", not "fast") */
  boundMs?: number;
}

export const policy = (body: string): string => `export function evaluate(event, context) {\n${body}\n}`;

export const defineAttack = (a: Attack): Attack => a;
