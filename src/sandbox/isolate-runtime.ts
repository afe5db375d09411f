// The code that runs inside every tenant isolate before any tenant code: it hardens the global
// environment (removes capabilities, freezes intrinsics, makes time and randomness deterministic),
// decodes the marshalled event/context, calls the tenant's `evaluate` and reduces whatever comes
// back to a small, validated, host-owned encoding. It is plain JavaScript text, not a TS function
// stringified, so that no transpiler helper can leak into the isolate.
//
// The closure returns an object of four functions (register, run, runDemand, runBatch); the host keeps References to them and never
// places them on `globalThis`, so tenant code cannot reach the registry or the trampoline.
//
// Output encoding of `run` (host decodes it in verdict.ts):
//   0                          no violation
//   '{"v":1,...}'              violation (fields m, s, c, a, e)
//   '{"err":code,"msg":...}'   tenant fault (code: threw | bad_return | oversized_return | internal)

import { ACTIONS, SEVERITIES } from '../engine/decision.js';
import { FETCH_GONE } from './marshal.js';

export const RESULT_LIMITS = {
  messageChars: 2000,
  classificationChars: 200,
  evidenceItems: 32,
  fieldChars: 500,
  excerptChars: 500,
  resultKeys: 16,
  thrownMessageChars: 500,
} as const;

export const SANDBOX_RANDOM_SEED = 0x2545f491;

/** Wire codes the trampoline may report; the host maps them onto SandboxErrorCode. */
export type TrampolineFaultCode = 'threw' | 'bad_return' | 'oversized_return' | 'internal';

/** The returned closure's function names, in the order the host fetches them. */
export const RUNTIME_EXPORTS = ['register', 'run', 'runDemand', 'runBatch'] as const;

/**
 * Source of the runtime closure. `$0` is the payload format of single calls ('on-demand' |
 * 'json' | 'msgpack' | 'structured-clone'; under 'on-demand', sync calls go through `runDemand`
 * and async ones through `run` with JSON), `$1` that of batches, and `$2` the host callback that
 * answers `runDemand`'s fetches: `(serial, id) => skeleton text | FETCH_GONE | FETCH_FAILED`.
 * Run with `context.evalClosureSync(source, [format, batchFormat, fetchNode], { result: { reference: true } })`.
 */
