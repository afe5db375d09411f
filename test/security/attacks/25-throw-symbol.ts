import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'throwing a Symbol, which cannot be converted to a string',
  code: policy('throw Symbol("boom");'),
  expect: { verdict: 'error', codes: ['threw'], message: /symbol/ },
});
