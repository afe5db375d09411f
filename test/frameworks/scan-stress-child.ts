// Child process of scan-stress.test.ts: millions of scans through the Wasm scan kernel with mixed
// inputs, in a process started without --no-turbo-inline-js-wasm-calls (as users' agents run).
// Every 1000th scan is compared with the TypeScript scanner. Prints one JSON line.

import { KernelTokenScanner } from '../../src/frameworks/scan/kernel-scanner.js';
import { TokenScanner } from '../../src/frameworks/scan/token-scanner.js';
import { SCANNER_PATTERNS, VALIDATORS } from '../../src/frameworks/secrets/index.js';

const calls = Number(process.argv[2] ?? '300000');
const table = new TokenScanner(SCANNER_PATTERNS, VALIDATORS);
const kernel = new KernelTokenScanner(table);
const key = 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const inputs = [
  '',
  'a',
  key,
  `token=${key}; aws=AKIAIOSFODNN7EXAMPL2 and more`,
  'x'.repeat(5000) + '\ud800' + 'é😀' + key,
  `${'sk-ant-api03-'.repeat(200)}`,
  `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${'eyJzdWIiOiIxMjM0NTY3ODkwIn0'.repeat(3)}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
  JSON.stringify({ body: 'Hi team, the numbers are attached. '.repeat(30), cc: ['a@example.com'] }),
  // match-dense: 64 and 200 tokens, more than the kernel's first output area holds
  Array.from({ length: 64 }, (_, i) => `ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R${String.fromCharCode(65 + (i % 26))}`).join('\n'),
  Array.from({ length: 200 }, (_, i) => `AKIAIOSFODNN7EXA${String.fromCharCode(65 + (i % 26), 65 + ((i * 7) % 26), 65 + ((i * 3) % 26), 50 + (i % 8))}`).join(' '),
  '\u0000\u0001\u007f\u0080\uffff'.repeat(300),
];
const shape = (ms: { pattern: { id: string }; start: number; end: number }[]): string => ms.map((m) => `${m.pattern.id}@${m.start}-${m.end}`).join(',');
let matches = 0;
let mismatches = 0;
for (let i = 0; i < calls; i++) {
  const text = inputs[i % inputs.length]!;
  const got = kernel.scan(text);
  matches += got.length;
  if (i % 1000 === 0 && shape(got) !== shape(table.scan(text))) mismatches++;
}
console.log(JSON.stringify({ calls, matches, mismatches }));
