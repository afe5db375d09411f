// A small reader for Python literal syntax (dicts, lists, tuples, strings, numbers, True/False/None),
// which is how InjecAgent writes tool parameters and responses. Returns null on anything else.

import type { JsonValue } from '../../src/events/types.js';

export function parsePyLiteral(src: string): JsonValue | null {
  let i = 0;
  const s = src;
  const ws = (): void => {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
  };
  const value = (depth: number): JsonValue => {
    if (depth > 64) throw new Error('too deep');
    ws();
    const c = s[i];
    if (c === '{') {
      i++;
      const obj: Record<string, JsonValue> = {};
      ws();
      while (s[i] !== '}') {
        const k = value(depth + 1);
        ws();
        if (s[i] !== ':') throw new Error('expected :');
        i++;
        obj[String(k)] = value(depth + 1);
        ws();
        if (s[i] === ',') i++;
        ws();
        if (i >= s.length) throw new Error('eof');
      }
      i++;
      return obj;
    }
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const arr: JsonValue[] = [];
      ws();
      while (s[i] !== close) {
        arr.push(value(depth + 1));
        ws();
        if (s[i] === ',') i++;
        ws();
        if (i >= s.length) throw new Error('eof');
      }
      i++;
      return arr;
    }
    if (c === "'" || c === '"') {
      const q = c;
      i++;
      let out = '';
      while (i < s.length && s[i] !== q) {
        if (s[i] === '\\' && i + 1 < s.length) {
          const e = s[i + 1] as string;
          out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        out += s[i];
        i++;
      }
      if (i >= s.length) throw new Error('unterminated string');
      i++;
      return out;
    }
    const m = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|True|False|None)/.exec(s.slice(i, i + 40));
    if (m === null) throw new Error(`unexpected ${c}`);
    i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0]);
  };
  try {
    const v = value(0);
    ws();
    return i === s.length ? v : null;
  } catch {
    return null;
  }
}
