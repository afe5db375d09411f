// secrets pack: credentials in prompts, tool arguments, tool results and responses.
// Three detectors, all single pass: provider token formats (declarative prefix table), secret-ish
// assignments (`api_key = "…"`, `"password": "…"`, `<token>…</token>`, `Authorization: …`,
// `curl -u user:pass`), and structural secrets (PEM private keys, credentials inside URLs,
// Kubernetes Secret manifests). Entropy and placeholder checks run after a candidate is found.

import type { StreamEvent } from '../../events/types.js';
import type { FrameworkPack, RuleMeta } from '../pack.js';
import { actionFor, classifierFindings, isDisabled, makeFinding } from '../pack.js';
import type { RunState } from '../run-state.js';
import { parseShell, simpleCommands } from '../destructive-commands/shell-parser.js';
import type { ShellWord } from '../destructive-commands/shell-parser.js';
import { kernelScanner, type Scanner } from '../scan/kernel-scanner.js';
import { entropyOf, TokenScanner } from '../scan/token-scanner.js';
import type { TokenValidator } from '../scan/token-scanner.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';
import { scanKubernetesSecrets } from './kubernetes-secret.js';
import { looksPlaceholder, lower } from './placeholder.js';
import { incompleteTokenTest, maskedAfter, randomEnough, readsAsCamelWords, slackTokenShape, sourcegraphTokenShape } from './plausibility.js';
import { PROVIDER_PATTERNS } from './provider-patterns.js';

export { looksPlaceholder } from './placeholder.js';

export interface SecretsConfig extends PackConfigBase {
  /** values (exact) that are known and allowed, e.g. public test keys */
  allowValues?: readonly string[];
  /** minimum entropy (bits/char) for values found by assignment, default 3.0 */
  minEntropy?: number;
  /** look at `key = value` assignments, default true */
  assignments?: boolean;
}

const CLASSIFICATION = ['LLM02', 'AML.T0055', 'AML.T0057', 'AGENTIC-T3'] as const;

// ---------------------------------------------------------------- placeholders and validators

function hasDigit(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}
function hasLetter(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = lower(text.charCodeAt(i));
    if (c >= 97 && c <= 122) return true;
  }
  return false;
}
function count(text: string, s: number, e: number, ch: number): number {
  let n = 0;
  for (let i = s; i < e; i++) if (text.charCodeAt(i) === ch) n++;
  return n;
}

/** Not a placeholder, and as random as an issued token of that length and alphabet. */
function plausibleBody(t: string, s: number, e: number): boolean {
  return !looksPlaceholder(t, s, e) && randomEnough(t, s, e);
}

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < BECH32_CHARSET.length; i++) {
  BECH32_VALUES[BECH32_CHARSET.charCodeAt(i)] = i;
  BECH32_VALUES[BECH32_CHARSET.toUpperCase().charCodeAt(i)] = i;
}
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Step(chk: number, v: number): number {
  const top = chk >>> 25;
  chk = ((chk & 0x1ffffff) << 5) ^ v;
  for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GEN[i]!;
  return chk;
}

/**
 * A bech32 string (BIP-173) whose human-readable part is `hrp` and whose data part, checksum
 * included, is text[from, to): every character in the bech32 alphabet and the checksum right.
 * Age secret keys are bech32; a random or placeholder body (`QQQQ…`) fails the checksum.
 */
function bech32Valid(hrp: string, text: string, from: number, to: number): boolean {
  if (to - from < 6) return false;
  let chk = 1;
  for (let i = 0; i < hrp.length; i++) chk = bech32Step(chk, hrp.charCodeAt(i) >> 5);
  chk = bech32Step(chk, 0);
  for (let i = 0; i < hrp.length; i++) chk = bech32Step(chk, hrp.charCodeAt(i) & 31);
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (BECH32_VALUES[c] as number) : -1;
    if (v < 0) return false;
    chk = bech32Step(chk, v);
  }
  return (chk >>> 0) === 1;
}

