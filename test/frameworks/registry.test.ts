import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Violation } from '../../src/engine/decision.js';
import { createFrameworks, FRAMEWORK_NAMES, getFramework, parseFrameworkList, RECOMMENDED, redactEvent } from '../../src/frameworks/index.js';
import type { FrameworkFinding, FrameworkSelection } from '../../src/frameworks/index.js';
import { call, pseudoRandom } from './helpers.js';

describe('registry', () => {
  it('knows every pack by name and recommends all of them', () => {
    for (const n of FRAMEWORK_NAMES) expect(getFramework(n).name).toBe(n);
    expect([...RECOMMENDED]).toEqual([...FRAMEWORK_NAMES]);
    expect(() => getFramework('nope' as never)).toThrow(/unknown framework `nope`/);
  });
  it('builds sets from lists and maps, with per-pack config', () => {
    expect(createFrameworks(['secrets', 'ssrf']).names).toEqual(['secrets', 'ssrf']);
    expect(createFrameworks({ recommended: true, pii: false }).names).not.toContain('pii');
    const set = createFrameworks({ secrets: { mode: 'detect' } });
    expect(set.packs[0]?.mode).toBe('detect');
    expect(() => createFrameworks(['bogus' as never])).toThrow(/known: recommended/);
    expectTypeOf<['secrets']>().toMatchTypeOf<FrameworkSelection>();
  });
  it('parses CLI lists', () => {
    expect(parseFrameworkList('recommended,-pii')).toEqual({ ok: true, names: FRAMEWORK_NAMES.filter((n) => n !== 'pii') });
    expect(parseFrameworkList('secrets, ssrf')).toEqual({ ok: true, names: ['secrets', 'ssrf'] });
    expect(parseFrameworkList('secrets,x')).toMatchObject({ ok: false });
  });
  it('turns findings into violations with the pack ceiling applied', () => {
    const set = createFrameworks({ secrets: { mode: 'detect' }, ssrf: true });
    const token = 'ghp_' + pseudoRandom(5, 36);
    const findings = set.check(call('fetch_url', { url: 'http://127.0.0.1/', note: token }));
    const v = set.toViolations(findings, 'enforce');
    expectTypeOf(v).toEqualTypeOf<Violation[]>();
    const secret = v.find((x) => x.framework === 'secrets');
    const ssrf = v.find((x) => x.framework === 'ssrf');
    expect(secret).toMatchObject({ effectiveMode: 'detect', shadow: true, action: 'modify', policyType: 'rule' });
    expect(ssrf).toMatchObject({ effectiveMode: 'enforce', shadow: false, action: 'block' });
    expect(ssrf?.classification).toContain('LLM06');
    expect(secret?.policyVersion).toMatch(/^[0-9a-f]{16}$/);
  });
  it('redacts modify findings without leaking the secret into modifications', () => {
    const set = createFrameworks(['secrets']);
    const token = 'ghp_' + pseudoRandom(6, 36);
    const e = call('post', { body: `use ${token} now`, n: 1 });
    const f: FrameworkFinding[] = set.check(e);
    const mods = set.modifications(e, f);
    expect(mods).toEqual([{ policy: 'secrets/github-token', op: 'set', field: 'args.body', value: 'use [REDACTED:github-token] now' }]);
    const red = redactEvent(e, f);
    expect(red).not.toBe(e);
    expect(JSON.stringify(red)).not.toContain(token);
    expect(JSON.stringify(e)).toContain(token);
  });
  it('is deterministic: same event, same findings', () => {
    const set = createFrameworks(['recommended']);
    const e = call('send', { to: 'a@b.co', body: 'rm -rf / ; http://10.0.0.1/' });
    expect(set.check(e)).toEqual(set.check(e));
  });
});
