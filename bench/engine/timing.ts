// Per-evaluation latency, measured the same way for every engine and interleaved A/B:
// rounds of short blocks, one block per engine, with the engine order rotated each round, so drift
// (frequency scaling, a noisy neighbour, GC of an earlier engine) lands on all engines alike.
//
// Within a block:
//   - single-call samples: process.hrtime.bigint() around one evaluate (awaited for async engines).
//     They include the timer's own cost, measured once (timerOverheadNs) and reported, not subtracted.
//   - batch samples, only for sync engines whose warmed call takes under BATCH_THRESHOLD_NS: the
//     time of N consecutive calls divided by N (N = 100 under 1 µs, else 10), so timer cost and
//     resolution vanish. A batch's p50 is the median of N-call means, so on a mixed stream it sits
//     near the mean latency rather than the median single call.
// Reported figures: p50 from batch samples when the engine is batched (else from single calls);
// p99 always from single calls (a tail is a property of individual calls, and batch means would
// hide it; the timer cost makes it a slight over-estimate); ops/s from total time over total calls
// of the samples p50 came from.

/** Anything timed: an engine on events, or a codec on a value. `engine` names it in results. */
export type Timed<E> =
  | { engine: string; sync: true; evaluate(input: E): unknown }
  | { engine: string; sync: false; evaluate(input: E): Promise<unknown> };

/** engines whose warmed call is faster than this get batch samples as well as single-call ones */
export const BATCH_THRESHOLD_NS = 10_000;

/** calls per batch: enough that the timer's ~40 ns and its resolution vanish */
export function batchSizeFor(perCallNs: number): number {
  return perCallNs < 1000 ? 100 : 10;
}

export interface LatencyResult {
  engine: string;
  method: 'single' | `batch×${number}`;
  p50Ns: number;
  p99Ns: number;
  opsPerS: number;
  singleP50Ns: number;
  singleSamples: number;
  batchSamples: number;
}

export interface TimingOptions {
  rounds: number;
  /** wall time each engine gets per round */
  blockMs: number;
  /** untimed passes over the events per engine before measuring, stopped early after warmupCapMs */
  warmupPasses: number;
  warmupCapMs: number;
}

/** Keeps results observable so the optimiser cannot drop the calls being timed. */
export let sink = 0;
const observe = (v: unknown): void => {
  sink = (sink + (v === undefined ? 1 : 2)) | 0;
};

export function timerOverheadNs(): number {
  const xs = new Float64Array(20_000);
  for (let i = 0; i < xs.length; i++) {
    const t0 = process.hrtime.bigint();
    xs[i] = Number(process.hrtime.bigint() - t0);
  }
  return percentile(sorted(xs), 0.5);
}

function sorted(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/** nearest-rank percentile of sorted data */
export function percentile(sortedXs: Float64Array, q: number): number {
  if (sortedXs.length === 0) return Number.NaN;
  const rank = Math.min(sortedXs.length - 1, Math.max(0, Math.ceil(q * sortedXs.length) - 1));
  return sortedXs[rank]!;
}

class Samples {
  private data = new Float64Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
  sum(): number {
    let s = 0;
    for (let i = 0; i < this.length; i++) s += this.data[i]!;
    return s;
  }
}

interface Lane<E> {
  c: Timed<E>;
  /** calls per batch sample; 0 = single calls only */
  batch: number;
  cursor: number;
  single: Samples;
  batches: Samples;
}

/** Untimed calls until `passes` passes are done or `capMs` has elapsed; returns the mean ns per call. */
async function warm<E>(c: Timed<E>, events: readonly E[], passes: number, capMs: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const cap = t0 + BigInt(Math.round(capMs * 1e6));
  let calls = 0;
  outer: for (let p = 0; p < passes; p++)
    for (const e of events) {
      observe(c.sync ? c.evaluate(e) : await c.evaluate(e));
      calls++;
      if ((calls & 15) === 0 && process.hrtime.bigint() > cap) break outer;
    }
  return Number(process.hrtime.bigint() - t0) / Math.max(1, calls);
}

function runSyncBlock<E>(lane: Lane<E>, events: readonly E[], budgetNs: bigint): void {
  const c = lane.c as Extract<Timed<E>, { sync: true }>;
  const n = events.length;
  const end = process.hrtime.bigint() + budgetNs;
  let i = lane.cursor;
  for (;;) {
    const size = lane.batch;
    if (size > 0) {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < size; k++) {
        observe(c.evaluate(events[i]!));
        if (++i === n) i = 0;
      }
      lane.batches.push(Number(process.hrtime.bigint() - t0) / size);
    }
    const e = events[i]!;
    if (++i === n) i = 0;
    const t0 = process.hrtime.bigint();
    const v = c.evaluate(e);
    const t1 = process.hrtime.bigint();
    observe(v);
    lane.single.push(Number(t1 - t0));
    if (t1 >= end) break;
  }
  lane.cursor = i;
}

