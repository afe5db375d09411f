import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'a Proxy result whose traps throw and lie',
  code: policy('let n = 0; return new Proxy({}, { ownKeys() { throw new Error("trap"); }, get(_, k) { n++; return k === "violation" ? (n % 2 === 0) : "m"; } });'),
  expect: { verdict: 'error', codes: ['bad_return'], message: /trap/ },
});
