import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'throwing an object whose toString and getters spin',
  code: policy('throw { get message() { for (;;) {} }, toString() { for (;;) {} } };'),
  expect: { verdict: 'error', codes: ['threw'], message: /non-Error object/ },
});
