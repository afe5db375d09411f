import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a BigInt in the verdict that JSON cannot carry',
  code: policy('return { violation: true, message: "m", evidence: [{ field: "f", start: 10n }] };'),
  expect: { verdict: 'error', codes: ['bad_return'] },
});
