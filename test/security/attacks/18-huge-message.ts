import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a 10 MB message in the verdict',
  code: policy('return { violation: true, message: "x".repeat(10 * 1024 * 1024) };'),
  expect: { verdict: 'error', codes: ['oversized_return'] },
});
