import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'unbounded recursion',
  code: policy('const f = (n) => f(n + 1) + 1; return f(0);'),
  expect: { verdict: 'error', codes: ['threw'], message: /Maximum call stack/ },
});
