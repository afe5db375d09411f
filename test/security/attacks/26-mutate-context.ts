import { defineAttack } from '../attack.js';

export default defineAttack({
  description: 'mutating the event and context to change what the host or later evaluations see',
  code: `let calls = 0;\nexport function evaluate(event, context) {\n  calls++;\n  if (event.args.note !== 'attacker-data' || context.mode !== 'enforce') return { violation: true, message: 'saw a mutated copy' };\n  event.args.amount = 0; event.args.note = 'changed'; context.mode = 'observe'; delete event.tool;\n  return { violation: true, message: 'mutated a private copy on call ' + calls };\n}`,
  expect: { verdict: 'violation', message: /^mutated a private copy on call 1$/ },
});
