// The contract every detector pack implements, plus helpers shared by the packs.

import type { Action, Mode, Severity } from '../engine/decision.js';
import type { StreamEvent } from '../events/types.js';
import { excerptAround } from './canonicalize.js';
import type { RunState } from './run-state.js';
import type { FrameworkFinding, FrameworkName, PackConfigBase, TextInput } from './types.js';

export interface FrameworkPack {
  readonly name: FrameworkName;
  /** bumps when rules or defaults change; feeds the violation's policyVersion */
  readonly version: string;
  /** mode ceiling from config (undefined = the run's mode) */
  readonly mode: Mode | undefined;
  /** true when the pack reads run history (provenance, exfiltration, resource limits) */
  readonly stateful: boolean;
  /**
   * Findings for one event. Pure: reads `run` (the run's state *before* this event) but never
   * changes it; `texts` is `eventTexts(event)`, computed once per event by the caller.
   */
  check(event: StreamEvent, texts: readonly TextInput[], run: RunState | undefined, out: FrameworkFinding[]): void;
}

export interface RuleMeta {
  severity: Severity;
  action: Action;
  classification: readonly string[];
}

/** Resolve a rule's action: per-rule override from config, else the default. */
export function actionFor(config: PackConfigBase | undefined, rule: string, fallback: Action, entity?: string): Action {
  const a = config?.actions;
  if (a === undefined) return fallback;
  return a[rule] ?? (entity !== undefined ? a[entity] : undefined) ?? fallback;
}

export function isDisabled(config: PackConfigBase | undefined, rule: string): boolean {
  return config?.disabledRules?.includes(rule) ?? false;
}

/** Build a finding for a range of one text input. */
export function makeFinding(
  pack: FrameworkName,
  rule: string,
  meta: RuleMeta,
  input: TextInput,
  start: number,
  end: number,
  message: string,
  sensitive: boolean,
  entity?: string,
): FrameworkFinding {
  const f: FrameworkFinding = {
    pack,
    rule,
    severity: meta.severity,
    classification: meta.classification,
    message,
    action: meta.action,
    evidence: { field: input.field, start, end, excerpt: excerptAround(input.text, start, end, sensitive) },
  };
  if (entity !== undefined) f.entity = entity;
  return f;
}

/** Run the configured external classifier over one input and turn its verdicts into findings. */
export function classifierFindings(
  pack: FrameworkName,
  config: PackConfigBase | undefined,
  input: TextInput,
  meta: RuleMeta,
  out: FrameworkFinding[],
): void {
  const classify = config?.classifier;
  if (classify === undefined) return;
  const threshold = config?.classifierThreshold ?? 0.5;
  for (const v of classify(input)) {
    if (!(v.score >= threshold)) continue;
    const start = v.start ?? 0;
    const end = v.end ?? input.text.length;
    out.push(makeFinding(pack, `classifier:${v.rule}`, meta, input, start, end, v.message ?? `external classifier flagged \`${v.rule}\` (score ${v.score.toFixed(2)})`, false));
  }
}
