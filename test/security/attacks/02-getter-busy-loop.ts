import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a busy loop inside a getter of the returned object',
  code: policy('return { get violation() { for (;;) {} } };'),
  expect: { verdict: 'error', codes: ['timeout'] },
});
