// The better-sqlite3 loader: which build each Node line gets, a clear error for the usual
// failures, and the real driver otherwise.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  BETTER_SQLITE3_BUILDS,
  chooseBetterSqlite3Build,
  loadBetterSqlite3,
  loadBetterSqlite3For,
} from '../../src/native/better-sqlite3.js';
import { SUPPORTED_NODE_LINES } from '../../src/native/node-support.js';
import { abiMismatch, emptyRequire, errorOf, fakeEnv, readJson } from './helpers.js';

describe('better-sqlite3 builds', () => {
  it('every supported Node line has exactly one build', () => {
    for (const line of SUPPORTED_NODE_LINES) {
      expect(BETTER_SQLITE3_BUILDS.filter((b) => b.nodeMajors.includes(line.major)), `Node ${line.major}`).toHaveLength(1);
    }
  });

  it('each build is in package.json where the table says, as better-sqlite3 or an alias of it', () => {
    const pkg = readJson('package.json') as Record<string, Record<string, string> | undefined>;
    for (const b of BETTER_SQLITE3_BUILDS) {
      const section = b.optional ? 'optionalDependencies' : 'dependencies';
      const spec = b.packageName === 'better-sqlite3' ? b.betterSqlite3 : `npm:better-sqlite3@${b.betterSqlite3}`;
      expect(pkg[section]?.[b.packageName], `${section}.${b.packageName}`).toBe(spec);
    }
  });

  it('the locked 13.x alias declares engines that keep npm from installing it on Node 20', () => {
    const lock = readJson('package-lock.json') as {
      packages: Record<string, { name?: string; version?: string; optional?: boolean; engines?: { node?: string } }>;
    };
    const entry = lock.packages['node_modules/better-sqlite3-v13'];
    expect(entry?.name).toBe('better-sqlite3');
    expect(entry?.version).toMatch(/^13\./);
    expect(entry?.optional).toBe(true);
    expect(entry?.engines?.node).toBe('>=22');
    expect(lock.packages['node_modules/better-sqlite3']?.version).toMatch(/^12\./);
  });

  it('chooses 12.x on Node 20 and 13.x on Node 22, 24 and newer lines', () => {
    expect(chooseBetterSqlite3Build('v20.19.0').packageName).toBe('better-sqlite3');
    expect(chooseBetterSqlite3Build('v22.12.0').packageName).toBe('better-sqlite3-v13');
    expect(chooseBetterSqlite3Build('v24.21.0').packageName).toBe('better-sqlite3-v13');
    expect(chooseBetterSqlite3Build('v26.0.0').packageName).toBe('better-sqlite3-v13');
  });

  it('refuses the odd lines in between, naming the supported ones', () => {
    for (const v of ['v21.7.3', 'v23.11.0']) {
      const err = errorOf(() => chooseBetterSqlite3Build(v));
      expect(err.code).toBe('no_build_for_node');
      expect(err.message).toContain(`Node.js ${v}`);
      expect(err.message).toContain('Node.js 20.19+, 22.12+ or 24');
    }
  });
});

describe('loading better-sqlite3, when it cannot be loaded', () => {
  it('refuses Node 18 with the supported versions', () => {
    const err = errorOf(() => loadBetterSqlite3For(fakeEnv('v18.20.8', emptyRequire(), '108')));
    expect(err.code).toBe('unsupported_node');
    expect(err.message).toContain('Node.js 20.19+, 22.12+ or 24');
    expect(err.message).toContain('the findings store (better-sqlite3)');
  });

  it('says how to install the 13.x build when node_modules came from Node 20', () => {
    const err = errorOf(() => loadBetterSqlite3For(fakeEnv('v24.21.0', emptyRequire())));
    expect(err.code).toBe('not_installed');
    expect(err.packageName).toBe('better-sqlite3-v13');
    expect(err.message).toContain('run `npm ci` (or `npm install`) again with Node.js v24.21.0');
  });

  it('catches an addon built for another Node.js at load, not at the first query', () => {
    // better-sqlite3 opens its addon in the Database constructor; the loader opens one in memory
    class Database {
      constructor() {
        throw abiMismatch('/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node', 137, 115);
      }
    }
    const err = errorOf(() => loadBetterSqlite3For(fakeEnv('v20.20.2', () => Database, '115')));
    expect(err.code).toBe('built_for_other_node');
    expect(err.message).toContain('`npm rebuild better-sqlite3`');
    expect(err.message).toContain('NODE_MODULE_VERSION 137');
    expect(err.message).toContain('Node.js v20.20.2 (NODE_MODULE_VERSION 115)');
  });
});

describe('better-sqlite3 on this Node.js', () => {
  it('returns the working driver of the build chosen for this version', () => {
    const Database = loadBetterSqlite3() as new (f: string) => { prepare(s: string): { get(): unknown }; close(): void };
    expect(loadBetterSqlite3()).toBe(Database);
    const build = chooseBetterSqlite3Build(process.version);
    const require = createRequire(import.meta.url);
    expect(require(build.packageName)).toBe(Database);
    const version = (require(`${build.packageName}/package.json`) as { version: string }).version;
    expect(version.split('.')[0]).toBe(build.betterSqlite3.replace(/^\^/, '').split('.')[0]);
    const db = new Database(':memory:');
    expect(db.prepare('SELECT 6 * 7 AS answer').get()).toEqual({ answer: 42 });
    db.close();
  });
});
