import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'defining a global to leak state across evaluations',
  code: policy('globalThis.leak = event; return { violation: false };'),
  expect: { verdict: 'error', codes: ['threw'], message: /not extensible|Cannot add/ },
});
