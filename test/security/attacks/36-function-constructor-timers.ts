import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'code generation via Function to reach setTimeout and schedule work after the call',
  code: policy('const st = Function("return typeof setTimeout === \'function\' ? setTimeout : undefined")(); st(() => { for (;;) {} }, 0); return { violation: false };'),
  expect: { verdict: 'error', codes: ['threw'], message: /not a function/ },
});
