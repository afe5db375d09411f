import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArguments, ToolCallAssembler } from '../../src/sdk/tool-call-assembly.js';

describe('ToolCallAssembler', () => {
  it('reassembles the final arguments of each call from deltas however they are cut', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 9 }), (argsList, size) => {
        const a = new ToolCallAssembler();
        argsList.forEach((args, i) => {
          a.start(i, `call_${i}`, `tool_${i}`);
          const text = JSON.stringify(args);
          for (let k = 0; k < text.length; k += size) a.append(i, text.slice(k, k + size));
        });
        const { calls, problem } = a.finish(true, false);
        expect(problem).toBeUndefined();
        expect(calls.map((c) => c.args)).toEqual(argsList.map((x) => JSON.parse(JSON.stringify(x))));
        expect(calls.map((c) => c.callId)).toEqual(argsList.map((_, i) => `call_${i}`));
      }),
    );
  });

  it('an incomplete stream makes every call undecidable', () => {
    const a = new ToolCallAssembler();
    a.start(0, 'c0', 'refund');
    a.append(0, '{"amount": 10}');
    const { calls, problem } = a.finish(false, false);
    expect(problem).toBe('the stream ended before the answer was complete');
    expect(calls[0]).toMatchObject({ integrity: true, problem });
    expect(calls[0]!.args).toBeUndefined();
  });

  it('a call whose id changes, or arguments for a call never started, are contradictions', () => {
    const a = new ToolCallAssembler();
    a.start(0, 'c0', 'refund');
    a.start(0, 'c9', undefined);
    expect(a.finish(true, false).calls[0]!.problem).toMatch(/changed identity/);
    const b = new ToolCallAssembler();
    b.append(3, '{}');
    expect(b.finish(true, false).problem).toMatch(/never started/);
  });

  it('a call that must be closed explicitly and was not is undecidable', () => {
    const a = new ToolCallAssembler();
    a.start(1, 'toolu_1', 'refund');
    a.append(1, '{}');
    expect(a.finish(true, true).calls[0]!.problem).toBe('the call was never completed');
    a.close(1);
    expect(a.finish(true, true).calls[0]!.args).toEqual({});
  });

  it('arguments must be a JSON object; empty text is an empty object', () => {
    expect(parseArguments('')).toEqual({ ok: true, args: {} });
    expect(parseArguments('[1]')).toEqual({ ok: false, problem: 'arguments are not a JSON object' });
    expect(parseArguments('{"a":').ok).toBe(false);
  });
});
