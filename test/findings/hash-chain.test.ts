import { loadBetterSqlite3 } from '../../src/native/better-sqlite3.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings/finding.js';
import { buildFindings } from '../../src/findings/finding.js';
import { chainFindings, GENESIS_HASH, hashFinding, verifyChain } from '../../src/findings/hash-chain.js';
import { SqliteFindingStore } from '../../src/findings/sqlite-store.js';
import { decision, tempDir, toolCall, violation } from './helpers.js';

// the build the store itself uses (better-sqlite3 12.x aborts on Node 24 when statements are collected)
const Database = loadBetterSqlite3() as new (path: string) => {
  prepare(sql: string): { run(...p: unknown[]): unknown; get(...p: unknown[]): unknown };
  close(): void;
};

function findings(n: number, runId = 'run-1'): Finding[] {
  return Array.from({ length: n }, (_, i) =>
    buildFindings(toolCall({ runId, callId: `call-${i}` }), decision({ violations: [violation({ message: `finding ${i}` })] }), {
      project: 'p',
      runMode: 'enforce',
      now: 1,
    }),
  ).flat();
}

describe('hash chain (in memory)', () => {
  const chain = chainFindings(findings(5));

  it('links every record to the one before it', () => {
    expect(chain[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < chain.length; i++) expect(chain[i]?.prevHash).toBe(chain[i - 1]?.hash);
    expect(verifyChain(chain)).toEqual({ ok: true, count: 5, lastHash: chain[4]?.hash });
  });

  it('detects an edited record', () => {
    const edited = chain.map((f, i) => (i === 2 ? { ...f, message: 'nothing to see' } : f));
    expect(verifyChain(edited)).toMatchObject({ ok: false, index: 2, reason: 'hash_mismatch', findingId: chain[2]?.id });
  });

  it('detects an edit that also recomputed the record hash (the next link breaks)', () => {
    const forged = { ...(chain[2] as Finding), severity: 'low' as const };
    forged.hash = hashFinding(forged);
    const edited = chain.map((f, i) => (i === 2 ? forged : f));
    expect(verifyChain(edited)).toMatchObject({ ok: false, index: 3, reason: 'broken_link' });
  });

  it('detects removed and reordered records', () => {
    expect(verifyChain([chain[0], chain[2], chain[3]] as Finding[])).toMatchObject({ ok: false, index: 1, reason: 'broken_link' });
    expect(verifyChain([chain[1], chain[0]] as Finding[])).toMatchObject({ ok: false, index: 0, reason: 'broken_link' });
  });

  it('reports unchained records', () => {
    expect(verifyChain(findings(1))).toMatchObject({ ok: false, index: 0, reason: 'missing_hash' });
  });
});

describe('hash chain in the SQLite store', () => {
  const dirs: (() => void)[] = [];
  afterEach(() => {
    for (const c of dirs.splice(0)) c();
  });

  function openStore(): { store: SqliteFindingStore; path: string } {
    const dir = tempDir();
    dirs.push(dir.cleanup);
    const path = join(dir.path, 'cascade.db');
    return { store: SqliteFindingStore.open({ path, exitHooks: false }), path };
  }

  it('chains across batches and reopenings, and verifies', () => {
    const { store, path } = openStore();
    const all = findings(30);
    store.recordFindings(all.slice(0, 10));
    store.flush();
    store.recordFindings(all.slice(10, 20));
    store.close();
    const again = SqliteFindingStore.open({ path, exitHooks: false });
    again.recordFindings(all.slice(20));
    // a duplicate id is ignored and does not fork the chain
    again.recordFinding(all[0] as Finding);
    again.flush();
    expect(again.verifyChain()).toMatchObject({ ok: true, count: 30 });
    again.close();
  });

  it('detects a record edited in the database file', () => {
    const { store, path } = openStore();
    store.recordFindings(findings(10));
    store.close();
    const raw = new Database(path);
    raw.prepare("UPDATE findings SET outcome = 'flagged' WHERE seq = 5").run();
    raw.close();
    const reopened = SqliteFindingStore.open({ path, exitHooks: false });
    expect(reopened.verifyChain()).toMatchObject({ ok: false, index: 4, reason: 'hash_mismatch' });
    reopened.close();
  });

  it('detects an edited JSON record and a deleted row', () => {
    const { store, path } = openStore();
    store.recordFindings(findings(10));
    store.close();
    const raw = new Database(path);
    raw.prepare(`UPDATE findings SET record = json_set(record, '$.severity', 'info') WHERE seq = 3`).run();
    raw.close();
    const s1 = SqliteFindingStore.open({ path, exitHooks: false });
    expect(s1.verifyChain()).toMatchObject({ ok: false, index: 2, reason: 'hash_mismatch' });
    s1.close();
    const raw2 = new Database(path);
    raw2.prepare(`UPDATE findings SET record = json_set(record, '$.severity', 'high') WHERE seq = 3`).run();
    raw2.prepare('DELETE FROM findings WHERE seq = 7').run();
    raw2.close();
    const s2 = SqliteFindingStore.open({ path, exitHooks: false });
    expect(s2.verifyChain()).toMatchObject({ ok: false, index: 6, reason: 'broken_link' });
    s2.close();
  });
});
