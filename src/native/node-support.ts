// The Node.js lines this package supports, in one place: package.json `engines`, the native loaders
// and docs/node-versions.md follow this table (test/native/node-support.test.ts holds them to it).

export interface NodeLine {
  major: number;
  /** the oldest release of the line we support (the dev toolchain, vite/rolldown, sets 20.19 and 22.12) */
  minimum: string;
}

export const SUPPORTED_NODE_LINES: readonly NodeLine[] = [
  { major: 20, minimum: '20.19.0' },
  { major: 22, minimum: '22.12.0' },
  { major: 24, minimum: '24.0.0' },
];

export interface NodeVersion {
  major: number;
  minor: number;
  patch: number;
  /** as given, e.g. `v24.21.0` */
  text: string;
}

export function parseNodeVersion(version: string): NodeVersion {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (m === null) throw new TypeError(`\`${version}\` is not a Node.js version`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: version };
}

/** The `engines.node` range for package.json, e.g. `^20.19.0 || ^22.12.0 || ^24.0.0`. */
export function supportedNodeRange(lines: readonly NodeLine[] = SUPPORTED_NODE_LINES): string {
  return lines.map((l) => `^${l.minimum}`).join(' || ');
}

/** For messages: `Node.js 20.19+, 22.12+ or 24`. */
export function describeSupportedNode(lines: readonly NodeLine[] = SUPPORTED_NODE_LINES): string {
  const parts = lines.map((l) => (l.minimum.endsWith('.0.0') ? String(l.major) : `${l.minimum.replace(/\.0$/, '')}+`));
  const last = parts.pop();
  return `Node.js ${parts.length > 0 ? `${parts.join(', ')} or ${last}` : last}`;
}

/** A line of the table includes this version (major matches and it is not older than the line's minimum). */
export function isSupportedNode(version: string, lines: readonly NodeLine[] = SUPPORTED_NODE_LINES): boolean {
  const v = parseNodeVersion(version);
  return lines.some((l) => l.major === v.major && compareVersions(v, parseNodeVersion(l.minimum)) >= 0);
}

/** Older than the oldest supported line: nothing native is expected to work there. */
export function isOlderThanSupported(version: string, lines: readonly NodeLine[] = SUPPORTED_NODE_LINES): boolean {
  const oldest = lines[0];
  if (oldest === undefined) return false;
  return parseNodeVersion(version).major < oldest.major;
}

function compareVersions(a: NodeVersion, b: NodeVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}
