// Optional tamper evidence for the findings log: each record carries the previous record's hash
// and its own hash over its canonical JSON. Editing, deleting, inserting or reordering a record
// breaks the chain at that point, which `verifyChain` reports.

import { canonicalJson, DIGEST_PREFIX, sha256Hex } from './canonical-json.js';
import type { Finding } from './finding.js';

/** The `prevHash` of the first record of a chain. */
export const GENESIS_HASH = DIGEST_PREFIX + '0'.repeat(64);

/** Hash of a finding over every member except `hash` itself (`prevHash` included). */
export function hashFinding(finding: Finding): string {
  const { hash: _ignored, ...rest } = finding;
  return DIGEST_PREFIX + sha256Hex(canonicalJson(rest));
}

/** Returns a copy of `finding` linked after `prevHash`. */
export function chainFinding(finding: Finding, prevHash: string): Finding {
  const { hash: _h, prevHash: _p, ...rest } = finding;
  const linked: Finding = { ...rest, prevHash };
  return { ...linked, hash: hashFinding(linked) };
}

/** Links findings in order, starting after `prevHash` (the genesis hash for a new log). */
export function chainFindings(findings: readonly Finding[], prevHash: string = GENESIS_HASH): Finding[] {
  const out: Finding[] = [];
  let prev = prevHash;
  for (const f of findings) {
    const linked = chainFinding(f, prev);
    out.push(linked);
    prev = linked.hash as string;
  }
  return out;
}

export type ChainVerification =
  | { ok: true; count: number; lastHash: string }
  | {
      ok: false;
      /** records checked before the failure */
      count: number;
      /** position of the first bad record */
      index: number;
      findingId: string;
      reason: 'missing_hash' | 'hash_mismatch' | 'broken_link';
      message: string;
    };

type ChainFailure = Extract<ChainVerification, { ok: false }>;

/** Checks records one at a time (for logs too large to hold in memory). */
export class ChainVerifier {
  private prev: string;
  private index = 0;
  private failure: ChainFailure | undefined;

  constructor(startAfter: string = GENESIS_HASH) {
    this.prev = startAfter;
  }

  /** Checks the next record; returns the failure once the chain is broken. */
  next(f: Finding): ChainFailure | undefined {
    if (this.failure !== undefined) return this.failure;
    const at = this.index;
    if (typeof f.hash !== 'string' || typeof f.prevHash !== 'string') {
      return this.fail(f, 'missing_hash', `finding \`${f.id}\` at position ${at} is not chained`);
    }
    if (f.prevHash !== this.prev) {
      return this.fail(f, 'broken_link', `finding \`${f.id}\` at position ${at} does not follow the record before it (a record was removed, inserted or reordered)`);
    }
    if (hashFinding(f) !== f.hash) {
      return this.fail(f, 'hash_mismatch', `finding \`${f.id}\` at position ${at} was modified after it was recorded`);
    }
    this.prev = f.hash;
    this.index++;
    return undefined;
  }

  /** Marks the record at the current position as modified for a reason found outside the hash. */
  reject(findingId: string, message: string): ChainFailure {
    this.failure ??= { ok: false, count: this.index, index: this.index, findingId, reason: 'hash_mismatch', message };
    return this.failure;
  }

  result(): ChainVerification {
    return this.failure ?? { ok: true, count: this.index, lastHash: this.prev };
  }

  private fail(f: Finding, reason: ChainFailure['reason'], message: string): ChainFailure {
    this.failure = { ok: false, count: this.index, index: this.index, findingId: f.id, reason, message };
    return this.failure;
  }
}

/** Checks a chain from its first record (or from after `startAfter`, for a slice of a longer log). */
export function verifyChain(findings: Iterable<Finding>, startAfter: string = GENESIS_HASH): ChainVerification {
  const verifier = new ChainVerifier(startAfter);
  for (const f of findings) if (verifier.next(f) !== undefined) break;
  return verifier.result();
}
