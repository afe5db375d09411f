import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a Map grown until the heap limit',
  code: policy('const m = new Map(); for (let i = 0; ; i++) m.set(i, [i]);'),
  host: { timeoutMs: 5000 },
  modes: ['child'],
  inlineExcluded: 'growing a Map past the limit reallocates its backing store in one piece and V8 hits a catastrophic OOM; inline, the synchronous call never returns (measured), so only the child mode can contain it',
  boundMs: 15000,
  expect: { verdict: 'error', codes: ['memory_limit', 'child_crashed'] },
});