export const VALIDATORS: Readonly<Record<string, TokenValidator>> = {
  notPlaceholder: (t, s, e, b) => plausibleBody(t, b, e),
  mixedAlnum: (t, s, e, b) => hasDigit(t, b, e) && hasLetter(t, b, e) && plausibleBody(t, b, e),
  azureSecret: (t, s, e, b) => {
    const d = t.charCodeAt(b - 3);
    return d >= 48 && d <= 57 && plausibleBody(t, b, e);
  },
  harness: (t, s, e, b) => count(t, b, e, 46) === 2 && plausibleBody(t, b, e),
  hfToken: (t, s, e, b) => {
    let up = false;
    let lo = false;
    for (let i = b; i < e; i++) {
      const c = t.charCodeAt(i);
      if (c >= 65 && c <= 90) up = true;
      else if (c >= 97 && c <= 122) lo = true;
    }
    return up && lo && plausibleBody(t, b, e);
  },
  slack: (t, s, e, b) => hasDigit(t, b, e) && slackTokenShape(t, b, e) && plausibleBody(t, b, e),
  sourcegraph: (t, s, e, b) => sourcegraphTokenShape(t, s, e) && plausibleBody(t, b, e),
  age: (t, s, e, b) => bech32Valid('age-secret-key-', t, b, e),
  onePasswordKey: (t, s, e, b) => count(t, b, e, 45) >= 4 && hasDigit(t, b, e) && plausibleBody(t, b, e),
  airtable: (t, s, e, b) => t.charCodeAt(b + 14) === 46 && plausibleBody(t, b, e),
  mailchimp: (t, s, e, b) => !looksPlaceholder(t, s, b - 3) && hasLetter(t, s, b - 3) && hasDigit(t, s, b - 3),
  jwt: (t, s, e) => {
    // header.payload[.signature], both JSON parts base64url of `{"`
    const first = t.indexOf('.', s);
    if (first < 0 || first >= e || first - s < 17) return false;
    if (t.charCodeAt(first + 1) !== 101 || t.charCodeAt(first + 2) !== 121) return false; // "ey"
    const second = t.indexOf('.', first + 1);
    const payloadEnd = second < 0 || second >= e ? e : second;
    return payloadEnd - first - 1 >= 17 && plausibleBody(t, s, e);
  },
};

export const SCANNER_PATTERNS = [
  ...PROVIDER_PATTERNS,
  { id: 'jwt', prefixes: ['ey'], body: 'jwt' as const, min: 40, max: 8000, validate: 'jwt' },
];

/** one Wasm scan kernel for every secrets pack (scans are synchronous, so they never interleave) */
const SECRETS_SCANNER: Scanner = kernelScanner(new TokenScanner(SCANNER_PATTERNS, VALIDATORS));

// ---------------------------------------------------------------- secret-ish names

const STRONG_NAME_WORDS = new Set(['token', 'secret', 'password', 'passwd', 'pwd', 'passphrase', 'credential', 'credentials', 'creds', 'apikey', 'authtoken', 'accesstoken', 'secretkey', 'privatekey', 'pat', 'bearer', 'cookie', 'sessionid']);
const KEY_QUALIFIERS = new Set(['api', 'access', 'secret', 'private', 'auth', 'client', 'master', 'signing', 'encryption', 'license', 'app', 'service', 'account', 'admin', 'deploy', 'webhook', 'consumer', 'integration', 'subscription', 'sas', 'storage', 'connection']);
const NOT_SECRET_WORDS = new Set(['public', 'pub', 'publishable', 'csrf', 'xsrf', 'length', 'len', 'size', 'type', 'name', 'id', 'ids', 'url', 'uri', 'path', 'file', 'dir', 'endpoint', 'field', 'header', 'format', 'mode', 'count', 'expires', 'expiry', 'ttl', 'timeout', 'version', 'policy', 'required', 'hint', 'label', 'placeholder', 'prompt', 'pattern', 'regex', 'min', 'max', 'hash', 'algorithm', 'alg', 'kind', 'store', 'manager', 'vault', 'ref', 'reference', 'env', 'variable', 'var', 'arn', 'usage', 'chars', 'accessor', 'keying', 'keyframe', 'keystore', 'keytab', 'keyword', 'keywords']);

