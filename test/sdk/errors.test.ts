import { describe, expect, expectTypeOf, it } from 'vitest';
import { CascadeConfigError, CascadeError, EnforcementError, PolicyViolationError, RunHaltedError } from '../../src/sdk/index.js';

describe('errors', () => {
  const cause = new Error('root cause');
  const all = [
    new PolicyViolationError({ message: 'blocked', policy: 'p', outcome: 'block', point: 'tool.call', cause }),
    new RunHaltedError({ runId: 'r', policy: 'p', message: 'halted', cause }),
    new EnforcementError('engine_error', 'engine failed', { cause }),
    new CascadeConfigError('bad config', { cause }),
  ];

  it('carry a name, a cause, and are Errors and CascadeErrors', () => {
    expect(all.map((e) => e.name)).toEqual(['PolicyViolationError', 'RunHaltedError', 'EnforcementError', 'CascadeConfigError']);
    for (const e of all) {
      expect(e).toBeInstanceOf(Error);
      expect(e.cause).toBe(cause);
      expect(CascadeError.isInstance(e)).toBe(true);
    }
  });

  it('isInstance tells the classes apart', () => {
    const [violation, halted, enforcement, config] = all;
    expect(PolicyViolationError.isInstance(violation)).toBe(true);
    expect(PolicyViolationError.isInstance(halted)).toBe(false);
    expect(RunHaltedError.isInstance(halted)).toBe(true);
    expect(RunHaltedError.isInstance(enforcement)).toBe(false);
    expect(EnforcementError.isInstance(enforcement)).toBe(true);
    expect(CascadeConfigError.isInstance(config)).toBe(true);
    expect(CascadeConfigError.isInstance(new Error('x'))).toBe(false);
    expect(PolicyViolationError.isInstance(null)).toBe(false);
  });

  it('isInstance recognises errors from another copy of the package by their Symbol.for marker', () => {
    const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('cascade-runtime.error.run-halted')]: true });
    expect(foreign instanceof RunHaltedError).toBe(false);
    expect(RunHaltedError.isInstance(foreign)).toBe(true);
  });

  it('narrows types', () => {
    const e: unknown = all[0];
    if (PolicyViolationError.isInstance(e)) expectTypeOf(e.policy).toEqualTypeOf<string>();
    if (EnforcementError.isInstance(e)) expectTypeOf(e.code).toEqualTypeOf<EnforcementError['code']>();
  });
});
