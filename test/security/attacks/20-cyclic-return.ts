import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a verdict whose evidence refers back to itself',
  code: policy('const r = { violation: true, message: "m", evidence: [] }; r.evidence.push(r); return r;'),
  expect: { verdict: 'error', codes: ['bad_return'], message: /cyclic/ },
});
