// The supported-Node table is the one truth: package.json engines, the lockfile and the docs follow it.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  describeSupportedNode,
  isOlderThanSupported,
  isSupportedNode,
  parseNodeVersion,
  SUPPORTED_NODE_LINES,
  supportedNodeRange,
} from '../../src/native/node-support.js';
import { readJson } from './helpers.js';

describe('supported Node.js lines', () => {
  it('package.json engines states exactly the table', () => {
    const pkg = readJson('package.json') as { engines: { node: string } };
    expect(pkg.engines.node).toBe(supportedNodeRange());
    expect(pkg.engines.node).toBe('^20.19.0 || ^22.12.0 || ^24.0.0');
  });

  it('the lockfile root carries the same engines (npm ci reads the lockfile)', () => {
    const lock = readJson('package-lock.json') as { packages: Record<string, { engines?: { node?: string } }> };
    expect(lock.packages['']?.engines?.node).toBe(supportedNodeRange());
  });

  it('docs/node-versions.md names every supported line', () => {
    const doc = readFileSync(new URL('../../docs/node-versions.md', import.meta.url), 'utf8');
    for (const line of SUPPORTED_NODE_LINES) expect(doc).toContain(line.minimum);
    expect(doc).toContain(supportedNodeRange());
  });

  it('describes the lines for messages', () => {
    expect(describeSupportedNode()).toBe('Node.js 20.19+, 22.12+ or 24');
    expect(describeSupportedNode([{ major: 24, minimum: '24.0.0' }])).toBe('Node.js 24');
  });

  it('includes a version only within a line and at or above its minimum', () => {
    expect(isSupportedNode('v20.19.0')).toBe(true);
    expect(isSupportedNode('v20.20.2')).toBe(true);
    expect(isSupportedNode('v20.18.3')).toBe(false);
    expect(isSupportedNode('v22.11.0')).toBe(false);
    expect(isSupportedNode('v22.23.3')).toBe(true);
    expect(isSupportedNode('v24.21.0')).toBe(true);
    expect(isSupportedNode('v21.7.3')).toBe(false);
    expect(isSupportedNode('v25.0.0')).toBe(false);
    expect(isSupportedNode('v26.1.0')).toBe(false);
  });

  it('calls only majors below the oldest line too old', () => {
    expect(isOlderThanSupported('v18.20.8')).toBe(true);
    expect(isOlderThanSupported('v19.9.0')).toBe(true);
    expect(isOlderThanSupported('v20.0.0')).toBe(false);
    expect(isOlderThanSupported('v26.0.0')).toBe(false);
  });

  it('parses process.version and refuses anything else', () => {
    expect(parseNodeVersion('v24.21.0')).toEqual({ major: 24, minor: 21, patch: 0, text: 'v24.21.0' });
    expect(parseNodeVersion('22.12.0-pre')).toMatchObject({ major: 22, minor: 12, patch: 0 });
    expect(() => parseNodeVersion('lts/iron')).toThrow(/`lts\/iron` is not a Node.js version/);
  });

  it('this process runs a supported Node.js (CI runs the suite on 20 and 24)', () => {
    expect(isSupportedNode(process.version), `running ${process.version}`).toBe(true);
  });

  it('scripts/ci/require-supported-node.mjs (pretest, predemo) agrees with the table', () => {
    const pkg = readJson('package.json') as { scripts: Record<string, string> };
    expect(pkg.scripts['pretest']).toBe('node scripts/ci/require-supported-node.mjs');
    expect(pkg.scripts['predemo']).toBe('node scripts/ci/require-supported-node.mjs');
    const script = new URL('../../scripts/ci/require-supported-node.mjs', import.meta.url).pathname;
    const env = { ...process.env, CASCADE_SKIP_NODE_CHECK: '' };
    for (const v of ['v18.20.8', 'v20.18.3', 'v20.19.0', 'v21.7.3', 'v22.11.0', 'v22.12.0', 'v24.0.0', 'v24.21.0', 'v25.1.0', 'v26.0.0']) {
      let refused = false;
      try {
        execFileSync(process.execPath, [script, v], { env, stdio: 'pipe' });
      } catch (err) {
        refused = true;
        const stderr = String((err as { stderr?: Buffer }).stderr);
        expect(stderr).toContain(`this is Node.js ${v}`);
        expect(stderr).toContain(supportedNodeRange());
      }
      expect(refused, v).toBe(!isSupportedNode(v));
    }
  });
});
