import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'returning a pass while a queued microtask spins forever',
  code: policy('Promise.resolve().then(() => { for (;;) {} }); return { violation: false };'),
  expect: { verdict: 'error', codes: ['timeout'] },
});
