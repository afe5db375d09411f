import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: '`Atomics.wait` on shared memory to block the thread',
  code: policy('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return { violation: false };'),
  expect: { verdict: 'error', codes: ['threw'], message: /is not defined/ },
});
