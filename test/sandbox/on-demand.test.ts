// The on-demand payload (marshal.ts, DemandPayload; isolate-runtime.ts, runDemand): the host sends
// a skeleton and the isolate fetches large values when the policy reads them. What a policy sees
// must be exactly what JSON would have given it, values it never reads must never be encoded,
// a value it reads that cannot be encoded must fail the call closed, and nothing it kept from one
// evaluation may read the data of a later one.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandboxHost, type RunContextForPolicies, type SandboxVerdict } from '../../src/sandbox/index.js';
import { DemandPayload, estimate, FETCH_GONE, INLINE_CHARS, ROOT_INLINE_CHARS } from '../../src/sandbox/marshal.js';
import type { StreamEvent } from '../../src/events/types.js';
import { ECHO, policy } from './fixtures.js';

// FNV-1a over JSON text, computed the same way inside the isolate and here: the policy's view of
// a large payload is compared without sending it back
const FNV = `function fnv(s) { let h = 0x811c9dc5; for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; } return h.toString(16); }`;
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16);
}

const h = createSandboxHost({ timeoutMs: 500, quarantineAfter: 1e6 });
const loaded = h.loadTenantPolicies('t', [
  { name: 'echo', code: ECHO },
  { name: 'digest', code: `${FNV}\nexport function evaluate(event, context) { return { violation: true, message: fnv(JSON.stringify([event, context])) + ' ' + JSON.stringify([Object.keys(event), Object.keys(context)]) }; }` },
  { name: 'first-key', code: policy('return { violation: true, message: String(event.kind) };') },
  { name: 'read-items', code: policy('try { return { violation: true, message: String(event.args.items.length) }; } catch (e) { return { violation: false }; }') },
  {
    name: 'stash',
    code: `let kept;
export function evaluate(event, context) {
  if (kept === undefined) { kept = event; return { violation: false }; }
  try { return { violation: true, message: 'read ' + JSON.stringify(kept.args.items[0]) }; }
  catch (e) { return { violation: true, message: 'threw ' + e.constructor.name + ': ' + e.message }; }
}`,
  },
  {
    name: 'shapes',
    code: policy(`
      const before = Object.getOwnPropertyDescriptor(event.args, 'items');
      const accessorBefore = typeof before.get === 'function' && before.enumerable && before.configurable;
      const n = event.args.items.length;
      const after = Object.getOwnPropertyDescriptor(event.args, 'items');
      const dataAfter = 'value' in after && after.writable && after.enumerable && after.configurable;
      return { violation: true, message: JSON.stringify({ accessorBefore, n, dataAfter, isArray: Array.isArray(event.args.items), keys: Object.keys(event.args) }) };`),
  },
  {
    name: 'freeze-first',
    code: policy(`
      Object.freeze(event.args);
      const n = event.args.items.length;
      let threw = false;
      try { event.args.items = []; } catch (e) { threw = e instanceof TypeError; }
      return { violation: true, message: JSON.stringify({ n, threw, frozen: Object.isFrozen(event.args), still: event.args.items.length }) };`),
  },
  {
    name: 'receivers',
    code: policy(`
      const out = {};
      // an object inheriting from one reads the inherited value; assigning gives it its own
      const child = Object.create(event.args);
      out.inherited = child.items.length;
      child.items = 'mine';
      out.childOwn = Object.prototype.hasOwnProperty.call(child, 'items') && child.items === 'mine';
      out.parentKept = Array.isArray(event.args.items);
      // a receiver that hides the object is refused, not guessed
      const refused = (f) => { try { f(); return 'read'; } catch (e) { return e.constructor.name; } };
      out.viaProxy = refused(() => new Proxy(event.args, {}).notes.length);
      out.viaReflect = refused(() => Reflect.get(event.args, 'notes', {}));
      // the shared accessors are frozen: nothing can ride on them from one evaluation to the next
      const d = Object.getOwnPropertyDescriptor(event.args, 'notes');
      out.frozenAccessors = Object.isFrozen(d.get) && Object.isFrozen(d.set) && !('prototype' in d.get);
      out.plant = refused(() => { 'use strict'; d.get.note = 'x'; });
      return { violation: true, message: JSON.stringify(out) };`),
  },
  {
    name: 'stale-reflect',
    code: `let kept;
export function evaluate(event) {
  if (kept === undefined) { kept = event; return { violation: false }; }
  const r = (f) => { try { return 'read ' + JSON.stringify(f()).slice(0, 40); } catch (e) { return e.constructor.name; } };
  return { violation: true, message: [r(() => Reflect.get(kept.args, 'items', {})), r(() => new Proxy(kept.args, {}).items), r(() => kept.args.items)].join(' | ') };
}`,
  },
  { name: 'mutate', code: policy("event.args.items.push({ sku: 'mine' }); event.args.items[0].qty = -1; return { violation: true, message: String(event.args.items.length) };") },
  { name: 'count', code: policy('return { violation: true, message: String(event.args.items.length) + "/" + event.args.items[0].qty };') },
]);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
afterAll(() => h.dispose());

