// pii pack: personal data in prompts, tool traffic and responses. One pass over the text finds
// candidates around '@' (email) and around digit runs (cards, SSNs, phones, IPs, IBANs); the
// arithmetic checks (Luhn for cards, ISO 7064 mod-97 for IBANs, SSA rules for SSNs, octet
// ranges for IPv4) run after a candidate is found. Default action per entity is configurable.

import type { Action, Severity } from '../../engine/decision.js';
import type { StreamEvent } from '../../events/types.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, classifierFindings, isDisabled, makeFinding } from '../pack.js';
import type { RunState } from '../run-state.js';
import type { Direction } from '../../events/types.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';

export const PII_ENTITIES = ['email', 'phone', 'credit-card', 'iban', 'us-ssn', 'ip-address'] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

export interface PiiConfig extends PackConfigBase {
  /** entities to look for (default: all) */
  entities?: readonly PiiEntity[];
  /** directions to inspect (default: all) */
  directions?: readonly Direction[];
  /** exact values never reported (e.g. the support address) */
  allowValues?: readonly string[];
}

const CLASSIFICATION = ['LLM02', 'AML.T0057'] as const;

const DEFAULTS: Readonly<Record<PiiEntity, { severity: Severity; action: Action }>> = {
  'credit-card': { severity: 'high', action: 'modify' },
  'us-ssn': { severity: 'high', action: 'modify' },
  iban: { severity: 'high', action: 'modify' },
  email: { severity: 'low', action: 'allow' },
  phone: { severity: 'low', action: 'allow' },
  'ip-address': { severity: 'low', action: 'allow' },
};

// ------------------------------------------------------------------ validators

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

// ISO 13616 lengths per country (documented registry facts)
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22,
  DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28,
  IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24,
  ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31,
  SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

