import { defineAttack } from '../attack.js';

// Under `marshal: 'json'`, a context of 512+ chars reaches a policy as a Proxy that decodes it on
// first use (isolate-runtime.ts); this one carries a history to be that long. (The default,
// on-demand marshalling, has its own attack: 40-on-demand-fetch-hijack.ts.) The attack looks for anything of the runtime behind it: hidden keys or symbols, a handler it can
// reach, a prototype other than Object.prototype; then re-prototypes and freezes its copy before
// first use and stashes it, to see whether that leaks into the host or the next decode.
export default defineAttack({
  description: 'probing the lazily decoded context for the runtime behind it, and tampering with it before its first use',
  code: `let stash;
export function evaluate(event, context) {
  const seen = [];
  const before = Reflect.ownKeys(context);
  Object.setPrototypeOf(context, { polluted: true, mode: 'observe' });
  seen.push('polluted=' + context.polluted);
  Object.setPrototypeOf(context, Object.prototype);
  Object.freeze(context);
  let threw = false;
  try { context.mode = 'observe'; } catch (e) { threw = true; }
  seen.push('frozenWrite=' + threw);
  seen.push('keys=' + before.map(String).join(','));
  seen.push('symbols=' + Object.getOwnPropertySymbols(context).length);
  seen.push('proto=' + (Object.getPrototypeOf(context) === Object.prototype));
  seen.push('tenant=' + context.metadata.tenant);
  // the constructor of what we were given leads to this isolate's Object only
  seen.push('ctor=' + (context.constructor === Object));
  if (stash !== undefined) seen.push('stash=' + stash.mode);
  stash = context;
  return { violation: true, message: seen.join(' ') };
}`,
  context: {
    runId: 'run-1',
    mode: 'enforce',
    metadata: { tenant: 'attacker' },
    history: Array.from({ length: 12 }, (_, i) => ({ kind: 'reasoning' as const, runId: 'run-1', text: `step ${i} of the attacker's own run` })),
  },
  host: { marshal: 'json' },
  expect: {
    verdict: 'violation',
    message: /^polluted=true frozenWrite=true keys=runId,mode,metadata,history symbols=0 proto=true tenant=attacker ctor=true$/,
  },
});
