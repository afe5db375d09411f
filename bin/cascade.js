#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/src/cli (built by `npm run build`, run from `prepare`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  console.error(`cascade: ${err && err.message ? err.message : err}`);
  process.exitCode = 2;
});
