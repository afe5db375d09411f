// Checks that run after a candidate secret is found and decide whether it could have been issued:
// the structure a provider documents for its tokens, values that are visibly masked or cut short,
// values that read as identifiers, and values that carry a provider's prefix without its format.
// None of them runs per character of the input; each looks at one candidate.

import type { TokenPattern } from '../scan/token-scanner.js';

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * The text right after a value continues it as a mask or an ellipsis (`xoxp-…-####`, `ops_eyJ..[redacted]`,
 * `sk_live_51H…`, `ghp_abc**`): the value was shown shortened, it is not the credential.
 */
export function maskedAfter(text: string, end: number): boolean {
  const c = text.charCodeAt(end);
  if (c === 0x2026) return true; // …
  if (c !== 46 && c !== 42 && c !== 35) return false; // . * #
  return text.charCodeAt(end + 1) === c;
}

/**
 * Issued token bodies are random: their Shannon entropy is close to log2 of the alphabet they are
 * drawn from (or of their length, when shorter). Bodies far below that (`aaaabbbbccccdddd…`, a word
 * padded with digits) were typed. The alphabet is the apparent one (hex-only bodies count 16
 * symbols, upper case and digits 36, and so on), so hex tokens are not held to a base62 standard.
 * Bodies under 16 characters are left to the format checks.
 */
export const MIN_RELATIVE_ENTROPY = 0.6;

const seen = new Uint16Array(128);
const touched = new Uint8Array(128);

export function randomEnough(text: string, start: number, end: number): boolean {
  const n = end - start;
  if (n < 16) return true;
  // one pass: symbol counts (only the symbols present are reset afterwards) and the apparent alphabet
  let distinct = 0;
  let outside = 0;
  let lowerHex = true;
  let upperHex = true;
  let lo = false;
  let up = false;
  let digit = false;
  let other = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) {
      outside++;
      other = true;
      continue;
    }
    if ((seen[c] as number) === 0) touched[distinct++] = c;
    seen[c] = (seen[c] as number) + 1;
    if (isDigit(c)) digit = true;
    else if (c >= 97 && c <= 122) {
      lo = true;
      upperHex = false;
      if (c > 102) lowerHex = false;
    } else if (c >= 65 && c <= 90) {
      up = true;
      lowerHex = false;
      if (c > 70) upperHex = false;
    } else other = true;
  }
  let h = 0;
  for (let k = 0; k < distinct; k++) {
    const c = touched[k] as number;
    const p = (seen[c] as number) / n;
    h -= p * Math.log2(p);
    seen[c] = 0;
  }
  if (outside > 0) h -= (outside / n) * Math.log2(outside / n);
  const alphabet = !other && (lowerHex || upperHex) ? 16 : (lo ? 26 : 0) + (up ? 26 : 0) + (digit ? 10 : 0) + (other ? 4 : 0);
  return h >= MIN_RELATIVE_ENTROPY * Math.log2(Math.min(alphabet, n));
}

/**
 * Slack tokens are dash-separated: an optional one- or two-digit version, numeric workspace/user/bot
 * ids (Slack ids are 9–13 digits), and a random last part. Ids of a handful of digits or a missing
 * random part are hand-written examples (`xoxb-12345-abcd234`, `xoxp-1234-1234-1234-…`).
 */
export function slackTokenShape(text: string, bodyStart: number, end: number): boolean {
  let segStart = bodyStart;
  let index = 0;
  let lastHasLetter = false;
  let lastLen = 0;
  for (let i = bodyStart; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 45) continue;
    const len = i - segStart;
    let digits = 0;
    let letters = 0;
    for (let k = segStart; k < i; k++) {
      const c = text.charCodeAt(k);
      if (isDigit(c)) digits++;
      else if (isLetter(c)) letters++;
    }
    if (len === 0) return false; // `--` or a trailing dash
    const numeric = digits === len;
    const isVersion = index === 0 && numeric && len <= 2;
    if (numeric && !isVersion && i < end && len < 8) return false;
    lastHasLetter = letters > 0;
    lastLen = len;
    segStart = i + 1;
    index++;
  }
  return lastHasLetter && lastLen >= 10;
}

/**
 * Sourcegraph access tokens: `sgp_` then an optional instance part (16 hex digits, or `local`) and `_`,
 * then 40 hex digits. (`sgph_` tokens are left to the generic length check.)
 */
