// better-sqlite3 for the findings store, the build that is safe on the running Node.js:
// - 12.x (the plain `better-sqlite3` dependency) on Node 20: it wraps V8 objects with the raw
//   node::ObjectWrap, and built against Node 24's headers that wrapper's destructor asserts when
//   a Statement is garbage collected outside a Node context, aborting the process (reproduced on
//   24.21.0: a loop of prepared statements plus ordinary allocation, SIGABRT in
//   RemoveEnvironmentCleanupHook);
// - 13.x (the optional alias `better-sqlite3-v13`, `engines: >=22`, Node-API binaries shipped in the
//   package) on Node 22 and later; it segfaults on Node 20.
// Same API in both, so src/findings types one slice. Load failures become a NativeModuleError.

import { NativeModuleError } from './errors.js';
import { describeSupportedNode, parseNodeVersion } from './node-support.js';
import { assertNodeNotTooOld, processEnvironment, requireNative, translateLoadError, type NativeEnvironment } from './require-native.js';

export interface BetterSqlite3Build {
  /** the dependency name in package.json (plain or an npm alias) */
  packageName: string;
  /** the better-sqlite3 range behind it */
  betterSqlite3: string;
  /** Node majors this build is used on */
  nodeMajors: readonly number[];
  /** in `optionalDependencies` (npm skips it where its engines exclude the running Node) */
  optional: boolean;
}

export const BETTER_SQLITE3_BUILDS: readonly BetterSqlite3Build[] = [
  { packageName: 'better-sqlite3', betterSqlite3: '^12.11.1', nodeMajors: [20], optional: false },
  { packageName: 'better-sqlite3-v13', betterSqlite3: '^13.2.0', nodeMajors: [22, 24], optional: true },
];

const WHAT = 'the findings store (better-sqlite3)';

/**
 * The build for this Node.js. A line not in the table but newer than all of it gets the newest
 * build (Node-API binaries are not tied to one Node version); one in between is refused.
 */
export function chooseBetterSqlite3Build(nodeVersion: string, builds: readonly BetterSqlite3Build[] = BETTER_SQLITE3_BUILDS): BetterSqlite3Build {
  const { major } = parseNodeVersion(nodeVersion);
  const listed = builds.find((b) => b.nodeMajors.includes(major));
  if (listed !== undefined) return listed;
  const newest = builds[builds.length - 1];
  if (newest !== undefined && major > Math.max(...newest.nodeMajors)) return newest;
  throw new NativeModuleError(
    'no_build_for_node',
    `${WHAT} has no better-sqlite3 build for Node.js ${nodeVersion} in this release of cascade-runtime; ` +
      `it supports ${describeSupportedNode()} (see docs/node-versions.md)`,
    nodeVersion,
  );
}

type ProbeConstructor = new (filename: string) => { close(): void };

/** Loads the better-sqlite3 build for `env` and opens its addon once; throws NativeModuleError. */
export function loadBetterSqlite3For(env: NativeEnvironment, builds: readonly BetterSqlite3Build[] = BETTER_SQLITE3_BUILDS): unknown {
  assertNodeNotTooOld(env, WHAT);
  const build = chooseBetterSqlite3Build(env.nodeVersion, builds);
  const options = {
    what: WHAT,
    rebuildHint: build.optional
      ? `run \`npm ci\` (or \`npm install\`) again with Node.js ${env.nodeVersion}`
      : `run \`npm rebuild ${build.packageName}\` (or \`npm ci\`) with Node.js ${env.nodeVersion}`,
  };
  const Database = requireNative(build.packageName, env, options);
  // the addon is opened by the first `new Database()`, not by require: open it here so a binary
  // built for another Node.js fails with this message, not as "cannot open <file>" later
  try {
    new (Database as ProbeConstructor)(':memory:').close();
  } catch (err) {
    throw translateLoadError(build.packageName, env, options, err);
  }
  return Database;
}

let loaded: unknown;

/** better-sqlite3's `Database` constructor for this process (untyped: src/findings types its slice). */
export function loadBetterSqlite3(): unknown {
  loaded ??= loadBetterSqlite3For(processEnvironment());
  return loaded;
}