export function ibanValid(raw: string): boolean {
  const s = raw.replace(/[\s-]/g, '').toUpperCase();
  const len = IBAN_LENGTHS[s.slice(0, 2)];
  if (len === undefined || s.length !== len || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < moved.length; i++) {
    const c = moved.charCodeAt(i);
    const v = c >= 65 ? c - 55 : c - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

export function ssnValid(area: number, group: number, serial: number): boolean {
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}

// ------------------------------------------------------------------ scanning

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isEmailLocal(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}
function isHostChar(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 46;
}

function lettersOnly(text: string, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i) | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

interface Hit {
  entity: PiiEntity;
  start: number;
  end: number;
}

function scanEmails(text: string, hits: Hit[]): void {
  let at = text.indexOf('@');
  while (at >= 0) {
    let s = at;
    while (s > 0 && at - s < 64 && isEmailLocal(text.charCodeAt(s - 1))) s--;
    while (s < at && text.charCodeAt(s) === 46) s++;
    let e = at + 1;
    while (e < text.length && e - at < 255 && isHostChar(text.charCodeAt(e))) e++;
    while (e > at + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--;
    // a dot in the host after its first character, then a top-level label of 2–24 letters
    const dot = text.lastIndexOf('.', e - 1);
    if (s < at && dot > at + 1 && e - dot - 1 >= 2 && e - dot - 1 <= 24 && lettersOnly(text, dot + 1, e)) hits.push({ entity: 'email', start: s, end: e });
    at = text.indexOf('@', Math.max(e, at + 1));
  }
}

// Separators allowed inside a number: space, '-', '.', '/', and one pair of parentheses.
function numberRun(text: string, i: number, openParen: boolean): { end: number; digits: string; groups: number[]; seps: string } {
  let digits = '';
  const groups: number[] = [];
  let seps = '';
  let cur = 0;
  let j = i;
  let parens = openParen ? 1 : 0;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (isDigit(c)) {
      digits += text[j];
      cur++;
      j++;
      continue;
    }
    const next = text.charCodeAt(j + 1);
    const sepOk = (c === 32 || c === 45 || c === 46 || c === 47) && (isDigit(next) || (next === 40 && c === 32));
    const parenOk = (c === 40 && isDigit(next) && parens === 0) || (c === 41 && parens === 1);
    if ((sepOk || parenOk) && digits.length < 24) {
      if (cur > 0) groups.push(cur);
      cur = 0;
      seps += text[j];
      if (c === 40) parens = 1;
      if (c === 41) parens = 2;
      j++;
      // ") " is one separator
      if (c === 41 && text.charCodeAt(j) === 32 && isDigit(text.charCodeAt(j + 1))) {
        seps += ' ';
        j++;
      }
      continue;
    }
    break;
  }
  if (cur > 0) groups.push(cur);
  return { end: j, digits, groups, seps };
}

function classifyNumber(text: string, start: number, hits: Hit[]): number {
  const prev = start > 0 ? text.charCodeAt(start - 1) : 32;
  const plus = prev === 43;
  const openParen = prev === 40;
  const s = plus || openParen ? start - 1 : start;
  const run = numberRun(text, start, openParen);
  let end = run.end;
  const d = run.digits;
  const n = d.length;
  const after = end < text.length ? text.charCodeAt(end) : 32;
  // part of a longer token (hex, identifiers, 1.2.3.4.5); a trailing `x123` is an extension
  if (isAlnum(prev)) return end;
  if (isAlnum(after) && !((after === 120 || after === 88) && isDigit(text.charCodeAt(end + 1)))) return end;
  const seps = run.seps;
  const g = run.groups;
  // IPv4: four dot-separated octets
  if (seps === '...' && g.length === 4 && g.every((x) => x <= 3)) {
    const parts = text.slice(start, end).split('.').map(Number);
    if (parts.every((p) => p <= 255) && !(prev === 46) && !(after === 46 && isDigit(text.charCodeAt(end + 1)))) {
      hits.push({ entity: 'ip-address', start, end });
    }
    return end;
  }
  // US SSN: ddd-dd-dddd (or spaces)
  if (n === 9 && g.length === 3 && g[0] === 3 && g[1] === 2 && g[2] === 4 && (seps === '--' || seps === '  ')) {
    if (ssnValid(Number(d.slice(0, 3)), Number(d.slice(3, 5)), Number(d.slice(5)))) hits.push({ entity: 'us-ssn', start, end });
    return end;
  }
  // payment card: 12–19 digits, no separator or space/dash groups, Luhn
  if (n >= 12 && n <= 19 && !plus && (seps === '' || /^[ -]+$/.test(seps)) && g.every((x) => x >= 3) && luhnValid(d)) {
    hits.push({ entity: 'credit-card', start, end });
    return end;
  }
  // phone: 7–15 digits with phone-like grouping, optional +country and extension
  if (n >= 7 && n <= 15) {
    const raw = text.slice(start, end);
    const dateLike = /^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(\s|$)/.test(raw);
    const slash = seps.includes('/');
    const groupsOk = g.length === 1 ? (plus ? n >= 8 : n >= 10 && n <= 11) : g.every((x) => x >= 2 || g.length >= 4) && g.length <= 6;
    // ZIP+4 / CEP style postal codes
    const postal = g.length === 2 && g[0] === 5 && seps === '-';
    // a house number followed by a street name: "370 3911 Fourth Avenue", "Apt. 675 62314 Mellemvej"
    const nextWord = /^\s+([A-Za-z\u00c0-\u024f]+)/.exec(text.slice(end, end + 40));
    const label = nextWord !== null && /^(x|ext|office|fax|mobile|cell|home|work|phone|tel|or|and)$/i.test(nextWord[1] as string);
    const before = text.slice(Math.max(0, s - 8), s);
    const addressLike = !plus && g.length === 2 && ((nextWord !== null && !label) || /(apt|suite|unit|no)\.?\s*$/i.test(before));
    if (!dateLike && !slash && !postal && !addressLike && groupsOk && (g.length > 1 || plus || n >= 10)) {
      // extension
      const ext = /^\s?(?:x|ext\.?|#)\s?\d{1,6}/i.exec(text.slice(end, end + 12));
      if (ext !== null) end += ext[0].length;
      hits.push({ entity: 'phone', start: s, end });
      return end;
    }
  }
  return end;
}

// IBAN candidates start with two letters and two digits
function scanIbans(text: string, hits: Hit[]): void {
  let prevAlnum = false;
  for (let i = 0; i + 15 <= text.length; i++) {
    const cur = text.charCodeAt(i);
    const wasAlnum = prevAlnum;
    prevAlnum = isAlnum(cur);
    if (wasAlnum) continue;
    const c0 = cur | 32;
    const c1 = text.charCodeAt(i + 1) | 32;
    if (c0 < 97 || c0 > 122 || c1 < 97 || c1 > 122 || !isDigit(text.charCodeAt(i + 2)) || !isDigit(text.charCodeAt(i + 3))) continue;
    const before = hits.length;
    scanIbanAt(text, i, hits);
    if (hits.length > before) i = (hits[hits.length - 1] as Hit).end;
  }
}

/** Try an IBAN starting at `i` (letters at i, i+1; digits at i+2, i+3): the longest prefix that validates. */
function scanIbanAt(text: string, i: number, hits: Hit[]): void {
  let j = i + 4;
  let count = 4;
  while (j < text.length && count < 34) {
    const c = text.charCodeAt(j);
    if (isAlnum(c)) {
      count++;
      j++;
    } else if ((c === 32 || c === 45) && isAlnum(text.charCodeAt(j + 1))) j++;
    else break;
  }
  for (let e = j; e >= i + 15; e--) {
    if (!isAlnum(text.charCodeAt(e - 1))) continue;
    if (e < text.length && isAlnum(text.charCodeAt(e)) && e !== j) continue;
    if (ibanValid(text.slice(i, e))) {
      hits.push({ entity: 'iban', start: i, end: e });
      return;
    }
  }
}

function scanIpv6(text: string, hits: Hit[]): void {
  let from = text.indexOf(':');
  while (from >= 0) {
    let s = from;
    while (s > 0 && (isAlnum(text.charCodeAt(s - 1)) || text.charCodeAt(s - 1) === 58)) s--;
    let e = from;
    while (e < text.length && (isAlnum(text.charCodeAt(e)) || text.charCodeAt(e) === 58 || text.charCodeAt(e) === 46)) e++;
    const cand = text.slice(s, e);
    if (/^[0-9a-f:.]+$/i.test(cand) && (cand.match(/:/g)?.length ?? 0) >= 2 && /[a-f]|::/i.test(cand) && isIpv6(cand)) hits.push({ entity: 'ip-address', start: s, end: e });
    from = text.indexOf(':', Math.max(e, from + 1));
  }
}

export function isIpv6(s: string): boolean {
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const parts = s.split(':');
  let groups = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (p === '') continue;
    if (i === parts.length - 1 && p.includes('.')) {
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(p)) return false;
      groups += 2;
      continue;
    }
    if (!/^[0-9a-f]{1,4}$/i.test(p)) return false;
    groups++;
  }
  return dbl >= 0 ? groups < 8 : groups === 8;
}

/** Email address ranges in a string (linear; no regex backtracking). */
export function emailSpans(text: string): [number, number][] {
  if (text.indexOf('@') < 0) return [];
  const hits: Hit[] = [];
  scanEmails(text, hits);
  return hits.map((h) => [h.start, h.end]);
}

/** IBAN ranges (mod-97 valid) in a string. */
export function ibanSpans(text: string): [number, number][] {
  const hits: Hit[] = [];
  scanIbans(text, hits);
  return hits.map((h) => [h.start, h.end]);
}

const DIGIT = /[0-9]/g;

/** All PII hits in one string, non-overlapping, in text order. Driven by digit positions (IBANs contain digits too). */
export function scanPii(text: string, enabled: ReadonlySet<PiiEntity>): Hit[] {
  const hits: Hit[] = [];
  if (enabled.has('email') && text.indexOf('@') >= 0) scanEmails(text, hits);
  if (enabled.has('ip-address') && text.indexOf(':') >= 0) scanIpv6(text, hits);
  const iban = enabled.has('iban');
  let next = 0;
  for (;;) {
    // the next digit at or after `next`: RegExp test searches natively and allocates no match
    DIGIT.lastIndex = next;
    if (!DIGIT.test(text)) break;
    const d = DIGIT.lastIndex - 1;
    // IBAN: two letters, two digits, at a word start
    if (iban && d >= 2 && d + 13 <= text.length) {
      const s = d - 2;
      const c0 = text.charCodeAt(s) | 32;
      const c1 = text.charCodeAt(s + 1) | 32;
      if (c0 >= 97 && c0 <= 122 && c1 >= 97 && c1 <= 122 && isDigit(text.charCodeAt(d + 1)) && (s === 0 || !isAlnum(text.charCodeAt(s - 1)))) {
        const before = hits.length;
        scanIbanAt(text, s, hits);
        if (hits.length > before) {
          next = (hits[hits.length - 1] as Hit).end;
          continue;
        }
      }
    }
    const end = classifyNumber(text, d, hits);
    next = Math.max(d + 1, end);
  }
  if (hits.length <= 1) return hits.length === 1 && enabled.has((hits[0] as Hit).entity) ? hits : [];
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Hit[] = [];
  let lastEnd = -1;
  for (const h of hits) {
    if (!enabled.has(h.entity)) continue;
    if (h.start < lastEnd) continue;
    out.push(h);
    lastEnd = h.end;
  }
  return out;
}

export class PiiPack implements FrameworkPack {
  readonly name = 'pii' as const;
  readonly version = 'pii@1';
  readonly stateful = false;
  readonly mode;
  private readonly enabled: ReadonlySet<PiiEntity>;
  private readonly directions: ReadonlySet<Direction> | null;
  private readonly allow: ReadonlySet<string>;

  constructor(private readonly config: PiiConfig = {}) {
    this.mode = config.mode;
    this.enabled = new Set(config.entities ?? PII_ENTITIES);
    this.directions = config.directions === undefined ? null : new Set(config.directions);
    this.allow = new Set(config.allowValues ?? []);
  }

  check(_event: StreamEvent, texts: readonly TextInput[], _run: RunState | undefined, out: FrameworkFinding[]): void {
    for (const t of texts) if (this.directions === null || this.directions.has(t.direction)) this.scanText(t, out);
  }

  scanText(input: TextInput, out: FrameworkFinding[]): void {
    if (input.text.length < 7) return;
    for (const h of scanPii(input.text, this.enabled)) {
      if (isDisabled(this.config, h.entity)) continue;
      if (this.allow.size > 0 && this.allow.has(input.text.slice(h.start, h.end))) continue;
      const def = DEFAULTS[h.entity];
      out.push(makeFinding('pii', h.entity, { severity: def.severity, action: actionFor(this.config, h.entity, def.action), classification: CLASSIFICATION }, input, h.start, h.end, `${h.entity} in \`${input.field}\``, true, h.entity));
    }
    classifierFindings('pii', this.config, input, { severity: 'medium', action: actionFor(this.config, 'classifier', 'modify'), classification: CLASSIFICATION }, out);
  }
}
