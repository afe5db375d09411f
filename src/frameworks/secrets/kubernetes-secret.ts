// Kubernetes Secret manifests: the values of the `data:` / `stringData:` block of a document whose
// kind is Secret. Read line by line with YAML's own scoping: the kind and the block must be in the
// same document (documents end at `---`), and an entry belongs to the block only while it is indented
// deeper than the block's key. Templated, encrypted or very short values are not reported.

import { looksPlaceholder } from './placeholder.js';

const KIND_SECRET = /^[ \t]*kind:[ \t]*(['"]?)Secret\1[ \t]*$/im;
const DATA_BLOCK = /^([ \t]*)(?:data|stringData):[ \t]*$/gm;
const ENTRY = /^[ \t]+[.\w-]+:[ \t]*(.*?)[ \t]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Fewer decoded bytes than this is below any password policy: a flag, a name, a port. */
const MIN_DECODED_BYTES = 6;

function indentOf(line: string): number {
  let k = 0;
  while (k < line.length && (line.charCodeAt(k) === 32 || line.charCodeAt(k) === 9)) k++;
  return k;
}

/**
 * A data value worth reporting: base64 of at least MIN_DECODED_BYTES bytes that is not a template or
 * mask. Placeholder checks look at the decoded text when it is one short value (`changeme`,
 * `xxxx`); binary content and structured documents (a `.dockercfg` JSON naming a registry) are only
 * checked for masks, since runs such as `AAAA` are zero bytes, not typing.
 */
function reportable(value: string): boolean {
  if (value.length < 8 || !BASE64.test(value)) return false;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < MIN_DECODED_BYTES || /x{4}/i.test(value)) return false;
  let printable = true;
  for (const b of bytes) if (b < 9 || (b > 13 && b < 32) || b > 126) printable = false;
  if (!printable || bytes.length > 64 || bytes.includes(123)) return true; // binary, long, or JSON
  const decoded = bytes.toString('latin1').trimEnd();
  return !looksPlaceholder(decoded, 0, decoded.length);
}

function scanDocument(text: string, from: number, to: number, out: [number, number][]): void {
  const doc = text.slice(from, to);
  if (!KIND_SECRET.test(doc)) return;
  const blocks = new RegExp(DATA_BLOCK.source, 'gm');
  let m: RegExpExecArray | null;
  while ((m = blocks.exec(doc)) !== null) {
    const keyIndent = (m[1] as string).length;
    let pos = m.index + m[0].length + 1;
    while (pos < doc.length) {
      const nl = doc.indexOf('\n', pos);
      const lineEnd = nl < 0 ? doc.length : nl;
      const line = doc.slice(pos, lineEnd);
      const lineStart = pos;
      pos = lineEnd + 1;
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const indent = indentOf(line);
      if (indent <= keyIndent) break; // the block ended
      const entry = ENTRY.exec(line);
      if (entry === null) continue;
      let raw = entry[1] as string;
      let valueStart = lineStart + line.lastIndexOf(raw);
      if (/^[|>][-+]?$/.test(raw)) {
        // block scalar: the value is on the next, deeper line
        const nl2 = doc.indexOf('\n', pos);
        const next = doc.slice(pos, nl2 < 0 ? doc.length : nl2);
        if (indentOf(next) <= indent) continue;
        raw = next.trim();
        valueStart = pos + indentOf(next);
      }
      const q = raw.charCodeAt(0);
      if ((q === 34 || q === 39) && raw.length >= 2 && raw.charCodeAt(raw.length - 1) === q) {
        raw = raw.slice(1, -1);
        valueStart++;
      }
      if (reportable(raw)) out.push([from + valueStart, from + valueStart + raw.length]);
    }
  }
}

/** Spans of Secret data values in every YAML document of `text`. */
export function scanKubernetesSecrets(text: string, out: [number, number][]): void {
  const separators = /^---[ \t]*$/gm;
  let from = 0;
  let m: RegExpExecArray | null;
  while ((m = separators.exec(text)) !== null) {
    scanDocument(text, from, m.index, out);
    from = m.index + m[0].length;
  }
  scanDocument(text, from, text.length, out);
}
