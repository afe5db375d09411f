import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'one huge array allocation that makes V8 hit a fatal out-of-memory',
  code: policy('return { violation: new Array(2 ** 28).fill(1.5).length > 0, message: "unreachable" };'),
  modes: ['child'],
  inlineExcluded: 'a synchronous call into an isolate that hits a catastrophic OOM never returns (the process hangs); this is why process: child exists',
  boundMs: 15000,
  expect: { verdict: 'error', codes: ['child_crashed'] },
});
