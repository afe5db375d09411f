// Incremental checking of streamed text with a bounded hold-back window. The last `holdBack`
// characters are never released until more text (or the end) shows what they are part of, so a
// secret of up to `holdBack` characters split across chunks is still caught and redacted, and a
// forbidden phrase stops the stream before any of it reaches the reader.
//
// Released text is the longest common prefix of the rewrite of everything so far and the rewrite
// of everything but the window: a prefix that no continuation of the stream can change.

export type TextCheckResult =
  /** the text may flow; `rewrite` applies the decision's redactions to any piece of text */
  | { kind: 'pass'; rewrite?: (text: string) => string }
  /** something needs approval: release nothing more until the end */
  | { kind: 'hold' };

/** Checks the whole text so far; throws to stop the stream (prevented response, halt). */
export type TextCheck = (text: string) => TextCheckResult;

export class HoldBackTextGuard {
  private raw = '';
  private released = '';
  private holding = false;

  constructor(
    private readonly holdBack: number,
    private readonly check: TextCheck,
  ) {}

  /** Adds a chunk; returns the text that may be released now (possibly empty). Throws to stop. */
  push(delta: string): string {
    if (delta === '') return '';
    this.raw += delta;
    if (this.holding) return '';
    const result = this.check(this.raw);
    if (result.kind === 'hold') {
      this.holding = true;
      return '';
    }
    const rewrite = result.rewrite ?? ((t: string) => t);
    const whole = rewrite(this.raw);
    const settled = rewrite(this.raw.slice(0, Math.max(0, this.raw.length - this.holdBack)));
    const safe = whole.slice(0, commonPrefixLength(whole, settled));
    if (safe.length <= this.released.length || !safe.startsWith(this.released)) return '';
    const out = safe.slice(this.released.length);
    this.released = safe;
    return out;
  }

  /** Everything received so far, unmodified. */
  get text(): string {
    return this.raw;
  }

  /** Everything released so far. */
  get releasedText(): string {
    return this.released;
  }

  /**
   * Ends the stream with the final decision's rewrite; returns the rest to release. `consistent`
   * is false when the final rewrite contradicts text already released (it cannot be recalled).
   */
  finish(rewrite?: (text: string) => string): { rest: string; consistent: boolean } {
    const whole = rewrite ? rewrite(this.raw) : this.raw;
    if (!whole.startsWith(this.released)) return { rest: '', consistent: false };
    const rest = whole.slice(this.released.length);
    this.released = whole;
    return { rest, consistent: true };
  }
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Never split a surrogate pair.
  if (i > 0 && i < a.length) {
    const c = a.charCodeAt(i - 1);
    if (c >= 0xd800 && c <= 0xdbff) i--;
  }
  return i;
}
