import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'overwriting built-ins to poison later evaluations and the runtime',
  code: policy('Object.prototype.toString = () => "pwned"; JSON.stringify = () => "{}"; return { violation: false };'),
  expect: { verdict: 'error', codes: ['threw'], message: /read only|not extensible|Cannot assign/ },
});
