import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'an endless loop, with the isolate in the containment child',
  code: policy('for (;;) {}'),
  modes: ['child'],
  inlineExcluded: 'the same attack runs inline as 01-busy-loop',
  expect: { verdict: 'error', codes: ['timeout'] },
});
