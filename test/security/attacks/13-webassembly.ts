import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'compiling WebAssembly to get native code execution',
  code: policy('const m = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])); return { violation: false, m };'),
  expect: { verdict: 'error', codes: ['threw'], message: /WebAssembly is not defined/ },
});
