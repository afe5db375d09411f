// The pack registry: names → packs, the `recommended` set, and FrameworkSet, the object the engine
// holds. A FrameworkSet checks one event against every selected pack (synchronously, one text
// extraction shared by all packs), keeps per-run state through RunState, and converts findings
// into the engine's Violation / Modification vocabulary.

import { createHash } from 'node:crypto';
import type { Mode, Modification, Violation } from '../engine/decision.js';
import { effectiveMode } from '../engine/decision.js';
import type { StreamEvent } from '../events/types.js';
import { DataExfiltrationPack } from './data-exfiltration/index.js';
import type { DataExfiltrationConfig } from './data-exfiltration/index.js';
import { DestructiveCommandsPack } from './destructive-commands/index.js';
import type { DestructiveCommandsConfig } from './destructive-commands/index.js';
import { eventTexts } from './event-text.js';
import type { FrameworkPack } from './pack.js';
import { PathTraversalPack } from './path-traversal/index.js';
import type { PathTraversalConfig } from './path-traversal/index.js';
import { PiiPack } from './pii/index.js';
import type { PiiConfig } from './pii/index.js';
import { PromptInjectionPack } from './prompt-injection/index.js';
import type { PromptInjectionConfig } from './prompt-injection/index.js';
import { ProvenancePack } from './provenance/index.js';
import type { ProvenanceConfig } from './provenance/index.js';
import { redactedFields } from './redact.js';
import { ResourceLimitsPack } from './resource-limits/index.js';
import type { ResourceLimitsConfig } from './resource-limits/index.js';
import { RunState } from './run-state.js';
import { SecretsPack } from './secrets/index.js';
import type { SecretsConfig } from './secrets/index.js';
import { SsrfPack } from './ssrf/index.js';
import type { SsrfConfig } from './ssrf/index.js';
import { FRAMEWORK_NAMES } from './types.js';
import type { FrameworkFinding, FrameworkName, TextInput } from './types.js';

export interface PackConfigs {
  'prompt-injection': PromptInjectionConfig;
  'data-exfiltration': DataExfiltrationConfig;
  provenance: ProvenanceConfig;
  secrets: SecretsConfig;
  pii: PiiConfig;
  'destructive-commands': DestructiveCommandsConfig;
  ssrf: SsrfConfig;
  'path-traversal': PathTraversalConfig;
  'resource-limits': ResourceLimitsConfig;
}

/** Every pack; all of them are on by default. */
export const RECOMMENDED: readonly FrameworkName[] = FRAMEWORK_NAMES;

/**
 * What `initTracing({ frameworks })` / `--frameworks` accept: a list of names (`'recommended'`
 * expands to the recommended set), or a map from name to `true` / a pack config / `false`.
 */
export type FrameworkSelection =
  | readonly (FrameworkName | 'recommended')[]
  | { readonly [K in FrameworkName]?: boolean | PackConfigs[K] } & { readonly recommended?: boolean };

export function isFrameworkName(s: string): s is FrameworkName {
  return (FRAMEWORK_NAMES as readonly string[]).includes(s);
}

/** One pack by name, with its config. */
export function getFramework<K extends FrameworkName>(name: K, config?: PackConfigs[K]): FrameworkPack {
  switch (name) {
    case 'prompt-injection':
      return new PromptInjectionPack(config as PromptInjectionConfig | undefined);
    case 'data-exfiltration':
      return new DataExfiltrationPack(config as DataExfiltrationConfig | undefined);
    case 'provenance':
      return new ProvenancePack(config as ProvenanceConfig | undefined);
    case 'secrets':
      return new SecretsPack(config as SecretsConfig | undefined);
    case 'pii':
      return new PiiPack(config as PiiConfig | undefined);
    case 'destructive-commands':
      return new DestructiveCommandsPack(config as DestructiveCommandsConfig | undefined);
    case 'ssrf':
      return new SsrfPack(config as SsrfConfig | undefined);
    case 'path-traversal':
      return new PathTraversalPack(config as PathTraversalConfig | undefined);
    case 'resource-limits':
      return new ResourceLimitsPack(config as ResourceLimitsConfig | undefined);
    default:
      throw new TypeError(`unknown framework \`${String(name)}\`; known: ${FRAMEWORK_NAMES.join(', ')}`);
  }
}

export type ParseFrameworksResult = { ok: true; names: FrameworkName[] } | { ok: false; message: string };

/** Parse a CLI list such as `recommended,-pii` or `secrets,ssrf`. A leading `-` removes a pack. */
export function parseFrameworkList(list: string): ParseFrameworksResult {
  const names = new Set<FrameworkName>();
  for (const raw of list.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const remove = raw.startsWith('-');
    const name = remove ? raw.slice(1) : raw;
    const expanded = name === 'recommended' ? RECOMMENDED : isFrameworkName(name) ? [name] : null;
    if (expanded === null) return { ok: false, message: `unknown framework \`${name}\`; known: recommended, ${FRAMEWORK_NAMES.join(', ')}` };
    for (const n of expanded) (remove ? names.delete(n) : names.add(n), undefined);
  }
  return { ok: true, names: FRAMEWORK_NAMES.filter((n) => names.has(n)) };
}

