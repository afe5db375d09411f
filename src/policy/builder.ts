// Typed builder: policies written in TypeScript with the same shape as the YAML files, checked by
// the compiler exactly like a file (the builder's output goes through the same parser).
//
//   const refundLimit = definePolicy({
//     name: 'refund-limit', type: 'rule', on: 'tool.call', severity: 'high',
//     when: all(field('tool').eq('issue_refund'), field('args.amount').gt(500)),
//     action: 'require_approval',
//   });
//   compilePolicies([{ policy: refundLimit }]);

import type { EventKind } from '../events/types.js';
import type { Action, Mode, Severity } from '../engine/decision.js';

type Scalar = string | number | boolean | null;
type CompareMap = { eq?: number; ne?: number; gt?: number; gte?: number; lt?: number; lte?: number };

export interface FieldTests {
  eq?: Scalar;
  ne?: Scalar;
  in?: Scalar[];
  not_in?: Scalar[];
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  exists?: boolean;
  prefix?: string;
  suffix?: string;
  contains?: string;
  length?: number | CompareMap;
  pattern?: string;
}

export type ConditionDefinition =
  | { all: ConditionDefinition[] }
  | { any: ConditionDefinition[] }
  | { not: ConditionDefinition }
  | { [field: string]: FieldTests | Scalar | Scalar[] | ConditionDefinition[] | ConditionDefinition };

export interface ModifyDefinition {
  redact?: (string | { field: string; pattern?: string })[];
  set?: Record<string, unknown>;
  replacement?: string;
}

interface CommonDefinition {
  name: string;
  description?: string;
  severity?: Severity;
  classification?: string | string[];
  mode?: Mode;
  on_error?: 'block' | 'allow';
  action?: Action;
  message?: string;
  modify?: ModifyDefinition;
  tags?: string[];
  enabled?: boolean;
}

export interface ToolPolicyDefinition extends CommonDefinition {
  type: 'tool';
  allowed_tools?: string[];
  disallowed_tools?: string[];
  arguments?: Record<string, Record<string, FieldTests | Scalar | Scalar[]>>;
}
export interface RulePolicyDefinition extends CommonDefinition {
  type: 'rule';
  on: EventKind | EventKind[];
  when: ConditionDefinition;
}
export interface SequencePolicyDefinition extends CommonDefinition {
  type: 'sequence';
  on: EventKind | EventKind[];
  when?: ConditionDefinition;
  count?: { where?: ConditionDefinition; within?: string | number; max: number };
  sum?: { field: string; where?: ConditionDefinition; max: number };
  after?: ConditionDefinition;
  repeat?: { max: number };
}
export interface CustomPolicyDefinition extends CommonDefinition {
  type: 'custom';
  on?: EventKind | EventKind[];
  code: string;
  tenant?: string;
}

export type PolicyDefinition = ToolPolicyDefinition | RulePolicyDefinition | SequencePolicyDefinition | CustomPolicyDefinition;

/** Identity with types: gives editor completion and type errors for the policy shape. */
export function definePolicy<T extends PolicyDefinition>(policy: T): T {
  return policy;
}

export function all(...items: ConditionDefinition[]): ConditionDefinition {
  return { all: items };
}
export function any(...items: ConditionDefinition[]): ConditionDefinition {
  return { any: items };
}
export function not(item: ConditionDefinition): ConditionDefinition {
  return { not: item };
}

/** `field('args.amount').gt(500)` → `{ 'args.amount': { gt: 500 } }` */
export function field(path: string) {
  const t = (tests: FieldTests): ConditionDefinition => ({ [path]: tests });
  return {
    eq: (v: Scalar) => t({ eq: v }),
    ne: (v: Scalar) => t({ ne: v }),
    in: (v: Scalar[]) => t({ in: v }),
    notIn: (v: Scalar[]) => t({ not_in: v }),
    gt: (v: number) => t({ gt: v }),
    gte: (v: number) => t({ gte: v }),
    lt: (v: number) => t({ lt: v }),
    lte: (v: number) => t({ lte: v }),
    exists: (v = true) => t({ exists: v }),
    prefix: (v: string) => t({ prefix: v }),
    suffix: (v: string) => t({ suffix: v }),
    contains: (v: string) => t({ contains: v }),
    length: (v: number | CompareMap) => t({ length: v }),
    pattern: (v: string) => t({ pattern: v }),
    tests: t,
  };
}
