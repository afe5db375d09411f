// Where cascade's allow-path time goes, measured rather than guessed: the engine's own steps
// rebuilt from its parts (bucket lookup, Projector.project, the kernel's rt_eval) on a private
// kernel loaded with the same bundle, timed interleaved with the whole engine.evaluate and with
// hand-written JS. Each step includes the ones before it, so differences give each step's cost.
// This reaches into src/engine internals on purpose; if their shape changes, the suite says so
// and is skipped rather than reporting numbers for something else.

import { EVENT_KINDS, type ToolCallEvent } from '../../src/events/types.js';
import { KernelInstance } from '../../src/engine/kernel-instance.js';
import { Projector } from '../../src/engine/projection.js';
import type { Bundle } from '../../src/policy/index.js';
import type { Contender } from './peers.js';
import type { Timed } from './timing.js';

export function breakdownSteps(bundle: Bundle, cascade: Contender, handJs: Contender): Timed<ToolCallEvent>[] | string {
  const program = bundle.program;
  let kernel: KernelInstance;
  try {
    kernel = new KernelInstance(program.image, 4096, 4096);
  } catch (err) {
    return `cannot load a private kernel: ${(err as Error).message}`;
  }
  if (typeof kernel.x.rt_eval !== 'function' || kernel.x.rt_eval.length !== 5) return 'rt_eval no longer takes (bucket, run, now, hlo, hhi)';
  const projector = new Projector(program.slots);
  // the engine keeps each bucket's generated projection; so does this rebuild
  const projections = program.buckets.map((plan) => (plan.size > 0 ? projector.compile(plan.slots) : undefined));
  const toolIds = new Map(program.tools.map((t, i) => [t, i]));
  const kind = EVENT_KINDS.indexOf('tool.call');
  const nTools = program.tools.length;
  const bucketOf = (e: ToolCallEvent): number => kind * (nTools + 1) + (toolIds.get(e.tool) ?? nTools);
  if (cascade.sync === false || handJs.sync === false) return 'expected synchronous cascade and hand-js';
  return [
    { engine: 'step 1: bucket lookup', sync: true, evaluate: (e) => (program.buckets[bucketOf(e)]!.size === 0 ? undefined : 1) },
    {
      engine: 'step 2: + projection',
      sync: true,
      evaluate: (e) => {
        const project = projections[bucketOf(e)];
        if (project === undefined) return undefined;
        project(e, projector, kernel);
        return 1;
      },
    },
    {
      engine: 'step 3: + rt_eval',
      sync: true,
      evaluate: (e) => {
        const b = bucketOf(e);
        const project = projections[b];
        if (project === undefined) return undefined;
        project(e, projector, kernel);
        return kernel.x.rt_eval(b, -1, 0, 0, 0) === 0 ? undefined : 1;
      },
    },
    { engine: 'engine.evaluate (cascade)', sync: true, evaluate: cascade.evaluate },
    { engine: 'hand-js', sync: true, evaluate: handJs.evaluate },
  ];
}
