import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a catastrophically backtracking regular expression',
  code: policy('return { violation: /^(a+)+$/.test("a".repeat(40) + "b"), message: "m" };'),
  expect: { verdict: 'error', codes: ['timeout'] },
});
