import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTrace, encodeTrace } from '../../src/events/jsonl.js';
import { validateEvent } from '../../src/events/validate.js';
import type { StreamEvent } from '../../src/events/types.js';

describe('JSONL trace format', () => {
  it('round-trips events with a version header', () => {
    const events: StreamEvent[] = [
      { kind: 'run.start', runId: 'r', input: 'hi' },
      { kind: 'tool.call', runId: 'r', tool: 't', args: { a: 1 }, callId: 'c' },
      { kind: 'tool.result', runId: 'r', tool: 't', callId: 'c', result: { ok: true } },
      { kind: 'run.end', runId: 'r', status: 'ok' },
    ];
    const text = encodeTrace(events);
    expect(text.split('\n')[0]).toBe('{"cascade_trace":1}');
    const d = decodeTrace(text);
    expect(d.errors).toEqual([]);
    expect(d.events.map((e) => e.event)).toEqual(events);
    expect(d.events.map((e) => e.line)).toEqual([2, 3, 4, 5]);
  });
  it('names the line of every bad input and keeps the good ones', () => {
    const text = [
      '{"kind":"tool.call","runId":"r","tool":"t","args":{},"callId":"c"}',
      '{not json',
      '{"kind":"teleport","runId":"r"}',
      '{"kind":"tool.call","runId":"r","tool":"t","args":[],"callId":"c"}',
      '',
      '{"kind":"reasoning","runId":"r"}',
      '[1,2]',
      '{"cascade_trace":99}',
      '{"kind":"agent.response","runId":"r","content":"done"}',
    ].join('\n');
    const d = decodeTrace(text);
    expect(d.events.map((e) => e.line)).toEqual([1, 9]);
    expect(d.errors.map((e) => e.line)).toEqual([2, 3, 4, 6, 7, 8]);
    expect(d.errors[1]!.message).toContain('unknown event kind `teleport`');
    expect(d.errors[2]!.message).toBe('`args` of a `tool.call` event must be an object');
    expect(d.errors[3]!.message).toBe('`reasoning` event is missing `text`');
    expect(d.errors[5]!.message).toContain('version `99`');
  });
  it('rejects absurd nesting instead of recursing without bound', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 500; i++) deep = { a: deep };
    const r = validateEvent({ kind: 'tool.call', runId: 'r', tool: 't', callId: 'c', args: deep });
    expect(r.ok).toBe(false);
  });
  it('random lines never throw', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ kind: 'tool.call', runId: 'r', ...((v && typeof v === 'object') ? v : {}) }))), { maxLength: 20 }), (lines) => {
        const d = decodeTrace(lines.join('\n'));
        expect(d.events.length + d.errors.length).toBeLessThanOrEqual(lines.length + 1);
      }),
      { numRuns: 2000 },
    );
  });
});
