import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyModifications, createEngine } from '../../src/engine/index.js';
import type { LlmResponseEvent } from '../../src/events/types.js';
import { compilePolicies } from '../../src/policy/index.js';
import { HoldBackTextGuard, type TextCheck } from '../../src/sdk/stream-text-guard.js';

const POLICIES = `
name: redact-keys
type: rule
severity: high
on: llm.response
when: { content: { pattern: 'sk_live_[0-9A-Za-z]{16,40}' } }
action: modify
modify:
  redact: [{ field: content, pattern: 'sk_live_[0-9A-Za-z]{16,40}' }]
  replacement: '[KEY]'
---
name: no-codename
type: rule
severity: high
on: llm.response
when: { content: { contains: NIGHTJAR } }
action: prevent_response
`;

const compiled = compilePolicies([{ file: 'p.yaml', text: POLICIES }]);
if (!compiled.ok) throw new Error('policies do not compile');
const engine = createEngine(compiled.bundle);

class Stopped extends Error {}

/** The check the wrappers build: evaluate the text so far with the real engine, never commit. */
const check: TextCheck = (text) => {
  const event: LlmResponseEvent = { kind: 'llm.response', runId: 'stream', content: text };
  const decision = engine.evaluate(event, { mode: 'enforce' });
  engine.rollback(decision);
  if (decision.outcome === 'prevent_response') throw new Stopped('prevented');
  if (decision.modifications.length === 0) return { kind: 'pass' };
  return { kind: 'pass', rewrite: (t) => (applyModifications({ ...event, content: t }, decision) as LlmResponseEvent).content };
};

function split(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let at = 0;
  for (const p of points) {
    out.push(text.slice(at, p));
    at = p;
  }
  out.push(text.slice(at));
  return out;
}

const finalRewrite = (text: string): string => {
  const r = check(text);
  return r.kind === 'pass' && r.rewrite ? r.rewrite(text) : text;
};

describe('HoldBackTextGuard', () => {
  it('never releases any part of a secret, however the stream is cut, and ends with the redacted text', () => {
    const secretChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.split(''));
    const secret = fc.array(secretChar, { minLength: 16, maxLength: 40 }).map((cs) => `sk_live_${cs.join('')}`);
    const filler = fc.string({ maxLength: 80 }).map((s) => s.replace(/[A-Za-z0-9_]/g, ' '));
    fc.assert(
      fc.property(filler, secret, filler, fc.array(fc.nat(200), { maxLength: 30 }), (before, key, after, cuts) => {
        const text = `${before} ${key} ${after}`;
        const guard = new HoldBackTextGuard(64, check);
        let released = '';
        for (const piece of split(text, cuts)) {
          const out = guard.push(piece);
          expect(out).not.toContain('sk_live_');
          released += out;
        }
        const { rest, consistent } = guard.finish(finalRewrite(text) === text ? undefined : finalRewrite);
        released += rest;
        expect(consistent).toBe(true);
        expect(released).toBe(text.replace(key, '[KEY]'));
        // no fragment of the key's secret part ever went out
        expect(released).not.toContain(key.slice(8, 20));
      }),
      { numRuns: 300 },
    );
  });

  it('stops before a forbidden phrase is released', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.array(fc.nat(300), { maxLength: 20 }), (prefix, cuts) => {
        const text = `${prefix.replace(/N/g, 'n')} the codename is NIGHTJAR, see you`;
        const guard = new HoldBackTextGuard(32, check);
        let released = '';
        let stopped = false;
        for (const piece of split(text, cuts)) {
          try {
            released += guard.push(piece);
          } catch (e) {
            expect(e).toBeInstanceOf(Stopped);
            stopped = true;
            break;
          }
        }
        expect(stopped).toBe(true);
        expect(released).not.toContain('NIGHT');
      }),
      { numRuns: 200 },
    );
  });

  it('releases text once it is older than the window, so readers are not kept waiting', () => {
    const guard = new HoldBackTextGuard(10, check);
    expect(guard.push('0123456789')).toBe('');
    expect(guard.push('abcde')).toBe('01234');
    expect(guard.push('f')).toBe('5');
    expect(guard.finish().rest).toBe('6789abcdef');
  });

  it('holds everything once a check asks for approval', () => {
    const guard = new HoldBackTextGuard(2, (t) => (t.includes('!') ? { kind: 'hold' } : { kind: 'pass' }));
    expect(guard.push('hello')).toBe('hel');
    expect(guard.push('!')).toBe('');
    expect(guard.push(' world')).toBe('');
    expect(guard.finish().rest).toBe('lo! world');
  });

  it('reports a final rewrite that contradicts what was already released', () => {
    const guard = new HoldBackTextGuard(1, () => ({ kind: 'pass' }));
    guard.push('abc');
    expect(guard.finish(() => 'xyz')).toEqual({ rest: '', consistent: false });
  });
});
