import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'allocating 64 MiB typed arrays past the memory limit',
  code: policy('const keep = []; for (;;) keep.push(new Uint8Array(64 * 1024 * 1024).fill(1));'),
  host: { timeoutMs: 2000 },
  modes: ['inline', 'child'],
  expect: { verdict: 'error', codes: ['threw', 'memory_limit'] },
});
