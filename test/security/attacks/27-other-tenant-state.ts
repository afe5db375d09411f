import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'searching the isolate for another tenant\'s module state and data',
  code: policy(`\n  const seen = new Set(); const hits = [];\n  const walk = (v, depth) => { if (depth > 4 || v === null || (typeof v !== 'object' && typeof v !== 'function') || seen.has(v)) return; seen.add(v);\n    for (const k of Reflect.ownKeys(v)) { let x; try { x = v[k]; } catch { continue; } if (typeof x === 'string' && x.includes('victim')) hits.push(x); walk(x, depth + 1); } };\n  walk(globalThis, 0);\n  if (hits.length === 0) throw new Error('no other tenant reachable');\n  return { violation: true, message: hits.join(',') };`),
  host: { timeoutMs: 2000 },
  expect: { verdict: 'error', codes: ['threw'], message: /no other tenant reachable/ },
});
