import { defineAttack } from '../attack.js';

export default defineAttack({
  description: 'a memory bomb in module top-level code at load time',
  code: 'const a = []; for (;;) a.push({ i: a.length, s: "y" + a.length });\nexport function evaluate() { return { violation: false }; }',
  host: { loadTimeoutMs: 5000 },
  modes: ['inline', 'child'],
  expect: { load: 'rejected', codes: ['top_level_memory'] },
});
