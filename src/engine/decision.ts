// Decision: what the engine concluded about one event, and the vocabulary shared by every layer
// (modes, severities, actions, outcomes). Pure types plus the orderings that resolve conflicts.

export const MODES = ['observe', 'detect', 'enforce'] as const;
export type Mode = (typeof MODES)[number];

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ACTIONS = ['allow', 'block', 'modify', 'prevent_response', 'halt', 'require_approval'] as const;
export type Action = (typeof ACTIONS)[number];

/** What happens to the event. `flag` = violations recorded, nothing changed (detect mode or shadow). */
export const OUTCOMES = ['allow', 'flag', 'modify', 'require_approval', 'prevent_response', 'block', 'halt'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type PolicyType = 'tool' | 'rule' | 'sequence' | 'custom';

/** Less strict wins: a policy ceiling of `detect` keeps it in shadow inside an enforce run. */
export function effectiveMode(runMode: Mode, ceiling: Mode | undefined): Mode {
  if (ceiling === undefined) return runMode;
  return MODES.indexOf(runMode) <= MODES.indexOf(ceiling) ? runMode : ceiling;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Strength of an outcome when several violations apply; the strongest wins. */
export function outcomeRank(o: Outcome): number {
  return OUTCOMES.indexOf(o);
}

export interface Evidence {
  /** field path inside the event, e.g. `args.amount` or `messages[2].content` */
  field: string;
  /** UTF-16 range inside the field's string value, when a pattern matched */
  start?: number;
  end?: number;
  /** a short excerpt with secrets masked; never the raw secret */
  excerpt?: string;
}

export interface Violation {
  policy: string;
  /** content hash of the policy source that produced this violation */
  policyVersion: string;
  policyType: PolicyType;
  /** set when a built-in framework pack produced the violation */
  framework?: string;
  severity: Severity;
  classification?: string;
  action: Action;
  /** mode this violation was judged in: the less strict of run mode and policy ceiling */
  effectiveMode: Mode;
  /** true when the policy would have intervened but its effective mode kept it from doing so */
  shadow: boolean;
  message: string;
  evidence: Evidence[];
}

export type Modification =
  | { policy: string; op: 'redact'; field: string; pattern?: string; replacement: string }
  | { policy: string; op: 'set'; field: string; value: unknown };

export interface Decision {
  outcome: Outcome;
  /** every violated policy, most severe first (ties keep policy order) */
  violations: readonly Violation[];
  /** edits to apply when outcome is `modify` (or when a stronger outcome still lets a rewrite through) */
  modifications: readonly Modification[];
  /** hash of the bundle that decided */
  bundleHash: string;
  /** evaluation failures (a sandbox fault, a trapped kernel); in enforce they fail closed */
  errors: readonly { policy?: string; message: string }[];
}
