// Source loading: YAML or JSON policy text → a located tree (every value knows its span), so later
// stages can point at the exact place of a problem. Sizes and nesting are bounded here, once.

import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Node as YamlNode } from 'yaml';
import type { DiagnosticSink, SourceSpan } from './diagnostics.js';

export const MAX_SOURCE_BYTES = 1 << 20;
export const MAX_NESTING = 64;
export const MAX_NODES = 200_000;

export type LScalar = string | number | boolean | null;

export type LNode =
  | { type: 'scalar'; value: LScalar; span: SourceSpan }
  | { type: 'seq'; items: LNode[]; span: SourceSpan }
  | { type: 'map'; entries: LEntry[]; span: SourceSpan };

export interface LEntry {
  key: string;
  keySpan: SourceSpan;
  value: LNode;
}

/** Parses one policy file into documents. Each YAML document (`---`) is one policy or a list of them. */
export function parseSource(file: string, text: string, sink: DiagnosticSink): LNode[] {
  if (text.length > MAX_SOURCE_BYTES) {
    sink.error('source-too-large', `policy file is ${text.length} characters, the limit is ${MAX_SOURCE_BYTES}`, {
      file,
      offset: 0,
      length: 0,
    });
    return [];
  }
  let docs;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (err) {
    sink.error('syntax', `could not parse policy file: ${(err as Error).message}`, { file, offset: 0, length: 0 });
    return [];
  }
  const list = Array.isArray(docs) ? docs : [];
  const out: LNode[] = [];
  const budget = { nodes: 0 };
  for (const doc of list) {
    let bad = false;
    for (const e of doc.errors) {
      bad = true;
      const offset = e.pos?.[0] ?? 0;
      sink.error('syntax', lowerFirst(firstLine(e.message)), {
        file,
        offset,
        length: Math.max(1, (e.pos?.[1] ?? offset) - offset),
      });
    }
    if (bad) continue;
    if (doc.contents === null || doc.contents === undefined) continue;
    const node = toLocated(doc.contents as YamlNode, file, sink, 0, budget);
    if (node) out.push(node);
  }
  return out;
}

function toLocated(
  node: YamlNode,
  file: string,
  sink: DiagnosticSink,
  depth: number,
  budget: { nodes: number },
): LNode | undefined {
  const range = node.range ?? [0, 0, 0];
  const span: SourceSpan = { file, offset: range[0], length: Math.max(1, range[1] - range[0]) };
  if (++budget.nodes > MAX_NODES) {
    if (budget.nodes === MAX_NODES + 1)
      sink.error('source-too-large', `policy file has more than ${MAX_NODES} values`, span);
    return undefined;
  }
  if (depth > MAX_NESTING) {
    sink.error('nesting-too-deep', `values are nested more than ${MAX_NESTING} levels deep`, span, {
      help: 'flatten the condition; deeply nested policies are rejected to keep evaluation bounded',
    });
    return undefined;
  }
  if (isAlias(node)) {
    sink.error('alias-not-supported', 'YAML aliases are not supported in policies', span, {
      help: 'write the value out in full',
    });
    return undefined;
  }
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return { type: 'scalar', value: v, span };
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) {
        sink.error('invalid-number', 'numbers must be finite', span);
        return undefined;
      }
      return { type: 'scalar', value: v, span };
    }
    if (typeof v === 'bigint') {
      sink.error('invalid-number', `number \`${String(v)}\` is too large`, span);
      return undefined;
    }
    // dates and binary tags: keep their text, the validator decides
    return { type: 'scalar', value: String(node.source ?? v), span };
  }
  if (isSeq(node)) {
    const items: LNode[] = [];
    for (const item of node.items) {
      const child = toLocated(item as YamlNode, file, sink, depth + 1, budget);
      if (child) items.push(child);
    }
    return { type: 'seq', items, span };
  }
  if (isMap(node)) {
    const entries: LEntry[] = [];
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      const kr = k?.range ?? range;
      const keySpan: SourceSpan = { file, offset: kr[0], length: Math.max(1, kr[1] - kr[0]) };
      if (!k || !isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number')) {
        sink.error('invalid-key', 'mapping keys must be plain strings', keySpan);
        continue;
      }
      const key = String(k.value);
      const valueNode = pair.value as YamlNode | null;
      let value: LNode | undefined;
      if (valueNode === null || valueNode === undefined) {
        value = { type: 'scalar', value: null, span: keySpan };
      } else {
        value = toLocated(valueNode, file, sink, depth + 1, budget);
      }
      if (value) entries.push({ key, keySpan, value });
    }
    return { type: 'map', entries, span };
  }
  sink.error('syntax', 'unsupported YAML value', span);
  return undefined;
}

/** Builds a located tree from a plain JS value (builder-made policies); spans point nowhere. */
export function fromPlain(value: unknown, file: string, depth = 0): LNode {
  const span: SourceSpan = { file, offset: 0, length: 0 };
  if (depth > MAX_NESTING) return { type: 'scalar', value: '<too deep>', span };
  if (value === null || value === undefined) return { type: 'scalar', value: null, span };
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number')
    return { type: 'scalar', value, span };
  if (Array.isArray(value)) return { type: 'seq', items: value.map((v) => fromPlain(v, file, depth + 1)), span };
  if (typeof value === 'object') {
    const entries: LEntry[] = [];
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      entries.push({ key, keySpan: span, value: fromPlain(v, file, depth + 1) });
    }
    return { type: 'map', entries, span };
  }
  return { type: 'scalar', value: String(value), span };
}

/** Plain JS value of a located node (for constants such as `set` values). */
export function toPlain(node: LNode): unknown {
  if (node.type === 'scalar') return node.value;
  if (node.type === 'seq') return node.items.map(toPlain);
  const o: Record<string, unknown> = {};
  for (const e of node.entries) o[e.key] = toPlain(e.value);
  return o;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1).replace(/\.$/, '') : s;
}