async function runAsyncBlock<E>(lane: Lane<E>, events: readonly E[], budgetNs: bigint): Promise<void> {
  const c = lane.c as Extract<Timed<E>, { sync: false }>;
  const n = events.length;
  const end = process.hrtime.bigint() + budgetNs;
  let i = lane.cursor;
  for (;;) {
    const e = events[i]!;
    if (++i === n) i = 0;
    const t0 = process.hrtime.bigint();
    const v = await c.evaluate(e);
    const t1 = process.hrtime.bigint();
    observe(v);
    lane.single.push(Number(t1 - t0));
    if (t1 >= end) break;
  }
  lane.cursor = i;
}

export async function measureInterleaved<E>(contenders: readonly Timed<E>[], events: readonly E[], opts: TimingOptions): Promise<LatencyResult[]> {
  if (events.length === 0) throw new Error('no events to time');
  const lanes: Lane<E>[] = [];
  for (const c of contenders) {
    await warm(c, events, opts.warmupPasses, opts.warmupCapMs);
    const perCall = c.sync ? calibrate(c, events) : Number.POSITIVE_INFINITY;
    lanes.push({ c, batch: perCall < BATCH_THRESHOLD_NS ? batchSizeFor(perCall) : 0, cursor: 0, single: new Samples(), batches: new Samples() });
  }
  const budget = BigInt(Math.round(opts.blockMs * 1e6));
  for (let round = 0; round < opts.rounds; round++) {
    for (let j = 0; j < lanes.length; j++) {
      const lane = lanes[(round + j) % lanes.length]!;
      if (lane.c.sync) runSyncBlock(lane, events, budget);
      else await runAsyncBlock(lane, events, budget);
    }
  }
  return lanes.map((lane) => {
    const single = lane.single.sorted();
    const batched = lane.batch > 0;
    const central = batched ? lane.batches : lane.single;
    const centralSorted = batched ? lane.batches.sorted() : single;
    return {
      engine: lane.c.engine,
      method: batched ? (`batch×${lane.batch}` as const) : ('single' as const),
      p50Ns: percentile(centralSorted, 0.5),
      p99Ns: percentile(single, 0.99),
      opsPerS: 1e9 / (central.sum() / central.length),
      singleP50Ns: percentile(single, 0.5),
      singleSamples: lane.single.length,
      batchSamples: lane.batches.length,
    };
  });
}

/** Warmed per-call time, robust to preemption: the median of nine short timed runs. */
function calibrate<E>(c: Extract<Timed<E>, { sync: true }>, events: readonly E[]): number {
  const runs = new Float64Array(9);
  const calls = Math.min(50, events.length);
  let i = 0;
  for (let r = 0; r < runs.length; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < calls; k++) {
      observe(c.evaluate(events[i]!));
      if (++i === events.length) i = 0;
    }
    runs[r] = Number(process.hrtime.bigint() - t0) / calls;
  }
  return percentile(sorted(runs), 0.5);
}
