import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'growing a string and forcing V8 to flatten it each round',
  code: policy('let s = "x"; for (;;) { s = s + s; s = s.slice(1) + "y"; }'),
  host: { timeoutMs: 5000 },
  modes: ['child'],
  inlineExcluded: 'flattening a huge string is one allocation past the heap limit; V8 may hit a catastrophic OOM, and inline the synchronous call then never returns (seen intermittently), so only the child mode can contain it',
  expect: { verdict: 'error', codes: ['threw', 'memory_limit', 'child_crashed'] },
  boundMs: 15000,
});
