import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'returning a promise that never resolves',
  code: policy('return new Promise(() => {});'),
  expect: { verdict: 'error', codes: ['bad_return'], message: /promise/ },
});