/** Split an identifier into lower-case words: `OP_SERVICE_ACCOUNT_TOKEN`, `githubToken`, `api-key`. */
function nameWords(name: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    const c = name.charCodeAt(i);
    const isUpper = c >= 65 && c <= 90;
    const isAlnum = isUpper || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (!isAlnum) {
      if (cur !== '') words.push(cur);
      cur = '';
      continue;
    }
    if (isUpper && cur !== '') {
      const prev = name.charCodeAt(i - 1);
      const prevLower = prev >= 97 && prev <= 122;
      const next = name.charCodeAt(i + 1);
      const nextLower = next >= 97 && next <= 122;
      if (prevLower || (nextLower && prev >= 65 && prev <= 90)) {
        words.push(cur);
        cur = '';
      }
    }
    cur += ch.toLowerCase();
  }
  if (cur !== '') words.push(cur);
  return words;
}

export type SecretNameKind = 'password' | 'secret' | null;

/** Does an identifier name a secret? `password` names accept low-entropy literal values. */
export function secretNameKind(name: string): SecretNameKind {
  if (name.length > 80) return null;
  const words = nameWords(name);
  if (words.length === 0) return null;
  let kind: SecretNameKind = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (NOT_SECRET_WORDS.has(w)) return null;
    if (w === 'password' || w === 'passwd' || w === 'pwd' || w === 'passphrase' || w.endsWith('password')) kind = 'password';
    else if (kind === null && STRONG_NAME_WORDS.has(w)) kind = 'secret';
    else if (kind === null && (w.endsWith('token') || w.endsWith('secret') || w.endsWith('apikey'))) kind = 'secret';
    else if (kind === null && w === 'key' && i > 0 && KEY_QUALIFIERS.has(words[i - 1] as string)) kind = 'secret';
    else if (kind === null && w === 'auth' && i === words.length - 1) kind = 'secret';
  }
  // `token_url`, `secret_name`: the last word decides what the value is
  const last = words[words.length - 1] as string;
  if (NOT_SECRET_WORDS.has(last)) return null;
  return kind;
}

// ---------------------------------------------------------------- assignments

function isIdentChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45 || c === 46;
}
function isValueChar(c: number, password: boolean): boolean {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true;
  switch (c) {
    case 45: case 95: case 46: case 43: case 47: case 61: case 126: // - _ . + / = ~
      return true;
    case 33: case 64: case 35: case 37: case 94: case 38: case 42: case 63: case 58: case 124: case 36: // ! @ # % ^ & * ? : | $
      return password;
    default:
      return c > 127 && password;
  }
}

interface Candidate {
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  quoted: boolean;
}

const TYPE_WORDS = new Set(['string', 'str', 'int', 'bool', 'var', 'const', 'let', 'final', 'static', 'readonly', 'char', 'bytes', 'byte', 'any', 'object', 'secret', 'secretstr']);

/** The identifier before `end`; in `var name string = …` the type word is skipped. */
function identBefore(text: string, end: number): [number, number] | null {
  const first = identBefore1(text, end);
  if (first === null) return null;
  const word = text.slice(first[0], first[1]);
  if (TYPE_WORDS.has(word.toLowerCase()) && first[0] > 0 && (text.charCodeAt(first[0] - 1) === 32 || text.charCodeAt(first[0] - 1) === 9)) {
    const prev = identBefore1(text, first[0] - 1);
    if (prev !== null) return prev;
  }
  return first;
}

