// Property test of the isolate's own msgpack decoder against msgpackr: whatever the host packs,
// the policy sees the same value as with JSON (the reference format).

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandboxHost } from '../../src/sandbox/index.js';
import { context, ECHO } from './fixtures.js';

const msgpack = createSandboxHost({ marshal: 'msgpack', timeoutMs: 200 });
msgpack.loadTenantPolicies('t', [{ name: 'echo', code: ECHO }]);
afterAll(() => msgpack.dispose());

describe('in-isolate msgpack decoder', () => {
  it('decodes every JSON value msgpackr encodes to the same value', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), (args) => {
        const event = { kind: 'tool.call' as const, runId: 'r', tool: 't', callId: 'c', args };
        const expected = JSON.parse(JSON.stringify({ event, context }));
        const json = JSON.stringify(expected);
        fc.pre(json.length < 1900);
        const v = msgpack.evaluate('t', 'echo', event as never, context);
        if (v.status !== 'ok' || !v.violation) throw new Error(JSON.stringify(v));
        expect(JSON.parse(v.message)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('handles large integers, floats, long strings and big maps', () => {
    const args = { big: 2 ** 40, neg: -(2 ** 40), i32: -70000, f: 0.1, s: 'ü'.repeat(300), map: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])) };
    const v = msgpack.evaluate('t', 'echo', { kind: 'tool.call', runId: 'r', tool: 't', callId: 'c', args } as never, context);
    expect(v.status === 'ok' && v.violation && JSON.parse(v.message).event.args).toEqual(args);
  });
});
