// A set of Unicode code points as sorted, disjoint, non-adjacent inclusive ranges. Every
// character-matching construct of a pattern lowers to one of these, so that the alphabet
// partition and case folding can work on ranges instead of individual code points.

export const MAX_CODE_POINT = 0x10ffff;

export class CodePointSet {
  /** flattened [lo, hi] pairs, sorted, disjoint and never touching (normalised) */
  readonly ranges: readonly number[];

  private constructor(ranges: readonly number[]) {
    this.ranges = ranges;
  }

  static readonly empty = new CodePointSet([]);
  static readonly all = new CodePointSet([0, MAX_CODE_POINT]);

  static of(...codePoints: number[]): CodePointSet {
    const pairs: number[] = [];
    for (const cp of codePoints) pairs.push(cp, cp);
    return CodePointSet.fromRanges(pairs);
  }

  static range(lo: number, hi: number): CodePointSet {
    return CodePointSet.fromRanges([lo, hi]);
  }

  /** Normalises arbitrary (unsorted, overlapping) [lo, hi] pairs. */
  static fromRanges(pairs: readonly number[]): CodePointSet {
    const count = pairs.length >> 1;
    const order: number[] = [];
    for (let i = 0; i < count; i++) if (pairs[2 * i]! <= pairs[2 * i + 1]!) order.push(i);
    order.sort((a, b) => pairs[2 * a]! - pairs[2 * b]!);
    const out: number[] = [];
    for (const i of order) {
      const lo = pairs[2 * i]!;
      const hi = pairs[2 * i + 1]!;
      const last = out.length - 1;
      if (last > 0 && lo <= out[last]! + 1) {
        if (hi > out[last]!) out[last] = hi;
      } else {
        out.push(lo, hi);
      }
    }
    return new CodePointSet(out);
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  has(cp: number): boolean {
    const r = this.ranges;
    let lo = 0;
    let hi = (r.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < r[2 * mid]!) hi = mid - 1;
      else if (cp > r[2 * mid + 1]!) lo = mid + 1;
      else return true;
    }
    return false;
  }

  union(other: CodePointSet): CodePointSet {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    return CodePointSet.fromRanges([...this.ranges, ...other.ranges]);
  }

  complement(): CodePointSet {
    const out: number[] = [];
    let next = 0;
    const r = this.ranges;
    for (let i = 0; i < r.length; i += 2) {
      if (r[i]! > next) out.push(next, r[i]! - 1);
      next = r[i + 1]! + 1;
    }
    if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
    return new CodePointSet(out);
  }

  equals(other: CodePointSet): boolean {
    const a = this.ranges;
    const b = other.ranges;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  /** A stable identity for deduplicating sets in a map. */
  key(): string {
    return this.ranges.join(',');
  }
}
