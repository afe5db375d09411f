import { defineAttack } from '../attack.js';

export default defineAttack({
  description: 'an async evaluate that would decide after the guard has moved on',
  code: 'export async function evaluate() { return { violation: false }; }',
  expect: { verdict: 'error', codes: ['bad_return'], message: /synchronous/ },
});
