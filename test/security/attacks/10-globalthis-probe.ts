import { defineAttack, policy } from '../attack.js';

export default defineAttack({
  description: 'probing globalThis for host objects, require, timers and I/O',
  code: policy(`\n  const standard = new Set(['Object','Function','Array','Number','parseFloat','parseInt','Infinity','NaN','undefined','Boolean','String','Symbol','Date','Promise','RegExp','Error','AggregateError','EvalError','RangeError','ReferenceError','SyntaxError','TypeError','URIError','globalThis','JSON','Math','Intl','ArrayBuffer','Uint8Array','Int8Array','Uint16Array','Int16Array','Uint32Array','Int32Array','Float32Array','Float64Array','Uint8ClampedArray','BigUint64Array','BigInt64Array','DataView','Map','BigInt','Set','WeakMap','WeakSet','Proxy','Reflect','decodeURI','decodeURIComponent','encodeURI','encodeURIComponent','escape','unescape','eval','isFinite','isNaN','console',
    // newer ECMAScript intrinsics (V8 in Node 22/24): language built-ins, not host objects
    'Iterator','SuppressedError','DisposableStack','AsyncDisposableStack','Float16Array']);\n  const extra = Reflect.ownKeys(globalThis).map(String).filter((k) => !standard.has(k));\n  const wanted = ['require','process','setTimeout','setInterval','setImmediate','queueMicrotask','fetch','XMLHttpRequest','WebSocket','Buffer','global','module','exports','WebAssembly','SharedArrayBuffer','Atomics','_ivm','ivm','isolatedVm'].filter((k) => k in globalThis);\n  return { violation: true, message: 'extra globals: ' + (extra.concat(wanted).join(',') || 'none') };`),
  expect: { verdict: 'violation', message: /^extra globals: none$/ },
});
