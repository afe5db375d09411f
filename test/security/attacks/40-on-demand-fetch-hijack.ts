import { defineAttack } from '../attack.js';

// Under the default on-demand marshalling, large values reach a policy as accessors that fetch
// them from the host on first read (isolate-runtime.ts, lazyProperty). The attack goes after the
// one way back to the host behind them: it tries to replace what the runtime decodes with
// (JSON.parse, Array and Object prototypes), to lift the fetch function out of an accessor
// (`caller`, `arguments`, its source, a foreign receiver), to make the accessor fetch for another
// object, and to read its own values in ways that skip the accessor. Whatever it does, it sees
// only its own event, and the host's objects stay untouched (the driver checks them).
export default defineAttack({
  description: 'hijacking the on-demand fetch behind not-yet-read values: tampering with the decoder, lifting the fetch function out of an accessor, redirecting it',
  code: `export function evaluate(event, context) {
  const seen = [];
  const tryIt = (name, f) => { try { seen.push(name + '=' + f()); } catch (e) { seen.push(name + '!' + e.constructor.name); } };
  tryIt('parse', () => { JSON.parse = () => ({ hijacked: true }); return JSON.parse === undefined; });
  tryIt('arrayProto', () => { Object.defineProperty(Array.prototype, '0', { get() { return 'x'; } }); return 'defined'; });
  const d = Object.getOwnPropertyDescriptor(event.args, 'items');
  seen.push('accessor=' + (typeof d.get));
  tryIt('caller', () => typeof d.get.caller);
  tryIt('arguments', () => typeof d.get.arguments);
  seen.push('sourceNamesFetch=' + /fetchNode|demandNode|lazyRead/.test(String(d.get)));
  // a foreign receiver is refused: the accessor never guesses which object was meant
  tryIt('foreign', () => d.get.call({ args: 'other' }).length);
  tryIt('proto', () => { const o = Object.create(event.args); return o.items === event.args.items; });
  seen.push('items=' + event.args.items.length + ':' + event.args.items[0].sku);
  seen.push('stringify=' + (JSON.stringify(event).length > 1000));
  return { violation: true, message: seen.join(' ') };
}`,
  event: {
    kind: 'tool.call',
    runId: 'run-1',
    tool: 'issue_refund',
    callId: 'c1',
    args: { amount: 900, items: Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: 1, note: "the attacker's own order" })) },
  },
  expect: {
    verdict: 'violation',
    message: /^parse!TypeError arrayProto!TypeError accessor=function caller!TypeError arguments!TypeError sourceNamesFetch=true foreign!TypeError proto=true items=40:SKU-0 stringify=true$/,
  },
});
