import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: '`({}).constructor.constructor(\'return process\')()` to reach the host',
  code: policy('const p = ({}).constructor.constructor("return process")(); p.exit(1);'),
  expect: { verdict: 'error', codes: ['threw'], message: /process is not defined/ },
});
