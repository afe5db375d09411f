import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'dynamic `import(\'node:fs\')` from evaluate',
  code: policy('return import("node:fs");'),
  expect: { verdict: 'error', codes: ['threw'], message: /import/ },
});