/** Read the identifier that ends right before `end` (skipping a closing quote). */
function identBefore1(text: string, end: number): [number, number] | null {
  let e = end;
  while (e > 0 && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
  const q = text.charCodeAt(e - 1);
  if (q === 34 || q === 39 || q === 96 || q === 93) e--; // " ' ` ]
  let s = e;
  while (s > 0 && e - s < 80 && isIdentChar(text.charCodeAt(s - 1))) s--;
  if (s === e) return null;
  return [s, e];
}

/** Read a value starting at `i` (after the operator): optional quote, then value characters. */
function valueAt(text: string, i: number, password: boolean): [number, number, boolean] | null {
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  // Go/Java style `… string = "…"`: skip one type word
  let quote = text.charCodeAt(i);
  let quoted = quote === 34 || quote === 39 || quote === 96;
  if (!quoted && i < text.length && text.charCodeAt(i) === 10) {
    // XML text content on the next line
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    quote = text.charCodeAt(i);
    quoted = false;
  }
  const start = quoted ? i + 1 : i;
  let j = start;
  const limit = Math.min(text.length, start + 512);
  if (quoted) {
    while (j < limit && text.charCodeAt(j) !== quote && text.charCodeAt(j) !== 10 && (password || text.charCodeAt(j) !== 32)) j++;
    if (j >= text.length || text.charCodeAt(j) !== quote) {
      // unterminated: take the value characters only
      j = start;
      while (j < limit && isValueChar(text.charCodeAt(j), password)) j++;
    }
  } else {
    while (j < limit && isValueChar(text.charCodeAt(j), password)) j++;
    while (j > start && text.charCodeAt(j - 1) === 46) j--; // sentence full stop
  }
  if (j === start) return null;
  return [start, j, quoted];
}

const incompleteToken = incompleteTokenTest(PROVIDER_PATTERNS);

function valueIsSecretLike(text: string, s: number, e: number, kind: 'password' | 'secret', quoted: boolean, minEntropy: number): boolean {
  const len = e - s;
  if (looksPlaceholder(text, s, e) || maskedAfter(text, e)) return false;
  // a provider's prefix on a value too short for that provider's format: a stub, not a credential
  if (incompleteToken(text, s, e)) return false;
  const first = text.charCodeAt(s);
  if (first === 36 || first === 37 || first === 64 && kind !== 'password') return false; // $VAR %VAR% @ref
  const v = text.slice(s, e);
  if (/^(true|false|null|none|nil|undefined|string|int|bool|object|env|process|os|config|settings|self|this|required|optional)$/i.test(v)) return false;
  if (/^[a-z]+(\.[a-z_]+)+$/i.test(v) && !hasDigit(text, s, e)) return false; // var.db_password, os.environ.x
  if (/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(v) && !/\d.*\d/.test(v)) return false; // snake_case identifiers
  if (kind === 'password') {
    if (!quoted) return len >= 8 && hasDigit(text, s, e) && hasLetter(text, s, e) && entropyOf(text, s, e) >= 2.5;
    return len >= 6 && entropyOf(text, s, e) >= 2.0;
  }
  if (len < 10 || len > 500) return false;
  if (readsAsCamelWords(text, s, e)) return false; // `AccessTokenProviderName`: an identifier
  const h = entropyOf(text, s, e);
  if (!hasDigit(text, s, e)) {
    // letters only: needs mixed case and length to be a key rather than a word
    let up = 0;
    let lo = 0;
    for (let i = s; i < e; i++) {
      const c = text.charCodeAt(i);
      if (c >= 65 && c <= 90) up++;
      else if (c >= 97 && c <= 122) lo++;
    }
    return len >= 16 && up >= 2 && lo >= 2 && h >= minEntropy + 0.5;
  }
  if (!hasLetter(text, s, e)) return len >= 14 && h >= 2.5;
  return h >= minEntropy;
}

// Operators that bind a name to a value: = := ::= :::= ?= .= => : , (setProperty("K", "V"))
const OPERATOR_CHARS = /[=:,>]/g;


function scanAssignments(text: string, minEntropy: number, out: Candidate[]): void {
  const ops = new RegExp(OPERATOR_CHARS.source, 'g');
  let m: RegExpExecArray | null;
  while ((m = ops.exec(text)) !== null) {
    let i = m.index;
    const c = text.charCodeAt(i);
    let opEnd = -1;
    let nameEnd = i;
    if (c === 61) {
      // = (also := ?= .= ::= +=), => , but not == or !=
      if (text.charCodeAt(i + 1) === 61) {
        ops.lastIndex = i + 2;
        continue;
      }
      let k = i;
      while (k > 0 && (text.charCodeAt(k - 1) === 58 || text.charCodeAt(k - 1) === 63 || text.charCodeAt(k - 1) === 46 || text.charCodeAt(k - 1) === 43)) k--;
      if (k > 0 && text.charCodeAt(k - 1) === 33) continue;
      nameEnd = k;
      opEnd = text.charCodeAt(i + 1) === 62 ? i + 2 : i + 1;
    } else if (c === 58) {
      // : (YAML/JSON); skip :: and :=, and URL schemes
      const nx = text.charCodeAt(i + 1);
      if (nx === 58 || nx === 61 || nx === 47) continue;
      // `key: value`, `"key":"value"`, `key:\n  value`; not `group:artifact` or `host:port`
      const pv = text.charCodeAt(i - 1);
      if (!(nx === 32 || nx === 9 || nx === 10 || nx === 34 || nx === 39 || pv === 34 || pv === 39)) continue;
      nameEnd = i;
      opEnd = i + 1;
    } else if (c === 44) {
      // "KEY", "value" (setProperty / tuples) — only when the name was quoted
      const q = text.charCodeAt(i - 1);
      if (q !== 34 && q !== 39) continue;
      nameEnd = i;
      opEnd = i + 1;
    } else if (c === 62) {
      // <fooToken>value</fooToken>
      let k = i - 1;
      while (k >= 0 && isIdentChar(text.charCodeAt(k))) k--;
      if (k < 0 || text.charCodeAt(k) !== 60 || k === i - 1) continue;
      nameEnd = i;
      opEnd = i + 1;
    } else {
      continue;
    }
    const name = identBefore(text, nameEnd);
    if (name === null) continue;
    let nameText = text.slice(name[0], name[1]);
    if (nameText.toLowerCase() === 'value') {
      // <add key="Password" value="…" />
      const m = /key\s*=\s*["']([^"']{1,80})["']\s*$/i.exec(text.slice(Math.max(0, name[0] - 120), name[0]));
      if (m !== null) nameText = m[1] as string;
    }
    // Bundler credentials for a gem host: BUNDLE_GEMS__EXAMPLE__COM=user:password
    const bundler = /^BUNDLE_[A-Z0-9_]*__[A-Z0-9_]+/i.test(nameText);
    const kind = bundler ? 'password' : secretNameKind(nameText);
    if (kind === null) continue;
    const val = valueAt(text, opEnd, kind === 'password');
    if (val === null) continue;
    if (bundler ? !/^[^:\s]{3,}:[^:\s]{3,}$/.test(text.slice(val[0], val[1])) : !valueIsSecretLike(text, val[0], val[1], kind, val[2], minEntropy)) continue;
    out.push({ nameStart: name[0], nameEnd: name[1], valueStart: val[0], valueEnd: val[1], quoted: val[2] });
    i = val[1];
    ops.lastIndex = Math.max(ops.lastIndex, i);
  }
}

// ---------------------------------------------------------------- structural secrets

const PEM_BEGIN = '-----BEGIN ';

function scanPrivateKeys(text: string, out: [number, number][]): void {
  let from = 0;
  for (;;) {
    const s = text.indexOf(PEM_BEGIN, from);
    if (s < 0) return;
    const labelEnd = text.indexOf('-----', s + PEM_BEGIN.length);
    if (labelEnd < 0 || labelEnd - s > 60) {
      from = s + 1;
      continue;
    }
    const label = text.slice(s + PEM_BEGIN.length, labelEnd);
    if (!label.endsWith('PRIVATE KEY') && !label.endsWith('PRIVATE KEY BLOCK')) {
      from = labelEnd;
      continue;
    }
    const endMarker = text.indexOf('-----END ' + label + '-----', labelEnd);
    const bodyEnd = endMarker < 0 ? Math.min(text.length, labelEnd + 5 + 4096) : endMarker + 14 + label.length;
    // a header alone (no key material) is documentation
    const body = text.slice(labelEnd + 5, endMarker < 0 ? bodyEnd : endMarker);
    if (/[A-Za-z0-9+/]{16,}/.test(body) && !/x{8,}/i.test(body)) out.push([s, bodyEnd]);
    from = bodyEnd;
  }
}

// scheme://user:password@host — database URLs, package registries, brokers
function scanUrlCredentials(text: string, out: [number, number][]): void {
  let from = 0;
  for (;;) {
    const at = text.indexOf('://', from);
    if (at < 0) return;
    from = at + 3;
    let k = at + 3;
    const limit = Math.min(text.length, k + 256);
    let colon = -1;
    while (k < limit) {
      const c = text.charCodeAt(k);
      if (c === 64) break; // @
      if (c === 47 || c === 32 || c === 34 || c === 39 || c === 10 || c === 63 || c === 35) {
        k = -1;
        break;
      }
      if (c === 58 && colon < 0) colon = k;
      k++;
    }
    if (k < 0 || k >= limit || colon < 0) continue;
    const passStart = colon + 1;
    const passEnd = k;
    if (passEnd - passStart < 3 || looksPlaceholder(text, passStart, passEnd)) continue;
    const pass = text.slice(passStart, passEnd);
    if (/^(password|pass|pwd|secret|\d{1,5})$/i.test(pass)) continue;
    out.push([passStart, passEnd]);
  }
}

// Authorization: Bearer <token> / Basic <b64> / Token <t> / <t>
function scanAuthHeaders(text: string, out: [number, number][]): void {
  const re = /authorization:/gi;
  for (;;) {
    const m = re.exec(text);
    if (m === null) return;
    const from = m.index + 14;
    let k = from;
    while (k < text.length && text.charCodeAt(k) === 32) k++;
    const scheme = /^[a-z][a-z-]{1,20}\s+(?=[A-Za-z0-9])/i.exec(text.slice(k, k + 24));
    if (scheme !== null) k += scheme[0].length;
    const s = k;
    while (k < text.length && isValueChar(text.charCodeAt(k), false)) k++;
    if (k - s >= 12 && !looksPlaceholder(text, s, k) && entropyOf(text, s, k) >= 3.0 && hasDigit(text, s, k)) out.push([s, k]);
  }
}

// curl -u user:pass / --user "user:pass": read through the shell parser so quoting is undone
function scanCurlUser(text: string, out: [number, number][]): void {
  if (text.indexOf('curl') < 0) return;
  for (const cmd of simpleCommands(parseShell(text))) {
    const w = cmd.words;
    if (w[0] === undefined || !/(^|\/)curl$/.test(w[0].value)) continue;
    for (let k = 1; k < w.length; k++) {
      const a = (w[k] as ShellWord).value;
      let cred: ShellWord | undefined;
      let value = '';
      if (a === '-u' || a === '--user') {
        cred = w[k + 1];
        value = cred?.value ?? '';
      } else if (a.startsWith('--user=') || (a.startsWith('-u') && a.length > 2 && !a.startsWith('--'))) {
        cred = w[k];
        value = a.startsWith('--user=') ? a.slice(7) : a.slice(2);
      }
      if (cred === undefined) continue;
      const colon = value.indexOf(':');
      const user = colon < 0 ? value : value.slice(0, colon);
      const pass = colon < 0 ? '' : value.slice(colon + 1);
      const secret = pass !== '' ? pass : user;
      if (user === pass) continue;
      if (secret.length < 4 || /[$<>[\]]|\{\{/.test(value) || /^(pass|password|passwd|token|secret|user|username|x+|y+)$/i.test(secret)) continue;
      if (looksPlaceholder(secret, 0, secret.length)) continue;
      if (pass === '' && !(secret.length >= 8 && /\d/.test(secret) && /[a-z]/i.test(secret))) continue;
      if (pass !== '' && user === '' && secret.length < 8) continue;
      out.push([cred.start, cred.end]);
    }
  }
}

// ---------------------------------------------------------------- the pack

export class SecretsPack implements FrameworkPack {
  readonly name = 'secrets' as const;
  readonly version = 'secrets@1';
  readonly stateful = false;
  readonly mode;
  private readonly scanner = SECRETS_SCANNER;
  private readonly allow: ReadonlySet<string>;
  private readonly minEntropy: number;
  private readonly assignments: boolean;

  constructor(private readonly config: SecretsConfig = {}) {
    this.mode = config.mode;
    this.allow = new Set(config.allowValues ?? []);
    this.minEntropy = config.minEntropy ?? 3.0;
    this.assignments = config.assignments ?? true;
  }

  private emit(input: TextInput, taken: [number, number][], out: FrameworkFinding[], rule: string, entity: string, s: number, e: number, what: string): void {
    if (isDisabled(this.config, rule)) return;
    for (const [a, b] of taken) if (s < b && e > a) return;
    if (this.allow.size > 0 && this.allow.has(input.text.slice(s, e))) return;
    taken.push([s, e]);
    out.push(makeFinding('secrets', rule, this.meta(rule, entity), input, s, e, `${what} in \`${input.field}\``, true, entity));
  }

  private meta(rule: string, entity: string): RuleMeta {
    const severity = entity === 'private-key' || entity.startsWith('aws') || entity === 'url-credentials' ? 'critical' : 'high';
    return { severity, action: actionFor(this.config, rule, 'modify', entity), classification: CLASSIFICATION };
  }

  check(_event: StreamEvent, texts: readonly TextInput[], _run: RunState | undefined, out: FrameworkFinding[]): void {
    for (const t of texts) this.scanText(t, out);
  }

  /** Findings for one string value. */
  scanText(input: TextInput, out: FrameworkFinding[]): void {
    const text = input.text;
    if (text.length < 8) return;
    const taken: [number, number][] = [];
    for (const m of this.scanner.scan(text)) {
      if (maskedAfter(text, m.end)) continue;
      this.emit(input, taken, out, m.pattern.id, m.pattern.id, m.start, m.end, `${m.pattern.id} credential`);
    }
    const spans: [number, number][] = [];
    // cheap literal pre-tests (native indexOf) decide which structural detectors run
    const colon = text.indexOf(':') >= 0;
    if (text.indexOf('-----BEGIN ') >= 0) {
      scanPrivateKeys(text, spans);
      for (const [s, e] of spans.splice(0)) this.emit(input, taken, out, 'private-key', 'private-key', s, e, 'private key');
    }
    if (colon && text.indexOf('://') >= 0) {
      scanUrlCredentials(text, spans);
      for (const [s, e] of spans.splice(0)) this.emit(input, taken, out, 'url-credentials', 'url-credentials', s, e, 'password inside a URL');
    }
    if (colon && (text.indexOf('uthorization') >= 0 || text.indexOf('UTHORIZATION') >= 0)) {
      scanAuthHeaders(text, spans);
      for (const [s, e] of spans.splice(0)) this.emit(input, taken, out, 'authorization-header', 'authorization-header', s, e, 'credential in an Authorization header');
    }
    if (text.indexOf('curl') >= 0) {
      scanCurlUser(text, spans);
      for (const [s, e] of spans.splice(0)) this.emit(input, taken, out, 'basic-auth', 'basic-auth', s, e, 'password passed to curl');
    }
    if (colon && text.indexOf('kind:') >= 0) {
      scanKubernetesSecrets(text, spans);
      for (const [s, e] of spans.splice(0)) this.emit(input, taken, out, 'kubernetes-secret', 'kubernetes-secret', s, e, 'Kubernetes Secret data');
    }
    if (this.assignments) {
      const cands: Candidate[] = [];
      scanAssignments(text, this.minEntropy, cands);
      for (const c of cands) {
        const name = text.slice(c.nameStart, c.nameEnd);
        this.emit(input, taken, out, 'generic-secret-assignment', 'generic', c.valueStart, c.valueEnd, `secret value assigned to \`${name}\``);
      }
    }
    classifierFindings('secrets', this.config, input, this.meta('classifier', 'classifier'), out);
  }
}
