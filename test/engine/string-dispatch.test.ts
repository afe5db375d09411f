import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileStringDispatch } from '../../src/engine/string-dispatch.js';

describe('compiled string dispatch (event kinds, tool ids)', () => {
  it('finds every name and nothing else, for arbitrary name sets', () => {
    // names of few lengths over a small alphabet share prefixes and lengths often; unicode and
    // names that mean something to JS or to generated code are mixed in
    const name = fc.oneof(
      fc.array(fc.constantFrom('a', 'b', '_', '.', 'é', '😀'), { maxLength: 6 }).map((cs) => cs.join('')),
      fc.constantFrom('', '__proto__', 'constructor', 'toString', '"; return 1; //', '\u2028', '\ud800', 'tool.call', 'send_email'),
    );
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 40 }), fc.array(name, { maxLength: 20 }), (names, probes) => {
        const lookup = compileStringDispatch(names);
        names.forEach((n, i) => expect(lookup(n)).toBe(i));
        // a fresh string object with the same content is found too
        names.forEach((n, i) => expect(lookup([...n].join(''))).toBe(i));
        for (const p of probes) expect(lookup(p)).toBe(names.indexOf(p));
      }),
      { numRuns: 3000 },
    );
  });

  it('an empty set finds nothing', () => {
    expect(compileStringDispatch([])('x')).toBe(-1);
    expect(compileStringDispatch([])('')).toBe(-1);
  });
});
