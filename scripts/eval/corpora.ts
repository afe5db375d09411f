// Loaders for the public corpora in ../shared/corpora (relative to the repository root), used as
// is. Shared by `npm run eval` and the dataset-level tests.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, '..', '..');
export const CORPORA_DIR = resolve(REPO_ROOT, '..', 'shared', 'corpora');

export function corporaAvailable(): boolean {
  return existsSync(join(CORPORA_DIR, 'secrets-gitleaks', 'samples.jsonl'));
}

function read(rel: string): string {
  return readFileSync(join(CORPORA_DIR, rel), 'utf8');
}

// ------------------------------------------------------------------ secrets (gitleaks)

export interface SecretSample {
  rule: string;
  text: string;
  secret: boolean;
  origin: 'literal' | 'template' | 'generated';
  path?: string;
}

export function loadSecretSamples(): SecretSample[] {
  return read('secrets-gitleaks/samples.jsonl')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SecretSample);
}

// ------------------------------------------------------------------ PII (Presidio synthetic)

export interface PiiSpan {
  entity_type: string;
  entity_value: string;
  start_position: number;
  end_position: number;
}
export interface PiiRecord {
  full_text: string;
  spans: PiiSpan[];
  template_id: number;
}

export function loadPiiRecords(): PiiRecord[] {
  return JSON.parse(read('pii-presidio/synth_dataset_v2.json')) as PiiRecord[];
}

// ------------------------------------------------------------------ InjecAgent

export interface InjecAgentCase {
  'Attacker Tools': string[];
  'Attacker Instruction': string;
  'Attack Type': string;
  'User Tool': string;
  'User Instruction': string;
  'Tool Parameters': string;
  'Tool Response Template': string;
  'Tool Response': string;
  /** which file the case came from */
  set: 'dh_base' | 'dh_enhanced' | 'ds_base' | 'ds_enhanced';
}

export function loadInjecAgentCases(): InjecAgentCase[] {
  const out: InjecAgentCase[] = [];
  for (const set of ['dh_base', 'dh_enhanced', 'ds_base', 'ds_enhanced'] as const) {
    const rows = JSON.parse(read(`injecagent/test_cases_${set}.json`)) as Omit<InjecAgentCase, 'set'>[];
    for (const r of rows) out.push({ ...r, set });
  }
  return out;
}

export interface InjecAgentToolkit {
  toolkit: string;
  name_for_model: string;
  tools: { name: string; summary: string; parameters: { name: string; type: string; description: string; required: boolean }[] }[];
}

export function loadInjecAgentTools(): InjecAgentToolkit[] {
  return JSON.parse(read('injecagent/tools.json')) as InjecAgentToolkit[];
}

// ------------------------------------------------------------------ SSRF payloads

export interface SsrfEntry {
  url: string;
  file: string;
  section: string;
  in_code_block: boolean;
  label: 'internal_target' | 'dangerous_scheme' | 'redirect_or_dns_trick' | 'reference_not_payload';
}

export function loadSsrfEntries(): SsrfEntry[] {
  return read('ssrf/ssrf_urls.jsonl')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SsrfEntry);
}

export function loadSsrfInternalTargets(): string[] {
  return read('ssrf/ssrf_internal_targets.txt').split('\n').filter((l) => l.trim() !== '');
}

// ------------------------------------------------------------------ shell (NL2Bash)

export function loadShellCommands(): string[] {
  return read('shell-benign/all.cm.txt').split('\n').filter((l) => l.trim() !== '');
}
