import { defineAttack } from '../attack.js';

export default defineAttack({
  description: 'an endless loop in module top-level code at load time',
  code: 'while (true) {}\nexport function evaluate() { return { violation: false }; }',
  expect: { load: 'rejected', codes: ['top_level_timeout'] },
});
