// Run under an unsupported Node.js (CI uses 18) after `npm run build`: each native part must refuse
// with one NativeModuleError that names the running version and the supported ones, not a dlopen
// failure or a native abort. Loads the built loaders from dist/, as a user's install would.
// usage: scripts/ci/with-node 18 node scripts/ci/check-unsupported-node.mjs

const dist = new URL('../../dist/src/native/', import.meta.url);
const { loadIsolatedVm } = await import(new URL('isolated-vm.js', dist).href);
const { loadBetterSqlite3 } = await import(new URL('better-sqlite3.js', dist).href);
const { describeSupportedNode } = await import(new URL('node-support.js', dist).href);

let failed = 0;
for (const [what, load] of [
  ['isolated-vm', loadIsolatedVm],
  ['better-sqlite3', loadBetterSqlite3],
]) {
  try {
    load();
    console.log(`FAIL ${what}: loaded on ${process.version}, expected a refusal`);
    failed++;
  } catch (err) {
    const ok =
      err?.name === 'NativeModuleError' &&
      err.code === 'unsupported_node' &&
      err.message.includes(process.version) &&
      err.message.includes(describeSupportedNode());
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what} on ${process.version}: ${err?.name}: ${err?.message}`);
    if (!ok) failed++;
  }
}
process.exitCode = failed === 0 ? 0 : 1;
