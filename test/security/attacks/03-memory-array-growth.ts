import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'unbounded array growth until the heap limit',
  code: policy('const a = []; for (;;) a.push({ i: a.length, s: "x" + a.length });'),
  host: { timeoutMs: 5000 },
  modes: ['inline', 'child'],
  expect: { verdict: 'error', codes: ['memory_limit'] },
});
