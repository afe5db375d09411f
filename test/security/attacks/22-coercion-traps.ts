import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'toJSON / valueOf / toString / Symbol.toPrimitive traps that spin if the host coerces the message',
  code: policy('const spin = () => { for (;;) {} }; return { violation: true, message: { toJSON: spin, valueOf: spin, toString: spin, [Symbol.toPrimitive]: spin } };'),
  expect: { verdict: 'error', codes: ['bad_return'], message: /message/ },
});
