// Canonicalisation before matching: rules should see the real text, not a surface string.
// Per code point NFKC folding, removal of invisible characters (zero-width, bidi controls,
// Unicode tag characters), a small homoglyph fold, and safe decoders (percent, HTML entities,
// base64) that never throw. Every transform keeps a map back to the original offsets so that
// evidence points into the string the agent really saw.

/** A canonical view of a string; `map[i]` is the original UTF-16 offset of canonical unit `i`. */
export interface CanonicalText {
  text: string;
  /** null when the canonical text is the original (pure ASCII, nothing removed) */
  map: Int32Array | null;
  /** invisible code units removed (zero-width, bidi, tag characters; emoji joiners not counted) */
  invisible: number;
  /** ASCII text smuggled in Unicode tag characters (U+E0020..U+E007E), if any */
  tagPayload: string;
}

const IDENTITY_EMPTY = '';

/** Zero-width and formatting characters that render as nothing. */
export function isInvisible(c: number): boolean {
  return (
    c === 0x00ad ||
    c === 0x034f ||
    c === 0x061c ||
    c === 0x115f ||
    c === 0x1160 ||
    c === 0x17b4 ||
    c === 0x17b5 ||
    c === 0x180e ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x206f) ||
    c === 0x3164 ||
    c === 0xfeff ||
    c === 0xffa0 ||
    (c >= 0xfe00 && c <= 0xfe0f)
  );
}

// Latin look-alikes that NFKC leaves alone (Cyrillic and Greek letters used to dodge filters).
const HOMOGLYPHS: ReadonlyMap<number, string> = new Map<number, string>([
  [0x0430, 'a'], [0x0435, 'e'], [0x043e, 'o'], [0x0440, 'p'], [0x0441, 'c'], [0x0443, 'y'],
  [0x0445, 'x'], [0x0456, 'i'], [0x0458, 'j'], [0x0455, 's'], [0x0501, 'd'], [0x04bb, 'h'],
  [0x0410, 'A'], [0x0412, 'B'], [0x0415, 'E'], [0x041a, 'K'], [0x041c, 'M'], [0x041d, 'H'],
  [0x041e, 'O'], [0x0420, 'P'], [0x0421, 'C'], [0x0422, 'T'], [0x0425, 'X'], [0x0406, 'I'],
  [0x03bf, 'o'], [0x03b1, 'a'], [0x03b9, 'i'], [0x0391, 'A'], [0x0392, 'B'], [0x0395, 'E'],
  [0x0397, 'H'], [0x0399, 'I'], [0x039a, 'K'], [0x039c, 'M'], [0x039d, 'N'], [0x039f, 'O'],
  [0x03a1, 'P'], [0x03a4, 'T'], [0x03a7, 'X'], [0x0396, 'Z'],
]);

function needsWork(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e) return true;
  return false;
}

/**
 * Canonical form for matching: NFKC per code point, homoglyph fold, invisible characters and
 * tag characters removed (tag characters are decoded into `tagPayload`). Pure ASCII input is
 * returned as is without allocation.
 */
export function canonicalText(s: string): CanonicalText {
  if (!needsWork(s)) return { text: s, map: null, invisible: 0, tagPayload: IDENTITY_EMPTY };
  const out: string[] = [];
  const map: number[] = [];
  let invisible = 0;
  let tag = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x7f) {
      out.push(s[i] as string);
      map.push(i);
      continue;
    }
    // Unicode tag block U+E0000..U+E007F is the surrogate pair DB40 DC00..DC7F.
    if (c === 0xdb40 && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdc7f) {
        const ascii = lo - 0xdc00;
        if (ascii >= 0x20 && ascii <= 0x7e) tag += String.fromCharCode(ascii);
        invisible += 2;
        i++;
        continue;
      }
    }
    if (isInvisible(c)) {
      // joiners and variation selectors are part of ordinary emoji sequences
      if (c !== 0x200d && c !== 0xfe0f && c !== 0xfe0e) invisible++;
      continue;
    }
    const h = HOMOGLYPHS.get(c);
    if (h !== undefined) {
      out.push(h);
      map.push(i);
      continue;
    }
    let cp = s[i] as string;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) cp += s[i + 1];
    const n = cp.normalize('NFKC');
    for (let k = 0; k < n.length; k++) {
      out.push(n[k] as string);
      map.push(i);
    }
    if (cp.length === 2) i++;
  }
  return { text: out.join(''), map: Int32Array.from(map), invisible, tagPayload: tag };
}

/** Map a range in canonical text back to the original string. */
export function originalRange(c: CanonicalText, start: number, end: number, originalLength: number): [number, number] {
  if (c.map === null) return [start, end];
  const s = start < c.map.length ? (c.map[start] as number) : originalLength;
  const e = end - 1 < c.map.length && end > 0 ? (c.map[end - 1] as number) + 1 : originalLength;
  return [s, Math.max(s, e)];
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decoding that never throws; invalid escapes stay as they are. UTF-8 sequences are decoded. */
export function percentDecode(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  let out = '';
  const flush = (): void => {
    if (bytes.length === 0) return;
    out += Buffer.from(bytes).toString('utf8');
    bytes.length = 0;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 && i + 2 < s.length) {
      const h = hexVal(s.charCodeAt(i + 1));
      const l = hexVal(s.charCodeAt(i + 2));
      if (h >= 0 && l >= 0) {
        bytes.push(h * 16 + l);
        i += 2;
        continue;
      }
    }
    flush();
    out += s[i];
  }
  flush();
  return out;
}

