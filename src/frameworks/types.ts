// Shared shapes of the built-in security frameworks (detector packs): findings, text inputs,
// per-pack configuration. The engine turns findings into `Violation`s (see violation.ts).

import type { Action, Mode, Severity } from '../engine/decision.js';
import type { Direction, EventKind } from '../events/types.js';

export const FRAMEWORK_NAMES = [
  'prompt-injection',
  'data-exfiltration',
  'provenance',
  'secrets',
  'pii',
  'destructive-commands',
  'ssrf',
  'path-traversal',
  'resource-limits',
] as const;

export type FrameworkName = (typeof FRAMEWORK_NAMES)[number];

/** Where a finding points: a field path inside the event and a UTF-16 range of its string value. */
export interface FindingEvidence {
  field: string;
  start: number;
  end: number;
  /** short excerpt around the match with the sensitive part masked; never the raw secret */
  excerpt: string;
}

export interface FrameworkFinding {
  pack: FrameworkName;
  /** stable rule id inside the pack, e.g. `github-pat`, `rm-recursive-root` */
  rule: string;
  severity: Severity;
  /** OWASP LLM Top 10 2025 (`LLM01`), OWASP Agentic threats (`T2`), MITRE ATLAS (`AML.T0051`) ids */
  classification: readonly string[];
  message: string;
  /**
   * What the pack asks for in enforce mode. `allow` means record-only: the finding is kept
   * (outcome `flag`) but never intervenes, even in enforce.
   */
  action: Action;
  evidence: FindingEvidence;
  /** entity or provider for packs that classify what they found (`email`, `aws`, ...) */
  entity?: string;
}

/** One string value of an event, with where it sits and where its content came from. */
export interface TextInput {
  text: string;
  /** field path inside the event: `args.to`, `result.body`, `messages[2].content` */
  field: string;
  /** `fieldLeaf(field)`: the last key of the path, lower-cased, without indices (set by `eventTexts`) */
  leaf?: string;
  direction: Direction;
  kind: EventKind;
  /** tool name for `tool.call` / `tool.result` / tool calls inside `llm.response` */
  tool?: string;
}

/** An external classifier (e.g. a local model) that a pack may consult; must be synchronous. */
export type ExternalClassifier = (input: TextInput) => readonly ClassifierVerdict[];

export interface ClassifierVerdict {
  rule: string;
  score: number;
  start?: number;
  end?: number;
  message?: string;
}

/** Settings every pack accepts; packs add their own fields on top. */
export interface PackConfigBase {
  /** mode ceiling: `detect` keeps the pack in shadow inside an enforce run */
  mode?: Mode;
  /** replace the default action of given rules (or of entities, for `pii` / `secrets`) */
  actions?: Readonly<Record<string, Action>>;
  /** rules to switch off */
  disabledRules?: readonly string[];
  /** optional synchronous external classifier, consulted after the built-in rules */
  classifier?: ExternalClassifier;
  /** minimum classifier score that becomes a finding (default 0.5) */
  classifierThreshold?: number;
}
