import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a Proxy evidence array claiming a billion items',
  code: policy('return { violation: true, message: "m", evidence: new Proxy([], { get(t, k) { return k === "length" ? 1e9 : { field: "f" }; } }) };'),
  expect: { verdict: 'error', codes: ['oversized_return'] },
});
