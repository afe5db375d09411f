import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'string doubling until V8\'s string length limit',
  code: policy('let s = "x"; for (;;) s = s + s;'),
  host: { timeoutMs: 2000 },
  modes: ['inline', 'child'],
  expect: { verdict: 'error', codes: ['threw', 'memory_limit', 'timeout'] },
});