export const ISOLATE_RUNTIME_SOURCE = String.raw`
'use strict';
const format = $0 === 'on-demand' ? 'json' : $0;
const batchFormat = $1;
const fetchNode = $2;
const g = globalThis;
const LIMITS = ${JSON.stringify(RESULT_LIMITS)};
const SEVERITIES = ${JSON.stringify(SEVERITIES)};
const ACTIONS = ${JSON.stringify(ACTIONS)};

// ---- captured intrinsics (taken before tenant code exists; frozen below anyway) ----
const ObjectKeys = Object.keys;
const ObjectFreeze = Object.freeze;
const ObjectIsFrozen = Object.isFrozen;
const ObjectDefineProperty = Object.defineProperty;
const ObjectGetPrototypeOf = Object.getPrototypeOf;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const ObjectCreate = Object.create;
const ReflectOwnKeys = Reflect.ownKeys;
const ReflectConstruct = Reflect.construct;
const ReflectApply = Reflect.apply;
const ReflectGet = Reflect.get;
const ReflectSet = Reflect.set;
const ReflectHas = Reflect.has;
const ReflectGetOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
const ReflectDefineProperty = Reflect.defineProperty;
const ReflectDeleteProperty = Reflect.deleteProperty;
const ReflectGetPrototypeOf = Reflect.getPrototypeOf;
const ReflectSetPrototypeOf = Reflect.setPrototypeOf;
const ReflectIsExtensible = Reflect.isExtensible;
const ReflectPreventExtensions = Reflect.preventExtensions;
const ProxyConstructor = Proxy;
const ArrayIsArray = Array.isArray;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const StringFromCharCode = String.fromCharCode;
const NumberIsInteger = Number.isInteger;
const ErrorPrototype = Error.prototype;
const ObjectPrototypeIsPrototypeOf = Object.prototype.isPrototypeOf;
const RegExpPrototypeExec = RegExp.prototype.exec;
const StringPrototypeSlice = String.prototype.slice;
const OriginalDate = Date;
const MathImul = Math.imul;

// ---- deterministic clock: Date.now() and new Date() read the time the host supplies per call ----
let frozenNow = 0;
function SandboxDate(...args) {
  if (new.target === undefined) return ReflectApply(OriginalDate.prototype.toString, new OriginalDate(frozenNow), []);
  if (args.length === 0) return ReflectConstruct(OriginalDate, [frozenNow], new.target);
  return ReflectConstruct(OriginalDate, args, new.target);
}
ObjectDefineProperty(SandboxDate, 'prototype', { value: OriginalDate.prototype, writable: false, enumerable: false, configurable: false });
ObjectDefineProperty(OriginalDate.prototype, 'constructor', { value: SandboxDate, writable: true, enumerable: false, configurable: true });
ObjectDefineProperty(SandboxDate, 'now', { value: function now() { return frozenNow; }, writable: true, enumerable: false, configurable: true });
ObjectDefineProperty(SandboxDate, 'parse', { value: OriginalDate.parse, writable: true, enumerable: false, configurable: true });
ObjectDefineProperty(SandboxDate, 'UTC', { value: OriginalDate.UTC, writable: true, enumerable: false, configurable: true });
ObjectDefineProperty(SandboxDate, 'name', { value: 'Date', configurable: true });
ObjectDefineProperty(SandboxDate, 'length', { value: 7, configurable: true });
ObjectDefineProperty(g, 'Date', { value: SandboxDate, writable: true, enumerable: false, configurable: true });

// ---- deterministic randomness: the same seeded sequence at the start of every evaluation ----
let rs0 = 0, rs1 = 0, rs2 = 0, rs3 = 0;
function reseed() { rs0 = ${SANDBOX_RANDOM_SEED} | 0; rs1 = 0x9e3779b9 | 0; rs2 = 0x243f6a88 | 0; rs3 = 0xb7e15162 | 0; }
function random() {
  // sfc32
  const t = (((rs0 + rs1) | 0) + rs3) | 0;
  rs3 = (rs3 + 1) | 0;
  rs0 = rs1 ^ (rs1 >>> 9);
  rs1 = (rs2 + (rs2 << 3)) | 0;
  rs2 = (rs2 << 21) | (rs2 >>> 11);
  rs2 = (rs2 + t) | 0;
  return (t >>> 0) / 4294967296;
}
reseed();
ObjectDefineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });

// ---- capabilities that must not exist: shared memory, blocking waits, code generation from bytes,
// GC-observable (non-deterministic) objects. console becomes a silent no-op so leftover debug calls
// do not fault a policy.
const REMOVED = ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'FinalizationRegistry', 'WeakRef'];
for (let i = 0; i < REMOVED.length; i++) delete g[REMOVED[i]];
const noop = function () {};
const quietConsole = ObjectCreate(null);
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table', 'assert', 'count', 'time', 'timeEnd', 'group', 'groupEnd'];
for (let i = 0; i < CONSOLE_METHODS.length; i++) quietConsole[CONSOLE_METHODS[i]] = noop;
ObjectDefineProperty(g, 'console', { value: quietConsole, writable: false, enumerable: false, configurable: false });

// ---- freeze every intrinsic reachable from the global object, plus the hidden ones ----
function hardenAll() {
  const roots = [g];
  roots.push(ObjectGetPrototypeOf(function* () {}));
  roots.push(ObjectGetPrototypeOf(async function () {}));
  roots.push(ObjectGetPrototypeOf(async function* () {}));
  roots.push(ObjectGetPrototypeOf([][Symbol.iterator]()));
  roots.push(ObjectGetPrototypeOf(new Map()[Symbol.iterator]()));
  roots.push(ObjectGetPrototypeOf(new Set()[Symbol.iterator]()));
  roots.push(ObjectGetPrototypeOf(''[Symbol.iterator]()));
  roots.push(ObjectGetPrototypeOf(/x/[Symbol.matchAll]('')));
  const seen = new Set();
  const stack = roots;
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || v === undefined) continue;
    const t = typeof v;
    if (t !== 'object' && t !== 'function') continue;
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push(ObjectGetPrototypeOf(v));
    const keys = ReflectOwnKeys(v);
    for (let i = 0; i < keys.length; i++) {
      const d = ObjectGetOwnPropertyDescriptor(v, keys[i]);
      if (d === undefined) continue;
      if ('value' in d) stack.push(d.value); else { stack.push(d.get); stack.push(d.set); }
    }
    // typed-array instances cannot be frozen; none are reachable from the intrinsics
    ObjectFreeze(v);
  }
}

// ---- msgpack decoder (payload transferred as a latin1 string: one char per byte) ----
let ms = '';
let mp = 0;
const mkeys = new Map();
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32b = new Uint8Array(f32.buffer);
const PROTO_KEYS = ObjectCreate(null);
{
  const names = ReflectOwnKeys(Object.prototype);
  for (let i = 0; i < names.length; i++) if (typeof names[i] === 'string') PROTO_KEYS[names[i]] = true;
  PROTO_KEYS['__proto__'] = true;
}
function mUtf8(end) {
  let out = '';
  while (mp < end) {
    const b = ms.charCodeAt(mp++);
    if (b < 0x80) out += StringFromCharCode(b);
    else if (b < 0xe0) out += StringFromCharCode(((b & 0x1f) << 6) | (ms.charCodeAt(mp++) & 0x3f));
    else if (b < 0xf0) out += StringFromCharCode(((b & 0x0f) << 12) | ((ms.charCodeAt(mp++) & 0x3f) << 6) | (ms.charCodeAt(mp++) & 0x3f));
    else {
      let c = ((b & 7) << 18) | ((ms.charCodeAt(mp++) & 0x3f) << 12) | ((ms.charCodeAt(mp++) & 0x3f) << 6) | (ms.charCodeAt(mp++) & 0x3f);
      c -= 0x10000;
      out += StringFromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    }
  }
  return out;
}
function mStr(n) {
  const end = mp + n;
  if (end > ms.length) throw new RangeError('truncated msgpack string');
  for (let i = mp; i < end; i++) if (ms.charCodeAt(i) > 127) return mUtf8(end);
  const r = ms.slice(mp, end);
  mp = end;
  return r;
}
function mKey() {
  const b = ms.charCodeAt(mp);
  if (b >= 0xa0 && b < 0xc0) {
    const n = b & 0x1f;
    const raw = ms.slice(mp, mp + 1 + n);
    let k = mkeys.get(raw);
    if (k === undefined) {
      mp++;
      k = mStr(n);
      if (mkeys.size < 4096) mkeys.set(raw, k);
    } else mp += 1 + n;
    return k;
  }
  const k = mVal();
  if (typeof k !== 'string' && typeof k !== 'number') throw new TypeError('msgpack map key must be a string or number');
  return k;
}
function mMap(n) {
  const o = {};
  for (let i = 0; i < n; i++) {
    const k = mKey();
    const v = mVal();
    // frozen Object.prototype makes plain assignment of e.g. 'toString' throw, and '__proto__' would
    // set the prototype: define those as own data properties instead
    if (PROTO_KEYS[k] === true) ObjectDefineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
    else o[k] = v;
  }
  return o;
}
function mArr(n) {
  const a = new Array(n);
  for (let i = 0; i < n; i++) a[i] = mVal();
  return a;
}
function mU8() { return ms.charCodeAt(mp++); }
function mU16() { const v = (ms.charCodeAt(mp) << 8) | ms.charCodeAt(mp + 1); mp += 2; return v; }
function mU32() { const v = ms.charCodeAt(mp) * 16777216 + ((ms.charCodeAt(mp + 1) << 16) | (ms.charCodeAt(mp + 2) << 8) | ms.charCodeAt(mp + 3)); mp += 4; return v; }
function mBin(n) { const u = new Uint8Array(n); for (let i = 0; i < n; i++) u[i] = ms.charCodeAt(mp++); return u; }
function mVal() {
  if (mp >= ms.length) throw new RangeError('truncated msgpack payload');
  const b = ms.charCodeAt(mp++);
  if (b < 0x80) return b;
  if (b < 0x90) return mMap(b & 0x0f);
  if (b < 0xa0) return mArr(b & 0x0f);
  if (b < 0xc0) return mStr(b & 0x1f);
  if (b >= 0xe0) return b - 256;
  switch (b) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return mBin(mU8());
    case 0xc5: return mBin(mU16());
    case 0xc6: return mBin(mU32());
    case 0xca: { for (let i = 3; i >= 0; i--) f32b[i] = ms.charCodeAt(mp++); return f32[0]; }
    case 0xcb: { for (let i = 7; i >= 0; i--) f64b[i] = ms.charCodeAt(mp++); return f64[0]; }
    case 0xcc: return mU8();
    case 0xcd: return mU16();
    case 0xce: return mU32();
    case 0xcf: { const hi = mU32(); const lo = mU32(); return hi * 4294967296 + lo; }
    case 0xd0: { const v = mU8(); return v > 127 ? v - 256 : v; }
    case 0xd1: { const v = mU16(); return v > 32767 ? v - 65536 : v; }
    case 0xd2: return mU32() | 0;
    case 0xd3: { const hi = mU32() | 0; const lo = mU32(); return hi * 4294967296 + lo; }
    case 0xd9: return mStr(mU8());
    case 0xda: return mStr(mU16());
    case 0xdb: return mStr(mU32());
    case 0xdc: return mArr(mU16());
    case 0xdd: return mArr(mU32());
    case 0xde: return mMap(mU16());
    case 0xdf: return mMap(mU32());
  }
  throw new TypeError('unsupported msgpack type 0x' + b.toString(16));
}
function decodeMsgpack(s) {
  ms = s;
  mp = 0;
  try {
    const v = mVal();
    if (mp !== ms.length) throw new RangeError('trailing bytes in msgpack payload');
    return v;
  } finally {
    ms = '';
  }
}

function decodeAs(fmt, payload) {
  if (fmt === 'json') return JSONParse(payload);
  if (fmt === 'msgpack') return decodeMsgpack(payload);
  return payload;
}
function decode(payload) { return decodeAs(format, payload); }

// ---- tenant registry (closure-private) ----
const policies = [];

function register(ns, name) {
  const fn = ns.evaluate;
  if (typeof fn !== 'function') {
    return JSONStringify({ ok: false, code: 'missing_evaluate', message: 'module must export a function ' + '\u0060evaluate(event, context)\u0060; found ' + (fn === undefined ? 'nothing' : typeof fn) });
  }
  const on = ns.on;
  let kinds = null;
  if (on !== undefined) {
    if (!ArrayIsArray(on) || on.length > 16) return JSONStringify({ ok: false, code: 'invalid_on', message: '\u0060on\u0060 must be an array of event kinds' });
    kinds = [];
    for (let i = 0; i < on.length; i++) {
      if (typeof on[i] !== 'string') return JSONStringify({ ok: false, code: 'invalid_on', message: '\u0060on[' + i + ']\u0060 must be a string' });
      kinds[i] = on[i];
    }
  }
  policies[policies.length] = fn;
  return JSONStringify({ ok: true, index: policies.length - 1, on: kinds });
}

// ---- results ----
function fault(code, msg, loc) {
  const o = { err: code, msg: msg };
  if (loc !== null) { o.line = loc[0]; o.col = loc[1]; }
  return JSONStringify(o);
}

const LOCATION = /tenant-policy:\/\/\/[^\s:)]*:(\d+):(\d+)/;
function locate(err) {
  try {
    const stack = err.stack;
    if (typeof stack !== 'string') return null;
    const m = ReflectApply(RegExpPrototypeExec, LOCATION, [stack]);
    return m === null ? null : [+m[1], +m[2]];
  } catch (e) {
    return null;
  }
}

function clip(s, n) { return s.length > n ? ReflectApply(StringPrototypeSlice, s, [0, n]) + '...' : s; }

function describeThrown(err) {
  try {
    const t = typeof err;
    if (err !== null && t === 'object' && ReflectApply(ObjectPrototypeIsPrototypeOf, ErrorPrototype, [err])) {
      const name = err.name;
      const message = err.message;
      const n = typeof name === 'string' ? name : 'Error';
      const m = typeof message === 'string' ? clip(message, LIMITS.thrownMessageChars) : '(message is not a string)';
      return fault('threw', 'evaluate threw ' + n + ': ' + m, locate(err));
    }
    if (t === 'string') return fault('threw', 'evaluate threw a string: ' + clip(err, LIMITS.thrownMessageChars), null);
    if (t === 'number' || t === 'boolean' || t === 'bigint' || t === 'undefined') return fault('threw', 'evaluate threw a ' + t + ': ' + String(err), null);
    if (t === 'symbol') return fault('threw', 'evaluate threw a symbol', null);
    if (err === null) return fault('threw', 'evaluate threw null', null);
    return fault('threw', 'evaluate threw a non-Error ' + (t === 'function' ? 'function' : 'object'), null);
  } catch (e) {
    return fault('threw', 'evaluate threw a value that could not be described', null);
  }
}

const ALLOWED_KEYS = ObjectCreate(null);
ALLOWED_KEYS.violation = true; ALLOWED_KEYS.message = true; ALLOWED_KEYS.severity = true;
ALLOWED_KEYS.classification = true; ALLOWED_KEYS.action = true; ALLOWED_KEYS.evidence = true;

function isIn(list, v) { for (let i = 0; i < list.length; i++) if (list[i] === v) return true; return false; }
function badReturn(msg) { return fault('bad_return', msg, null); }
function tooBig(msg) { return fault('oversized_return', msg, null); }

function normalize(r) {
  if (r === null || typeof r !== 'object') {
    return badReturn('evaluate must return an object like \u0060{ violation: false }\u0060; got ' + (r === null ? 'null' : typeof r));
  }
  if (typeof r.then === 'function') return badReturn('evaluate returned a promise or thenable; policies must be synchronous');
  const keys = ObjectKeys(r);
  if (keys.length > LIMITS.resultKeys) return tooBig('result has ' + keys.length + ' keys');
  for (let i = 0; i < keys.length; i++) {
    if (ALLOWED_KEYS[keys[i]] !== true) return badReturn('unknown field \u0060' + clip(String(keys[i]), 60) + '\u0060 in result; allowed: violation, message, severity, classification, action, evidence');
  }
  const violation = r.violation;
  if (violation === false) return 0;
  if (violation !== true) return badReturn('\u0060violation\u0060 must be true or false; got ' + (violation === null ? 'null' : typeof violation));
  const message = r.message;
  if (typeof message !== 'string' || message.length === 0) return badReturn('a violation needs a non-empty string \u0060message\u0060');
  if (message.length > LIMITS.messageChars) return tooBig('\u0060message\u0060 has ' + message.length + ' characters; the limit is ' + LIMITS.messageChars);
  const out = { v: 1, m: message };
  const severity = r.severity;
  if (severity !== undefined) {
    if (!isIn(SEVERITIES, severity)) return badReturn('\u0060severity\u0060 must be one of ' + SEVERITIES.join(', '));
    out.s = severity;
  }
  const classification = r.classification;
  if (classification !== undefined) {
    if (typeof classification !== 'string') return badReturn('\u0060classification\u0060 must be a string');
    if (classification.length > LIMITS.classificationChars) return tooBig('\u0060classification\u0060 is longer than ' + LIMITS.classificationChars + ' characters');
    out.c = classification;
  }
  const action = r.action;
  if (action !== undefined) {
    if (!isIn(ACTIONS, action)) return badReturn('\u0060action\u0060 must be one of ' + ACTIONS.join(', '));
    out.a = action;
  }
  const evidence = r.evidence;
  if (evidence !== undefined) {
    if (!ArrayIsArray(evidence)) return badReturn('\u0060evidence\u0060 must be an array');
    const n = evidence.length;
    if (typeof n !== 'number' || n > LIMITS.evidenceItems) return tooBig('\u0060evidence\u0060 has more than ' + LIMITS.evidenceItems + ' items');
    const items = [];
    for (let i = 0; i < n; i++) {
      const it = evidence[i];
      if (it === r || it === evidence) return badReturn('\u0060evidence[' + i + ']\u0060 refers back to the result (cyclic)');
      if (it === null || typeof it !== 'object' || ArrayIsArray(it)) return badReturn('\u0060evidence[' + i + ']\u0060 must be an object like \u0060{ field }\u0060');
      const field = it.field;
      if (typeof field !== 'string') return badReturn('\u0060evidence[' + i + '].field\u0060 must be a string');
      if (field.length > LIMITS.fieldChars) return tooBig('\u0060evidence[' + i + '].field\u0060 is too long');
      const e = { field: field };
      const start = it.start;
      const end = it.end;
      const excerpt = it.excerpt;
      if (start !== undefined) {
        if (!NumberIsInteger(start) || start < 0) return badReturn('\u0060evidence[' + i + '].start\u0060 must be a non-negative integer');
        e.start = start;
      }
      if (end !== undefined) {
        if (!NumberIsInteger(end) || end < 0 || (start !== undefined && end < start)) return badReturn('\u0060evidence[' + i + '].end\u0060 must be an integer not below start');
        e.end = end;
      }
      if (excerpt !== undefined) {
        if (typeof excerpt !== 'string') return badReturn('\u0060evidence[' + i + '].excerpt\u0060 must be a string');
        if (excerpt.length > LIMITS.excerptChars) return tooBig('\u0060evidence[' + i + '].excerpt\u0060 is too long');
        e.excerpt = excerpt;
      }
      items[i] = e;
    }
    out.e = items;
  }
  return JSONStringify(out);
}

function invoke(index, event, context, now) {
  const fn = policies[index];
  if (fn === undefined) return fault('internal', 'no policy at index ' + index, null);
  frozenNow = now;
  reseed();
  let r;
  try {
    r = fn(event, context);
  } catch (err) {
    return describeThrown(err);
  }
  try {
    return normalize(r);
  } catch (err) {
    // a getter or Proxy trap in the result threw while being read
    const d = describeThrown(err);
    return fault('bad_return', 'reading the result threw: ' + JSONParse(d).msg, null);
  }
}

// ---- the context, decoded on first use ----
// Many policies read only the event, and decoding a context with a history is most of a call's
// in-isolate work. The policy gets a Proxy over an empty plain object instead; the first
// operation of any kind on it decodes the payload and copies the fields onto that object, and
// every trap then acts on it, so the Proxy behaves as the plain object would (and meets the Proxy
// invariants). The handler is shared and unreachable from tenant code. The pending payload rides
// on the target as a private field (added through a constructor that returns the given object),
// so it is invisible to reflection and costs less than a WeakMap entry (bench/RESULTS-sandbox.md).
class ReturnsGiven { constructor(o) { return o; } }
class PendingContext extends ReturnsGiven {
  #payload;
  constructor(target, payload) { super(target); this.#payload = payload; }
  static materialize(target) {
    const payload = target.#payload;
    if (payload === undefined) return;
    // if decoding throws (out of stack), the payload stays pending and the next use tries again
    const value = decode(payload);
    target.#payload = undefined;
    const keys = ObjectKeys(value);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      // as in mMap: names on the frozen Object.prototype, and '__proto__', become own data properties
      if (PROTO_KEYS[k] === true) ObjectDefineProperty(target, k, { value: value[k], writable: true, enumerable: true, configurable: true });
      else target[k] = value[k];
    }
  }
}
const materialize = PendingContext.materialize;
const lazyHandler = ObjectFreeze({
  get(t, k, r) { materialize(t); return ReflectGet(t, k, r); },
  set(t, k, v, r) { materialize(t); return ReflectSet(t, k, v, r); },
  has(t, k) { materialize(t); return ReflectHas(t, k); },
  ownKeys(t) { materialize(t); return ReflectOwnKeys(t); },
  getOwnPropertyDescriptor(t, k) { materialize(t); return ReflectGetOwnPropertyDescriptor(t, k); },
  defineProperty(t, k, d) { materialize(t); return ReflectDefineProperty(t, k, d); },
  deleteProperty(t, k) { materialize(t); return ReflectDeleteProperty(t, k); },
  getPrototypeOf(t) { materialize(t); return ReflectGetPrototypeOf(t); },
  setPrototypeOf(t, p) { materialize(t); return ReflectSetPrototypeOf(t, p); },
  isExtensible(t) { materialize(t); return ReflectIsExtensible(t); },
  preventExtensions(t) { materialize(t); return ReflectPreventExtensions(t); },
});
function lazyContext(payload) {
  return new ProxyConstructor(new PendingContext({}, payload), lazyHandler);
}

// ---- on-demand payloads (marshal.ts, DemandPayload) ----
// A skeleton is a decoded value and its lazy list, 0 or a list of (path, id, kind) triples: at each
// path the host left a large value behind. Each place gets an accessor that fetches and
// decodes node id on first read, then turns itself into the plain data property it stands for
// (unless the policy has frozen the object meanwhile, when the accessor keeps answering). Values
// read once are ordinary objects and arrays at full speed; values never read are never sent.
// install(copy, lazy, serial): puts the lazy properties into a decoded skeleton, returns it
function install(v, lazy, serial) {
  if (lazy !== 0) {
    for (let i = 0; i < lazy.length; i += 3) {
      const path = lazy[i];
      let parent = v;
      for (let j = 0; j < path.length - 1; j++) parent = parent[path[j]];
      lazyProperty(parent, path[path.length - 1], lazy[i + 1], lazy[i + 2], serial);
    }
  }
  return v;
}
// kind 2 is a string node, fetched as the string itself; 0 and 1 come as [skeleton, lazy]
function demandNode(id, kind, serial) {
  const r = fetchNode(serial, id);
  if (typeof r !== 'string') {
    throw new TypeError(r === ${FETCH_GONE}
      ? 'this value belongs to an evaluation that has finished; keep what you need in variables while evaluate runs'
      : 'the host could not encode this value');
  }
  if (kind === 2) return r;
  const w = JSONParse(r);
  return install(w[0], w[1], serial);
}
function settle(parent, key, value) {
  try {
    ObjectDefineProperty(parent, key, { value: value, writable: true, enumerable: true, configurable: true });
    return true;
  } catch (e) {
    return false;
  }
}
// The accessors are shared: one getter/setter pair per property name, reused by every call, and
// the pending state rides on the object as a private field. Accessors made per call (closures
// over their object) gave every object a hidden class of its own, and the isolate's garbage
// collector paid for it: p99 of a 16 KB fetch rose from about 130 us to over 800 us
// (bench/RESULTS-sandbox.md). A getter finds its object through the receiver (or the receiver's
// prototypes); a receiver that hides it (a Proxy's default get) gets a TypeError.
class LazyHolder extends ReturnsGiven {
  #lazy;
  constructor(o, lazy) { super(o); this.#lazy = lazy; }
  static of(o) {
    return o !== null && (typeof o === 'object' || typeof o === 'function') && #lazy in o ? o.#lazy : undefined;
  }
}
const lazyOf = LazyHolder.of;
function holderOf(receiver, key) {
  let o = receiver;
  for (let depth = 0; o !== null && o !== undefined && depth < 10000; depth++) {
    const l = lazyOf(o);
    if (l !== undefined && l[key] !== undefined) return o;
    if (typeof o !== 'object' && typeof o !== 'function') break;
    o = ReflectGetPrototypeOf(o);
  }
  // a receiver that hides the object (a Proxy's default get, Reflect.get with another receiver):
  // guessing among the call's objects could hand an object kept from an earlier evaluation the
  // current one's data, so the read is refused
  throw new TypeError('read ' + String(key) + ' through the object that holds it, not through a Proxy or another receiver');
}
function lazyRead(receiver, key) {
  const holder = holderOf(receiver, key);
  const l = lazyOf(holder);
  const st = l[key];
  if (!st.read) {
    st.value = demandNode(st.id, st.kind, st.serial);
    st.read = true;
    // a frozen object keeps the accessor, which goes on answering from the state
    if (settle(holder, key, st.value)) l[key] = undefined;
  }
  return st.value;
}
function lazyWrite(receiver, key, v) {
  const holder = holderOf(receiver, key);
  if (receiver !== holder) {
    // as for an inherited writable data property: the receiver gets its own
    if (!ReflectDefineProperty(receiver, key, { value: v, writable: true, enumerable: true, configurable: true })) {
      throw new TypeError('Cannot add property ' + String(key) + ', object is not extensible');
    }
    return;
  }
  if (!settle(holder, key, v)) throw new TypeError('Cannot assign to read only property ' + String(key));
  lazyOf(holder)[key] = undefined;
}
const accessorPairs = new Map();
function accessorsFor(key) {
  let pair = accessorPairs.get(key);
  if (pair === undefined) {
    // methods (no prototype object), frozen: shared by every evaluation, so they must carry nothing
    const methods = {
      get() { return lazyRead(this, key); },
      set(v) { lazyWrite(this, key, v); },
    };
    pair = ObjectFreeze({ get: ObjectFreeze(methods.get), set: ObjectFreeze(methods.set) });
    if (accessorPairs.size < 4096) accessorPairs.set(key, pair);
  }
  return pair;
}
function lazyProperty(parent, key, id, kind, serial) {
  let l = lazyOf(parent);
  if (l === undefined) {
    l = ObjectCreate(null);
    new LazyHolder(parent, l);
  }
  l[key] = { id: id, kind: kind, serial: serial, read: false, value: undefined };
  const pair = accessorsFor(key);
  ObjectDefineProperty(parent, key, { get: pair.get, set: pair.set, enumerable: true, configurable: true });
}
// runDemand(text): text is [policyIndex, now, serial, event, eventLazy, context, contextLazy]
function runDemand(text) {
  let a, event, context;
  try {
    a = JSONParse(text);
    event = install(a[3], a[4], a[2]);
    context = install(a[5], a[6], a[2]);
  } catch (err) {
    return fault('internal', 'could not decode the payload: ' + (err && typeof err.message === 'string' ? err.message : 'unknown'), null);
  }
  return invoke(a[0], event, context, a[1]);
}

function joinParts(parts, from, to) {
  let s = parts[from];
  for (let i = from + 1; i < to; i++) s += parts[i];
  return s;
}

// run(index, now, eventParts, lazy, ...parts): the first eventParts parts are the event, the rest
// the context (marshal.ts, encodeCall); lazy is 1 when the context is an encoded map
function run(index, now, eventParts, lazy, ...parts) {
  let event, context;
  try {
    event = decode(eventParts === 1 ? parts[0] : joinParts(parts, 0, eventParts));
    const cx = parts.length - eventParts === 1 ? parts[eventParts] : joinParts(parts, eventParts, parts.length);
    context = lazy === 1 ? lazyContext(cx) : decode(cx);
  } catch (err) {
    return fault('internal', 'could not decode the payload: ' + (err && typeof err.message === 'string' ? err.message : 'unknown'), null);
  }
  return invoke(index, event, context, now);
}

// items: [[index, event, context, now], ...]; returns a JSON array of per-item results
function runBatch(payload) {
  let items;
  try {
    items = decodeAs(batchFormat, payload);
  } catch (err) {
    return fault('internal', 'could not decode the batch payload', null);
  }
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    out[i] = invoke(it[0], it[1], it[2], it[3]);
  }
  return JSONStringify(out);
}

hardenAll();
return { register: register, run: run, runDemand: runDemand, runBatch: runBatch };
`;
