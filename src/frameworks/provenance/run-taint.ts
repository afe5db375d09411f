// RunTaint: deterministic taint tracking over one run's history. Every event's text is fed in
// with its direction; trusted content (the user's request, system/developer prompts, configured
// allowlists) and untrusted content (tool results, retrieved documents, resources) are kept as
// normalised views. A value is *tainted* when it occurs in untrusted content and nowhere in
// trusted content. Injection findings mark the run as carrying instructions from untrusted data.

import { canonicalText } from '../canonicalize.js';
import type { TextInput } from '../types.js';

export type ValueOrigin = 'trusted' | 'untrusted-only' | 'unknown';

export interface InjectionMark {
  field: string;
  rule: string;
  /** the instruction-like text itself (lower-cased) */
  text: string;
}

const MAX_VIEW = 2_000_000;

/** Lower-cased canonical text. */
export function normalizeForTaint(s: string): string {
  return canonicalText(s).text.toLowerCase();
}

/** Letters and digits only (so `GB82 WEST 1234` and `+1 (415) 555-0100` compare by content). */
export function compactForTaint(s: string): string {
  return normalizeForTaint(s).replace(/[^a-z0-9\u0080-\uffff]+/g, '');
}

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

class TextView {
  private parts: string[] = [];
  private compactParts: string[] = [];
  private joined = '';
  private compactJoined = '';
  private dirty = false;
  private size = 0;
  private readonly seen = new Set<string>();

  add(text: string): boolean {
    if (text.length === 0 || this.seen.has(text)) return false;
    this.seen.add(text);
    const n = normalizeForTaint(text);
    this.parts.push(n);
    this.compactParts.push(n.replace(/[^a-z0-9\u0080-\uffff]+/g, ''));
    this.size += n.length;
    while (this.size > MAX_VIEW && this.parts.length > 1) {
      this.size -= (this.parts.shift() as string).length;
      this.compactParts.shift();
    }
    this.dirty = true;
    return true;
  }

  has(text: string): boolean {
    return this.seen.has(text);
  }

  private sync(): void {
    if (!this.dirty) return;
    this.joined = this.parts.join('\u0000');
    this.compactJoined = this.compactParts.join('\u0000');
    this.dirty = false;
  }

  contains(normalized: string): boolean {
    this.sync();
    return this.joined.includes(normalized);
  }

  containsCompact(compact: string): boolean {
    this.sync();
    return this.compactJoined.includes(compact);
  }

  get text(): string {
    this.sync();
    return this.joined;
  }
}

export class RunTaint {
  private readonly trusted = new TextView();
  private readonly untrusted = new TextView();
  readonly injections: InjectionMark[] = [];
  private trustedWordSet: Set<string> | null = null;

  /** Feed one text of an event. Model output and outbound arguments are derived, not sources. */
  observe(input: TextInput): void {
    if (input.direction === 'user_input') {
      if (this.trusted.add(input.text)) this.trustedWordSet = null;
    } else if (input.direction === 'tool_output') {
      this.untrusted.add(input.text);
    }
  }

  /** Add configured trusted values (allowlisted recipients, domains, accounts). */
  trust(values: readonly string[]): void {
    for (const v of values) if (this.trusted.add(v)) this.trustedWordSet = null;
  }

  markInjection(mark: InjectionMark): void {
    if (this.injections.length < 256) this.injections.push(mark);
  }

  get injected(): boolean {
    return this.injections.length > 0;
  }

  /** True when this exact text was already fed as untrusted content (e.g. a tool result repeated in a prompt). */
  seenUntrusted(text: string): boolean {
    return this.untrusted.has(text);
  }

  /**
   * Where a value came from. Values shorter than 4 characters (after normalisation) are too
   * common to attribute and are `unknown`; digit-heavy values (phones, accounts, IBANs) also
   * compare with separators removed.
   */
  origin(value: string): ValueOrigin {
    const n = normalizeForTaint(value).trim();
    if (n.length < 4) return 'unknown';
    if (this.trusted.contains(n)) return 'trusted';
    // numbers written with separators (phones, IBANs, accounts) also compare without them
    const compact = digitCount(n) >= 6 ? n.replace(/[^a-z0-9\u0080-\uffff]+/g, '') : n;
    const compactUseful = compact.length >= 6 && compact.length !== n.length;
    if (compactUseful && this.trusted.containsCompact(compact)) return 'trusted';
    if (this.untrusted.contains(n)) return 'untrusted-only';
    if (compactUseful && this.untrusted.containsCompact(compact)) return 'untrusted-only';
    return 'unknown';
  }

  /** Lower-cased words of all trusted content (for grounding an action in the user's request). */
  trustedWords(): ReadonlySet<string> {
    if (this.trustedWordSet === null) {
      const set = new Set<string>();
      for (const w of this.trusted.text.split(/[^a-z0-9]+/)) if (w.length > 1) set.add(stem(w));
      this.trustedWordSet = set;
    }
    return this.trustedWordSet;
  }

  get trustedText(): string {
    return this.trusted.text;
  }
}

/** A crude English stem, enough to match `sending`/`sends`/`sent` style variants of action words. */
export function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('ied')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && w.endsWith('ed')) return w.slice(0, -2);
  if (w.length > 4 && w.endsWith('es')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}
