import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../src/sandbox/errors.js';
import { decodeRunOutput, deserializeVerdict, serializeVerdict, verdictToViolation, type SandboxVerdict } from '../../src/sandbox/verdict.js';

const meta = { tenantId: 't', policy: 'p', policyVersion: 'abc', onError: 'block' as const };

describe('decodeRunOutput', () => {
  it('maps 0 to a pass and a violation record to a violation', () => {
    expect(decodeRunOutput(0, meta)).toEqual({ status: 'ok', violation: false, policy: 'p', policyVersion: 'abc' });
    const v = decodeRunOutput(JSON.stringify({ v: 1, m: 'bad', s: 'low', c: 'x', a: 'block', e: [{ field: 'a', start: 1, end: 2, excerpt: 'q' }] }), meta);
    expect(v).toEqual({
      status: 'ok', violation: true, policy: 'p', policyVersion: 'abc', message: 'bad', severity: 'low', classification: 'x', action: 'block',
      evidence: [{ field: 'a', start: 1, end: 2, excerpt: 'q' }],
    });
  });

  it('re-validates everything the isolate sends and never trusts extra keys', () => {
    const bad = [
      1, 'not json', JSON.stringify({ v: 2 }), JSON.stringify({ v: 1, m: '' }), JSON.stringify({ v: 1, m: 'x'.repeat(5000) }),
      JSON.stringify({ v: 1, m: 'x', s: 'urgent' }), JSON.stringify({ v: 1, m: 'x', a: 'explode' }),
      JSON.stringify({ v: 1, m: 'x', e: [{ field: 3 }] }), JSON.stringify({ v: 1, m: 'x', e: new Array(40).fill({ field: 'f' }) }),
    ];
    for (const raw of bad) expect(decodeRunOutput(raw, meta)).toMatchObject({ status: 'error', error: { code: 'internal' } });
    const polluted = decodeRunOutput('{"v":1,"m":"x","__proto__":{"polluted":1},"e":[{"field":"f","__proto__":{"p":1}}]}', meta);
    expect(polluted.status === 'ok' && polluted.violation && Object.getPrototypeOf(polluted.evidence[0])).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('maps tenant fault records onto SandboxErrors with location', () => {
    const v = decodeRunOutput(JSON.stringify({ err: 'threw', msg: 'evaluate threw Error: x', line: 3, col: 4 }), meta);
    expect(v).toMatchObject({ status: 'error', onError: 'block', error: { code: 'threw', line: 3, column: 4, policy: 'p', tenantId: 't' } });
    expect(decodeRunOutput(JSON.stringify({ err: 'something-else', msg: 'm' }), meta)).toMatchObject({ error: { code: 'internal' } });
  });
});

describe('serialisation across the process boundary', () => {
  it('round-trips failures as SandboxErrors', () => {
    const v: SandboxVerdict = { status: 'error', policy: 'p', policyVersion: 'v', onError: 'allow', error: new SandboxError('timeout', 'slow', { tenantId: 't', policy: 'p' }) };
    const back = deserializeVerdict(JSON.parse(JSON.stringify(serializeVerdict(v))));
    expect(back.status === 'error' && SandboxError.isInstance(back.error) && back.error.code).toBe('timeout');
    expect(back).toMatchObject({ onError: 'allow', policyVersion: 'v' });
  });
});

describe('verdictToViolation', () => {
  const vm = { severity: 'medium' as const, action: 'block' as const, effectiveMode: 'enforce' as const };
  it('is null for a pass and fills defaults from the policy declaration', () => {
    expect(verdictToViolation({ status: 'ok', violation: false, policy: 'p', policyVersion: 'v' }, vm)).toBeNull();
    const v = verdictToViolation({ status: 'ok', violation: true, policy: 'p', policyVersion: 'v', message: 'm', evidence: [] }, vm);
    expect(v).toMatchObject({ policyType: 'custom', severity: 'medium', action: 'block', shadow: false, message: 'm' });
  });
  it('fails closed on an error unless on_error is allow, and is shadow outside enforce', () => {
    const err = new SandboxError('timeout', 'slow');
    expect(verdictToViolation({ status: 'error', policy: 'p', error: err, onError: 'block' }, vm)).toMatchObject({ action: 'block', message: 'sandbox timeout: slow' });
    expect(verdictToViolation({ status: 'error', policy: 'p', error: err, onError: 'allow' }, vm)).toMatchObject({ action: 'allow' });
    expect(verdictToViolation({ status: 'error', policy: 'p', error: err, onError: 'block' }, { ...vm, effectiveMode: 'detect' })).toMatchObject({ shadow: true });
  });
});

describe('SandboxError', () => {
  it('is recognised across copies by its marker and keeps cause', () => {
    const cause = new Error('inner');
    const e = new SandboxError('threw', 'outer', { cause });
    expect(SandboxError.isInstance(e)).toBe(true);
    expect(SandboxError.isInstance(new Error('x'))).toBe(false);
    expect(SandboxError.isInstance({ [Symbol.for('cascade-runtime.error.SandboxError')]: true })).toBe(true);
    expect(e.cause).toBe(cause);
    expect(e.name).toBe('SandboxError');
    expect(e.toJSON()).toEqual({ code: 'threw', message: 'outer', cause: 'Error: inner' });
  });
});
