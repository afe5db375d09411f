import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'an evidence array with a million items',
  code: policy('return { violation: true, message: "m", evidence: Array.from({ length: 1e6 }, (_, i) => ({ field: "f" + i })) };'),
  host: { timeoutMs: 2000 },
  expect: { verdict: 'error', codes: ['oversized_return', 'memory_limit', 'timeout'] },
});