/** Repeated percent-decoding (double encoding), bounded. */
export function percentDecodeDeep(s: string, rounds = 3): string {
  let cur = s;
  for (let r = 0; r < rounds; r++) {
    const next = percentDecode(cur);
    if (next === cur) return cur;
    cur = next;
  }
  return cur;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', bsol: '\\', period: '.',
  colon: ':', lpar: '(', rpar: ')', semi: ';', equals: '=', num: '#', percnt: '%', dollar: '$',
  tab: '\t', newline: '\n', lowbar: '_', hyphen: '-', dash: '-', excl: '!', quest: '?', commat: '@',
};

/** HTML entity decoding (named subset, decimal and hex); never throws. */
export function htmlDecode(s: string): string {
  if (s.indexOf('&') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const semi = s.indexOf(';', i + 1);
    if (semi < 0 || semi - i > 12) {
      out += ch;
      continue;
    }
    const body = s.slice(i + 1, semi);
    let rep: string | undefined;
    if (body.startsWith('#x') || body.startsWith('#X')) {
      const n = Number.parseInt(body.slice(2), 16);
      if (Number.isFinite(n) && n >= 0 && n <= 0x10ffff && /^[0-9a-fA-F]+$/.test(body.slice(2))) rep = String.fromCodePoint(n);
    } else if (body.startsWith('#')) {
      const n = Number.parseInt(body.slice(1), 10);
      if (Number.isFinite(n) && n >= 0 && n <= 0x10ffff && /^[0-9]+$/.test(body.slice(1))) rep = String.fromCodePoint(n);
    } else {
      rep = NAMED_ENTITIES[body.toLowerCase()];
    }
    if (rep === undefined) {
      out += ch;
      continue;
    }
    out += rep;
    i = semi;
  }
  return out;
}

function isB64(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 45 || c === 95;
}

export interface DecodedSpan {
  start: number;
  end: number;
  decoded: string;
}

/**
 * Runs of base64 (standard or URL alphabet) of at least `minLength` characters that decode to
 * mostly printable text. Linear in the input; at most `limit` spans are returned.
 */
export function base64TextSpans(s: string, minLength = 24, limit = 8): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  let i = 0;
  while (i < s.length && spans.length < limit) {
    if (!isB64(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < s.length && isB64(s.charCodeAt(i))) i++;
    let end = i;
    while (end < s.length && s.charCodeAt(end) === 61 && end - i < 2) end++;
    const len = i - start;
    if (len >= minLength) {
      const decoded = decodeBase64Text(s.slice(start, i));
      if (decoded !== null) spans.push({ start, end, decoded });
    }
    i = end > i ? end : i;
  }
  return spans;
}

/** Decode base64 and return it only if it is mostly printable text with some spaces. */
export function decodeBase64Text(b64: string): string | null {
  let bad = 0;
  let letters = 0;
  let spaces = 0;
  let text: string;
  try {
    text = Buffer.from(b64.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  } catch {
    return null;
  }
  if (text.length < 8) return null;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === 32) spaces++;
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
    else if (c < 32 && c !== 10 && c !== 13 && c !== 9) bad++;
    else if (c === 0xfffd) bad++;
  }
  if (bad > 0) return null;
  if (letters / text.length < 0.6 || spaces === 0) return null;
  return text;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Mask the middle of a sensitive value, keeping a short recognisable prefix. */
export function maskValue(v: string, keep = 4): string {
  if (v.length <= keep + 2) return '*'.repeat(Math.max(1, v.length));
  const k = Math.min(keep, Math.floor(v.length / 4));
  return v.slice(0, k) + '*'.repeat(Math.min(12, v.length - k));
}

/** An excerpt around [start,end) with the matched part masked (or shown, if not sensitive). */
export function excerptAround(text: string, start: number, end: number, sensitive: boolean, context = 16): string {
  const a = Math.max(0, start - context);
  const b = Math.min(text.length, end + context);
  const mid = text.slice(start, end);
  const shown = sensitive ? maskValue(mid) : mid.length > 80 ? mid.slice(0, 77) + '...' : mid;
  return (a > 0 ? '…' : '') + oneLine(text.slice(a, start)) + '[' + oneLine(shown) + ']' + oneLine(text.slice(end, b)) + (b < text.length ? '…' : '');
}

function oneLine(x: string): string {
  // most excerpts have no line breaks or tabs: skip the regex (and its copy) then
  for (let i = 0; i < x.length; i++) {
    const c = x.charCodeAt(i);
    if (c === 10 || c === 13 || c === 9) return x.replace(/[\r\n\t]+/g, ' ');
  }
  return x;
}