export interface CheckResult {
  findings: FrameworkFinding[];
}

export class FrameworkSet {
  readonly packs: readonly FrameworkPack[];
  private readonly stateful: boolean;
  private readonly trusted: readonly string[];
  private readonly versions: ReadonlyMap<FrameworkName, string>;

  constructor(packs: readonly FrameworkPack[], trustedValues: readonly string[] = []) {
    this.packs = packs;
    this.stateful = packs.some((p) => p.stateful) || packs.some((p) => p.name === 'prompt-injection');
    this.trusted = trustedValues;
    this.versions = new Map(packs.map((p) => [p.name, createHash('sha256').update(p.version).digest('hex').slice(0, 16)]));
  }

  get names(): FrameworkName[] {
    return this.packs.map((p) => p.name);
  }

  /** Fresh per-run state (one per runId); configured allowlists count as trusted content. */
  createRunState(runId = ''): RunState {
    const s = new RunState(runId);
    if (this.trusted.length > 0) s.taint.trust(this.trusted);
    return s;
  }

  /** Findings for one event given the run's state before it. Pure with respect to `run`. */
  check(event: StreamEvent, run?: RunState): FrameworkFinding[] {
    const texts = eventTexts(event);
    // kept for the `record` of the same event that usually follows
    this.checkedEvent = event;
    this.checkedTexts = texts;
    const out: FrameworkFinding[] = [];
    for (const p of this.packs) p.check(event, texts, run, out);
    return out;
  }

  private checkedEvent: StreamEvent | undefined;
  private checkedTexts: TextInput[] = [];

  /** Advance the run's state past an event (call after `check`, with its findings; the texts `check` extracted from the same event object are reused, so do not change the event in between). */
  record(event: StreamEvent, run: RunState, findings: readonly FrameworkFinding[]): void {
    const texts = event === this.checkedEvent ? this.checkedTexts : undefined;
    this.checkedEvent = undefined;
    this.checkedTexts = [];
    if (!this.stateful) return;
    run.record(event, texts ?? eventTexts(event), findings);
  }

  /** check + record in one call. */
  evaluate(event: StreamEvent, run: RunState): FrameworkFinding[] {
    const texts = eventTexts(event);
    const out: FrameworkFinding[] = [];
    for (const p of this.packs) p.check(event, texts, run, out);
    if (this.stateful) run.record(event, texts, out);
    return out;
  }

  /** Findings as engine violations judged in `runMode` (each pack's ceiling applied). */
  toViolations(findings: readonly FrameworkFinding[], runMode: Mode): Violation[] {
    return findings.map((f) => {
      const pack = this.packs.find((p) => p.name === f.pack);
      const mode = effectiveMode(runMode, pack?.mode);
      return {
        policy: `${f.pack}/${f.rule}`,
        policyVersion: this.versions.get(f.pack) ?? '',
        policyType: pack?.stateful ? 'sequence' : 'rule',
        framework: f.pack,
        severity: f.severity,
        classification: f.classification.join(','),
        action: f.action,
        effectiveMode: mode,
        shadow: f.action !== 'allow' && mode !== 'enforce',
        message: f.message,
        evidence: [f.evidence],
      } satisfies Violation;
    });
  }

  /** `set` modifications carrying already-redacted values for the `modify` findings. */
  modifications(event: StreamEvent, findings: readonly FrameworkFinding[]): Modification[] {
    const out: Modification[] = [];
    for (const [field, value] of redactedFields(event, findings)) {
      const f = findings.find((x) => x.action === 'modify' && x.evidence.field === field);
      out.push({ policy: f === undefined ? 'frameworks' : `${f.pack}/${f.rule}`, op: 'set', field, value });
    }
    return out;
  }
}

/** Build the set of packs for a selection (see FrameworkSelection). */
export function createFrameworks(selection: FrameworkSelection = ['recommended']): FrameworkSet {
  const chosen = new Map<FrameworkName, unknown>();
  if (Array.isArray(selection)) {
    for (const n of selection as readonly string[]) {
      if (n === 'recommended') for (const r of RECOMMENDED) chosen.set(r, undefined);
      else if (isFrameworkName(n)) chosen.set(n, undefined);
      else throw new TypeError(`unknown framework \`${n}\`; known: recommended, ${FRAMEWORK_NAMES.join(', ')}`);
    }
  } else {
    const map = selection as Record<string, unknown>;
    if (map['recommended'] === true) for (const r of RECOMMENDED) chosen.set(r, undefined);
    for (const [k, v] of Object.entries(map)) {
      if (k === 'recommended') continue;
      if (!isFrameworkName(k)) throw new TypeError(`unknown framework \`${k}\`; known: recommended, ${FRAMEWORK_NAMES.join(', ')}`);
      if (v === false) chosen.delete(k);
      else chosen.set(k, v === true ? undefined : v);
    }
  }
  const packs = FRAMEWORK_NAMES.filter((n) => chosen.has(n)).map((n) => getFramework(n, chosen.get(n) as never));
  const exfil = chosen.get('data-exfiltration') as DataExfiltrationConfig | undefined;
  return new FrameworkSet(packs, exfil?.allowDestinations ?? []);
}
