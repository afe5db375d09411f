import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'installing Error.prepareStackTrace to grab call-site receivers',
  code: policy('Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis()); return { violation: true, message: String(new Error().stack.length) };'),
  expect: { verdict: 'error', codes: ['threw'] },
});