const ctx: RunContextForPolicies = { runId: 'run-1', mode: 'enforce' };

function refundWithItems(n: number, extra: Record<string, unknown> = {}): StreamEvent {
  const items = Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i}`, qty: 1 + (i % 3), note: 'gift wrap please' }));
  return { kind: 'tool.call', runId: 'run-1', tool: 'issue_refund', callId: 'c1', args: { amount: 900, items, currency: 'EUR', ...extra } } as StreamEvent;
}

function message(v: SandboxVerdict): string {
  if (v.status !== 'ok' || !v.violation) throw new Error(`expected a violation, got ${JSON.stringify(v)}`);
  return v.message;
}

describe('on-demand marshalling', () => {
  it('is the default, and a large event really goes as a skeleton with its large values left behind', () => {
    const ev = refundWithItems(40);
    const d = new DemandPayload(ev, ctx);
    const [text] = d.args(3, 7) as [string];
    expect(text.length).toBeLessThan(400);
    expect(text.length).toBeLessThan(JSON.stringify(ev).length / 4);
    const a = JSON.parse(text) as unknown[];
    expect(a.slice(0, 3)).toEqual([3, 7, d.serial]);
    // the items array is left behind at args.items, and is node 0
    expect(a[4]).toEqual([['args', 'items'], 0, 1]);
    expect(d.fetch(d.serial, 0)).toBe(`[${JSON.stringify((ev as { args: { items: unknown } }).args.items)},0]`);
    // a wrong serial or id, or a released payload, gets nothing
    expect(d.fetch(d.serial + 1, 0)).toBe(FETCH_GONE);
    expect(d.fetch(d.serial, 1)).toBe(FETCH_GONE);
    d.release();
    expect(d.fetch(d.serial, 0)).toBe(FETCH_GONE);
  });

  it('leaves a long text (a tool result) behind until the policy reads it, and then delivers it exactly', () => {
    const text = Array.from({ length: 400 }, (_, i) => `line ${i}: "quoted" \\ tab\t é 😀`).join('\n');
    const result = { kind: 'tool.result', runId: 'run-1', tool: 'fetch_page', callId: 'c1', result: text } as unknown as StreamEvent;
    const d = new DemandPayload(result, ctx);
    const [skeleton] = d.args(0, 0) as [string];
    expect(skeleton.length).toBeLessThan(300);
    expect(JSON.parse(skeleton)[4]).toEqual([['result'], 0, 2]);
    expect(message(h.evaluate('t', 'first-key', result, ctx))).toBe('tool.result');
    expect(message(h.evaluate('t', 'digest', result, ctx)).split(' ')[0]).toBe(fnv(JSON.stringify([result, ctx])));
  });

  it('sends small events and contexts whole, and judges size by a bounded estimate', () => {
    const small = refundWithItems(2);
    expect(estimate(small, ROOT_INLINE_CHARS)).toBeGreaterThanOrEqual(0);
    const [text] = new DemandPayload(small, ctx).args(0, 0) as [string];
    expect(JSON.parse(text)).toEqual([0, 0, expect.any(Number), small, 0, ctx, 0]);
    // the estimate stops early on large and cyclic values instead of walking them
    const cyclic: Record<string, unknown> = { a: 'x' };
    cyclic['self'] = cyclic;
    expect(estimate(cyclic, INLINE_CHARS)).toBeLessThan(0);
    expect(estimate({ s: 'y'.repeat(INLINE_CHARS) }, INLINE_CHARS)).toBeLessThan(0);
  });

  it('gives the policy exactly what JSON would, key order included, for any JSON values (property)', () => {
    const big = fc.string({ minLength: 200, maxLength: 400 });
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        big,
        fc.array(tie('v'), { maxLength: 6 }),
        fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'kind')), tie('v'), { maxKeys: 6 }),
      ),
    })).v;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 8 }), value, (args, extra) => {
        const event = { kind: 'tool.call', runId: 'r', tool: 't', callId: 'c', args } as unknown as StreamEvent;
        const context = { runId: 'r', mode: 'enforce', metadata: { extra } } as unknown as RunContextForPolicies;
        const json = JSON.stringify([event, context]);
        const keys = JSON.stringify([Object.keys(JSON.parse(JSON.stringify(event))), Object.keys(JSON.parse(JSON.stringify(context)))]);
        expect(message(h.evaluate('t', 'digest', event, context))).toBe(`${fnv(json)} ${keys}`);
      }),
      { numRuns: 250 },
    );
  });

  it('matches JSON for the values JSON treats specially: toJSON, undefined, functions, non-finite numbers, sparse arrays', () => {
    const when = new Date(Date.UTC(2026, 10, 25));
    const ev = refundWithItems(30, {
      when,
      skip: undefined,
      fn: () => 1,
      nan: Number.NaN,
      deep: { pad: 'z'.repeat(600), inner: { when, list: [undefined, () => 2, Number.POSITIVE_INFINITY, , 4] } }, // eslint-disable-line no-sparse-arrays
    });
    const json = JSON.stringify([ev, ctx]);
    expect(message(h.evaluate('t', 'digest', ev, ctx)).split(' ')[0]).toBe(fnv(json));
  });

  it('never encodes what the policy does not read: a BigInt deep in an unread array does not fail the call', () => {
    const ev = refundWithItems(30);
    (ev as { args: { items: unknown[] } }).args.items.push({ bad: 10n });
    expect(message(h.evaluate('t', 'first-key', ev, ctx))).toBe('tool.call');
    // eager JSON would have failed the call before it began
    const json = createSandboxHost({ marshal: 'json', timeoutMs: 500 });
    json.loadTenantPolicies('t', [{ name: 'first-key', code: policy('return { violation: true, message: String(event.kind) };') }]);
    const v = json.evaluate('t', 'first-key', ev, ctx);
    json.dispose();
    expect(v.status === 'error' && v.error.code).toBe('marshal_failed');
  });

  it('fails the call closed when a value the policy reads cannot be encoded, even if the policy catches the error', () => {
    const ev = refundWithItems(30);
    (ev as { args: { items: unknown[] } }).args.items.push({ bad: 10n });
    const v = h.evaluate('t', 'read-items', ev, ctx);
    expect(v.status).toBe('error');
    if (v.status !== 'error') return;
    expect(v.error.code).toBe('marshal_failed');
    expect(v.error.message).toMatch(/a value the policy read could not be sent into the sandbox: .*BigInt/);
    expect(v.onError).toBe('block');
    // only the policy that read it: a neighbour on the same payload that did not is unaffected
    const both = h.evaluatePolicies('t', ['first-key', 'read-items', 'first-key'], ev, ctx);
    expect(both.map((x) => (x.status === 'error' ? x.error.code : 'ok'))).toEqual(['ok', 'marshal_failed', 'ok']);
  });

  it('rejects cycles: in the top levels before the call, deeper when the policy reaches them (never delivers one)', () => {
    const ev = refundWithItems(30) as unknown as { args: Record<string, unknown> };
    ev.args['deep'] = { pad: 'q'.repeat(600), back: ev };
    const v = h.evaluate('t', 'first-key', ev as unknown as StreamEvent, ctx);
    expect(v.status === 'error' && v.error.code).toBe('marshal_failed');
    expect(v.status === 'error' && v.error.message).toMatch(/circular structure.*args\.deep\.back/);
    // a cycle inside an array node is found when that node is fetched
    const ev2 = refundWithItems(30) as unknown as { args: { items: unknown[] } };
    ev2.args.items.push({ back: ev2.args.items });
    expect(message(h.evaluate('t', 'first-key', ev2 as unknown as StreamEvent, ctx))).toBe('tool.call');
    const v2 = h.evaluate('t', 'read-items', ev2 as unknown as StreamEvent, ctx);
    expect(v2.status === 'error' && v2.error.code).toBe('marshal_failed');
    // and one four levels down, behind objects left on the host
    const ev3 = refundWithItems(2) as unknown as { args: Record<string, unknown> };
    const d3: Record<string, unknown> = { pad: 'r'.repeat(400) };
    ev3.args['deep'] = { pad: 's'.repeat(400), d2: { pad: 't'.repeat(400), d3 } };
    d3['back'] = ev3;
    expect(message(h.evaluate('t', 'first-key', ev3 as unknown as StreamEvent, ctx))).toBe('tool.call');
    const v3 = h.evaluate('t', 'digest', ev3 as unknown as StreamEvent, ctx);
    expect(v3.status === 'error' && v3.error.code).toBe('marshal_failed');
  });

  it('delivers boxed primitives as JSON does, however long, and never runs inherited getters', () => {
    const boxed = new String('B'.repeat(600));
    const proto = {};
    Object.defineProperty(proto, 'trap', { enumerable: true, get(): string { throw new Error('an inherited getter ran'); } });
    const args = Object.assign(Object.create(proto) as object, { amount: 1, boxed, n: new Number(7) });
    const ev = { kind: 'tool.call', runId: 'r', tool: 't', callId: 'c', args } as unknown as StreamEvent;
    expect(message(h.evaluate('t', 'digest', ev, ctx)).split(' ')[0]).toBe(fnv(JSON.stringify([ev, ctx])));
  });

  it('a value kept from one evaluation cannot read the data of a later one', () => {
    const first = refundWithItems(30);
    expect(h.evaluate('t', 'stash', first, ctx)).toMatchObject({ status: 'ok', violation: false });
    const second = refundWithItems(30);
    (second as { args: { items: { sku: string }[] } }).args.items[0]!.sku = 'SECOND-EVENT-SECRET';
    const m = message(h.evaluate('t', 'stash', second, ctx));
    expect(m).toBe('threw TypeError: this value belongs to an evaluation that has finished; keep what you need in variables while evaluate runs');
    expect(m).not.toContain('SECOND-EVENT-SECRET');
  });

  it('an unread large value is an enumerable accessor until first read, then a plain data property', () => {
    const r = JSON.parse(message(h.evaluate('t', 'shapes', refundWithItems(30), ctx))) as Record<string, unknown>;
    expect(r).toEqual({ accessorBefore: true, n: 30, dataAfter: true, isArray: true, keys: ['amount', 'items', 'currency'] });
  });

  it('reads through an inheriting object as a plain object would, and refuses receivers that hide the object', () => {
    const ev = refundWithItems(30, { notes: Array.from({ length: 30 }, (_, i) => `note ${i} `.repeat(3)) });
    expect(JSON.parse(message(h.evaluate('t', 'receivers', ev, ctx)))).toEqual({
      inherited: 30,
      childOwn: true,
      parentKept: true,
      viaProxy: 'TypeError',
      viaReflect: 'TypeError',
      frozenAccessors: true,
      plant: 'TypeError',
    });
  });

  it('an object kept from an earlier evaluation cannot read the current one through another receiver either', () => {
    expect(h.evaluate('t', 'stale-reflect', refundWithItems(30), ctx)).toMatchObject({ violation: false });
    const second = refundWithItems(30);
    (second as { args: { items: { sku: string }[] } }).args.items[0]!.sku = 'SECOND-EVENT-SECRET';
    const m = message(h.evaluate('t', 'stale-reflect', second, ctx));
    expect(m).toBe('TypeError | TypeError | TypeError');
  });

  it('a policy that freezes an object before reading its large values still reads them, and cannot assign them', () => {
    const r = JSON.parse(message(h.evaluate('t', 'freeze-first', refundWithItems(30), ctx))) as Record<string, unknown>;
    expect(r).toEqual({ n: 30, threw: true, frozen: true, still: 30 });
  });

  it('every policy gets its own copy: one policy changing a fetched value is not seen by the next, nor by the host', () => {
    const ev = refundWithItems(30);
    const snapshot = structuredClone(ev);
    const out = h.evaluatePolicies('t', ['mutate', 'count', 'mutate', 'count'], ev, ctx).map(message);
    expect(out).toEqual(['31', '30/1', '31', '30/1']);
    expect(ev).toEqual(snapshot);
  });

  it('async calls send everything, since the host may change its objects while the policy runs', async () => {
    const ev = refundWithItems(30);
    await expect(h.evaluateAsync('t', 'count', ev, ctx)).resolves.toMatchObject({ violation: true, message: '30/1' });
  });

  it('rejects an unknown marshal format by name', () => {
    expect(() => createSandboxHost({ marshal: 'yaml' as never })).toThrow(/`marshal` must be one of on-demand, json, msgpack, structured-clone; got "yaml"/);
    expect(() => createSandboxHost({ batchMarshal: 'on-demand' as never })).toThrow(/`batchMarshal` must be one of json, msgpack, structured-clone/);
  });
});
