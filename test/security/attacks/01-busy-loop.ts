import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'an endless loop in evaluate',
  code: policy('for (;;) {}'),
  expect: { verdict: 'error', codes: ['timeout'] },
});
