import { defineAttack } from '../attack.js';

export default defineAttack({
  description: 'a static import of a node built-in',
  code: "import { readFileSync } from 'node:fs';\nexport function evaluate() { return { violation: true, message: readFileSync('/etc/passwd', 'utf8') }; }",
  expect: { load: 'rejected', codes: ['import_not_allowed'] },
});
