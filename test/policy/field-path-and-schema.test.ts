import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFieldPath, readPath, checkPathForKind } from '../../src/policy/field-path.js';
import { POLICY_TYPES, TEST_OPS } from '../../src/policy/parse-policy.js';
import { ACTIONS, MODES, SEVERITIES } from '../../src/engine/decision.js';
import { EVENT_KINDS } from '../../src/events/types.js';

const path = (t: string) => {
  const r = parseFieldPath(t);
  if (!r.ok) throw new Error(r.message);
  return r.path;
};

describe('field paths', () => {
  it('parses keys, indexes, wildcards, quoted keys and `**`', () => {
    expect(path('args.to[*]').segments).toEqual([{ key: 'args' }, { key: 'to' }, { wildcard: true }]);
    expect(path('messages[2].content').segments).toEqual([{ key: 'messages' }, { index: 2 }, { key: 'content' }]);
    expect(path('metadata["user-role"]').segments).toEqual([{ key: 'metadata' }, { key: 'user-role' }]);
    expect(path('result.**').multi).toBe(true);
    for (const bad of ['', '.a', 'a.', 'a..b', 'a[', 'a[x]', '[0]', 'a.**.b', 'a b', 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q']) {
      expect(parseFieldPath(bad).ok, bad).toBe(false);
    }
  });
  it('reads own values with fan-out and ignores inherited Object.prototype members', () => {
    const ev = { args: { to: ['a', 'b'], n: { x: 1 } }, messages: [{ content: 'x' }, { content: 'y' }] };
    expect(readPath(ev, path('args.to[*]'))).toEqual(['a', 'b']);
    expect(readPath(ev, path('messages[*].content'))).toEqual(['x', 'y']);
    expect(readPath(ev, path('args.**'))).toEqual([ev.args, ['a', 'b'], 'a', 'b', { x: 1 }, 1]);
    expect(readPath(ev, path('args.constructor'))).toEqual([]);
    expect(readPath(ev, path('args.to.length'))).toEqual([]);
  });
  it('knows which fields each event kind has', () => {
    expect(checkPathForKind(path('args.anything.deep'), 'tool.call')).toBeUndefined();
    expect(checkPathForKind(path('args.x'), 'llm.request')).toContain('no field `args`');
    expect(checkPathForKind(path('messages[*].content'), 'llm.request')).toBeUndefined();
    expect(checkPathForKind(path('messages.content'), 'llm.request')).toContain('[*]');
    expect(checkPathForKind(path('usage.totalTokens'), 'llm.response')).toBeUndefined();
    expect(checkPathForKind(path('usage.bogus'), 'llm.response')).toContain('no field `bogus`');
  });
});

describe('published JSON Schema', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schema/policy.schema.json', import.meta.url), 'utf8'));
  it('lists exactly the operators, types, actions, modes, severities and kinds the compiler accepts', () => {
    expect(Object.keys(schema.$defs.fieldTests.properties).sort()).toEqual([...TEST_OPS].sort());
    expect(schema.$defs.common.properties.type.enum).toEqual([...POLICY_TYPES]);
    expect(schema.$defs.common.properties.action.enum).toEqual([...ACTIONS]);
    expect(schema.$defs.common.properties.mode.enum).toEqual([...MODES]);
    expect(schema.$defs.common.properties.severity.enum).toEqual([...SEVERITIES]);
    expect(schema.$defs.eventKind.enum).toEqual([...EVENT_KINDS]);
  });
});