export function sourcegraphTokenShape(text: string, start: number, end: number): boolean {
  if (!text.startsWith('sgp_', start)) return true;
  let b = start + 4;
  const hexRun = (from: number): number => {
    let k = from;
    while (k < end && isHex(text.charCodeAt(k))) k++;
    return k - from;
  };
  if (text.startsWith('local_', b)) b += 6;
  else if (hexRun(b) === 16 && text.charCodeAt(b + 16) === 95) b += 17;
  return end - b === 40 && hexRun(b) === 40;
}

/**
 * The value is mostly capitalised words run together (`AgencyIdentificationCodeContentType`,
 * `MyServiceTokenProvider`): an identifier or type name, not a random key. Random base62 strings
 * rarely hold even two adjacent `Xxx`-shaped words with vowels, let alone cover half their length.
 */
export function readsAsCamelWords(text: string, start: number, end: number): boolean {
  let covered = 0;
  let i = start;
  while (i < end) {
    // a run of adjacent capitalised words, each [A-Z][a-z]{2,} with a vowel
    let runLen = 0;
    let words = 0;
    let k = i;
    for (;;) {
      const c = text.charCodeAt(k);
      if (k >= end || !(c >= 65 && c <= 90)) break;
      let j = k + 1;
      let vowel = false;
      while (j < end) {
        const d = text.charCodeAt(j);
        if (!(d >= 97 && d <= 122)) break;
        if (d === 97 || d === 101 || d === 105 || d === 111 || d === 117 || d === 121) vowel = true;
        j++;
      }
      if (j - k < 3 || !vowel) break;
      words++;
      runLen += j - k;
      k = j;
    }
    if (words >= 2) {
      covered += runLen;
      i = k;
    } else i++;
  }
  return covered * 2 >= end - start;
}

/**
 * A test for "this value carries a provider's distinctive prefix but is shorter than any token of that
 * format": a prefix of four or more characters that contains a separator (`ghp_`, `sm_pat_`, `xoxb-`,
 * `sk-ant-`), or, for formats recognised by a middle part (`<bot id>:A…`, `<32 hex>-us<dc>`), that part
 * after a run of the characters that precede it. Such a value is a truncated or made-up token (the
 * provider's own check has already rejected it), so the generic assignment detector should not report
 * it either. Longer or differently shaped values are left to the generic detector: providers do grow
 * their formats.
 */
export function incompleteTokenTest(patterns: readonly TokenPattern[]): (text: string, start: number, end: number) => boolean {
  const leading: { prefix: string; ci: boolean; min: number }[] = [];
  const inner: { infix: string; digitsBefore: boolean; back: number; min: number }[] = [];
  for (const p of patterns) {
    for (const prefix of p.prefixes) {
      if (p.back !== undefined && p.back > 0) {
        if (p.backClass === 'digits' || p.body === 'hex') inner.push({ infix: prefix, digitsBefore: p.backClass === 'digits', back: p.back, min: p.min });
        continue;
      }
      if (prefix.length >= 4 && /[_\-.]/.test(prefix) && /^[A-Za-z]/.test(prefix)) leading.push({ prefix, ci: p.ci === true, min: p.min });
    }
  }
  // by first character; the longest prefix a value carries decides (`sk-proj-…` is not judged as `sk-…`)
  const byFirst = new Map<number, { prefix: string; ci: boolean; min: number }[]>();
  for (const l of leading) {
    const firsts = l.ci ? [l.prefix.toLowerCase().charCodeAt(0), l.prefix.toUpperCase().charCodeAt(0)] : [l.prefix.charCodeAt(0)];
    for (const f of new Set(firsts)) {
      const list = byFirst.get(f) ?? [];
      list.push(l);
      byFirst.set(f, list);
    }
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.prefix.length - a.prefix.length);
  return (text, start, end) => {
    const len = end - start;
    for (const { prefix, ci, min } of byFirst.get(text.charCodeAt(start)) ?? []) {
      if (len <= prefix.length) continue;
      if (ci ? text.slice(start, start + prefix.length).toLowerCase() === prefix.toLowerCase() : text.startsWith(prefix, start)) return len < prefix.length + min;
    }
    for (const { infix, digitsBefore, back, min } of inner) {
      let k = start;
      while (k < end && (digitsBefore ? isDigit(text.charCodeAt(k)) : isHex(text.charCodeAt(k)))) k++;
      if (k === start || k >= end || !text.startsWith(infix, k)) continue;
      if (k - start < back || end - (k + infix.length) < min) return true;
    }
    return false;
  };
}
