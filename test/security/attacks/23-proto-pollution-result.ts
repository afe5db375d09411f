import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a `__proto__` key in the verdict aimed at the host\'s prototypes',
  code: policy('return JSON.parse(\'{"violation": true, "message": "m", "__proto__": {"polluted": true}, "evidence": [{"field": "f", "__proto__": {"polluted": true}}]}\');'),
  expect: { verdict: 'error', codes: ['bad_return'], message: /__proto__/ },
});
