import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/sandbox/circuit-breaker.js';

describe('CircuitBreaker', () => {
  const make = (clock: { now: number }) => new CircuitBreaker({ threshold: 3, windowMs: 1000, cooldownMs: 100, clock: () => clock.now });

  it('opens after threshold faults inside the window only', () => {
    const c = { now: 0 };
    const b = make(c);
    b.recordFault('t');
    c.now = 600;
    b.recordFault('t');
    c.now = 1200; // the first fault left the window
    expect(b.recordFault('t')).toEqual({ tripped: false });
    expect(b.recordFault('t')).toMatchObject({ tripped: true, until: 1300 });
    expect(b.gate('t')).toEqual({ state: 'open', until: 1300 });
    expect(b.gate('other')).toEqual({ state: 'closed' });
  });

  it('lets exactly one probe through after the cool-down and backs off on failure', () => {
    const c = { now: 0 };
    const b = make(c);
    for (let i = 0; i < 3; i++) b.recordFault('t');
    c.now = 100;
    expect(b.gate('t')).toEqual({ state: 'probe' });
    expect(b.gate('t').state).toBe('open');
    expect(b.recordFault('t')).toMatchObject({ tripped: true, until: 300 });
    c.now = 300;
    expect(b.gate('t')).toEqual({ state: 'probe' });
    expect(b.recordSuccess('t')).toBe(true);
    expect(b.gate('t')).toEqual({ state: 'closed' });
    expect(b.faultCount('t')).toBe(0);
  });

  it('caps the back-off at 16× the cool-down', () => {
    const c = { now: 0 };
    const b = make(c);
    for (let i = 0; i < 3; i++) b.recordFault('t');
    let until = 100;
    for (let i = 0; i < 8; i++) {
      c.now = until;
      expect(b.gate('t').state).toBe('probe');
      const r = b.recordFault('t');
      if (!r.tripped) throw new Error('expected trip');
      until = r.until;
    }
    expect(until - c.now).toBe(1600);
  });
});
