// The `benchmark` package's view of the same closures: its own calibration, sampling and
// statistics, a cross-check on the hand-rolled percentile timing. It runs the candidates one after
// another (that is how Benchmark.Suite works), so its figures are not interleaved.

import Benchmark from 'benchmark';
import type { Timed } from './timing.js';

export interface BenchmarkJsResult {
  engine: string;
  opsPerS: number;
  /** relative margin of error, percent */
  rme: number;
  samples: number;
}

let sink = 0;

export interface BenchmarkJsOptions {
  /** seconds per candidate, the package's `maxTime` */
  maxTimeS: number;
  minSamples: number;
}

export function runBenchmarkJs<E>(candidates: readonly Timed<E>[], inputs: readonly E[], opts: BenchmarkJsOptions): Promise<BenchmarkJsResult[]> {
  return new Promise((resolve, reject) => {
    const suite = new Benchmark.Suite();
    const n = inputs.length;
    for (const c of candidates) {
      let i = 0;
      if (c.sync) {
        suite.add(c.engine, () => {
          if (c.evaluate(inputs[i]!) === undefined) sink++;
          if (++i === n) i = 0;
        }, { maxTime: opts.maxTimeS, minSamples: opts.minSamples });
      } else {
        // deferred: each cycle awaits the promise, so this is awaited per-call throughput
        suite.add(c.engine, (deferred: Benchmark.Deferred) => {
          c.evaluate(inputs[i]!).then(
            (v) => {
              if (v === undefined) sink++;
              deferred.resolve();
            },
            reject,
          );
          if (++i === n) i = 0;
        }, { defer: true, maxTime: opts.maxTimeS, minSamples: opts.minSamples });
      }
    }
    const results: BenchmarkJsResult[] = [];
    suite.on('cycle', (ev: Benchmark.Event) => {
      const b = ev.target as unknown as Benchmark;
      if (b.error) reject(b.error);
      results.push({ engine: String(b.name), opsPerS: b.hz ?? 0, rme: b.stats?.rme ?? 0, samples: b.stats?.sample.length ?? 0 });
    });
    suite.on('complete', () => resolve(results));
    suite.run({ async: false });
  });
}

export const benchmarkJsSink = (): number => sink;
