// Stops `npm test` and `npm run demo` (their pre-scripts) under a Node.js outside package.json
// `engines`, with one message, instead of a failure deep in the toolchain (vitest on Node 18 dies
// with "node:util does not provide an export named styleText"). Plain JavaScript that runs on old
// Node versions. CASCADE_SKIP_NODE_CHECK=1 lets you try an unlisted line anyway.
// usage: node scripts/ci/require-supported-node.mjs [version]   (default: this Node.js)

import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const range = pkg.engines && pkg.engines.node;
const version = process.argv[2] || process.version;

function parse(v) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m && [Number(m[1]), Number(m[2]), Number(m[3])];
}

// `^X.Y.Z || ^X.Y.Z ...`, the only form package.json uses (test/native/node-support.test.ts)
function satisfies(v, r) {
  return r.split('||').some((part) => {
    const min = parse(part.trim().replace(/^\^/, ''));
    if (!min || !/^\^/.test(part.trim())) throw new Error(`engines range \`${r}\` is not of the form ^X.Y.Z || ...`);
    return v[0] === min[0] && (v[1] > min[1] || (v[1] === min[1] && v[2] >= min[2]));
  });
}

const v = parse(version);
if (!v) {
  console.error(`cascade-runtime: \`${version}\` is not a Node.js version`);
  process.exit(2);
}
if (!satisfies(v, range) && process.env.CASCADE_SKIP_NODE_CHECK !== '1') {
  console.error(
    `cascade-runtime supports Node.js ${range} (package.json engines) and this is Node.js ${version}: ` +
      'switch to a supported Node.js, then run `npm ci` again so the native builds match it ' +
      '(docs/node-versions.md; CASCADE_SKIP_NODE_CHECK=1 to try anyway)',
  );
  process.exit(1);
}
