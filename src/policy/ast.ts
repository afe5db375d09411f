// Policy AST: what a policy means, independent of whether it came from YAML, JSON or the builder.
// The reference evaluator reads this directly; the compiler lowers it to kernel bytecode.

import type { EventKind } from '../events/types.js';
import type { Action, Mode, PolicyType, Severity } from '../engine/decision.js';
import type { SourceSpan } from './diagnostics.js';
import type { FieldPath } from './field-path.js';

export type Scalar = string | number | boolean | null;

export type CompareOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';

export type Test =
  | { op: 'eq' | 'ne'; value: Scalar }
  | { op: 'in' | 'not_in'; values: Scalar[] }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  | { op: 'exists'; value: boolean }
  | { op: 'prefix' | 'suffix' | 'contains'; value: string }
  | { op: 'length'; compare: CompareOp; value: number }
  | { op: 'pattern'; source: string };

export type Condition =
  | { kind: 'all'; items: Condition[]; span?: SourceSpan }
  | { kind: 'any'; items: Condition[]; span?: SourceSpan }
  | { kind: 'not'; item: Condition; span?: SourceSpan }
  | { kind: 'test'; field: FieldPath; test: Test; span?: SourceSpan };

export interface RedactSpec {
  field: FieldPath;
  /** redact only the spans this pattern matches; the whole value when absent */
  pattern?: string;
}

export interface ModifySpec {
  redact: RedactSpec[];
  set: { field: FieldPath; value: unknown }[];
  /** text that replaces redacted values; `{{policy}}` is replaced by the policy name */
  replacement: string;
}

export type SequenceSpec =
  /** events in the run that match `where` (this one included), optionally within a time window */
  | { kind: 'count'; where: Condition | undefined; windowMs: number | undefined; max: number }
  /** running sum of a numeric field over the run's matching events (this one included) */
  | { kind: 'sum'; field: FieldPath; where: Condition | undefined; max: number }
  /** an earlier event in the run matched `after` */
  | { kind: 'after'; after: Condition }
  /** the same tool call (tool and canonical arguments) made more than `max` times in the run */
  | { kind: 'repeat'; max: number };

export interface ToolArgumentRule {
  tool: string;
  /** every condition must hold for the call to pass */
  conditions: Condition[];
  span?: SourceSpan;
}

interface PolicyCommon {
  name: string;
  description?: string;
  severity: Severity;
  classification: string[];
  /** mode ceiling: `detect` runs the policy in shadow inside enforce runs */
  mode?: Mode;
  onError: 'block' | 'allow';
  on: EventKind[];
  action: Action;
  message?: string;
  modify?: ModifySpec;
  tags: string[];
  span?: SourceSpan;
}

export interface ToolPolicy extends PolicyCommon {
  type: 'tool';
  allowedTools?: string[];
  disallowedTools?: string[];
  arguments: ToolArgumentRule[];
}

export interface RulePolicy extends PolicyCommon {
  type: 'rule';
  when: Condition;
}

export interface SequencePolicy extends PolicyCommon {
  type: 'sequence';
  /** the current event must match this for the policy to apply */
  when: Condition | undefined;
  sequence: SequenceSpec;
}

export interface CustomPolicy extends PolicyCommon {
  type: 'custom';
  /** ES module text exporting `evaluate(event, context)`; run by the sandbox */
  code: string;
  tenant?: string;
}

export type Policy = ToolPolicy | RulePolicy | SequencePolicy | CustomPolicy;

export type { PolicyType };
