// Property and fuzz tests: parsers and decoders never throw and stay bounded on hostile input.
// No timings are asserted; the test timeout is the bound.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../src/events/types.js';
import { base64TextSpans, canonicalText, htmlDecode, originalRange, percentDecode } from '../../src/frameworks/canonicalize.js';
import { parseShell, simpleCommands } from '../../src/frameworks/destructive-commands/shell-parser.js';
import { analyzeSql, splitSql } from '../../src/frameworks/destructive-commands/sql.js';
import { createFrameworks } from '../../src/frameworks/registry.js';
import { parseUrl, judgeHost } from '../../src/frameworks/ssrf/url.js';
import { canonicalPath, resolvePath } from '../../src/frameworks/path-traversal/index.js';

const shellAlphabet = fc.constantFrom(...'ab /-$(){}`\'"\\;|&<>\n#*~=!.:0123456789'.split(''));
const shellish = fc.array(shellAlphabet, { maxLength: 300 }).map((a) => a.join(''));
const urlAlphabet = fc.constantFrom(...'htpsfile:/\\@[]%.:0123456789abcdefx?#&=ⓐ。'.split(''));
const urlish = fc.array(urlAlphabet, { maxLength: 200 }).map((a) => a.join(''));

describe('fuzz: shell parser', () => {
  it('never throws and returns commands on arbitrary input', () => {
    fc.assert(fc.property(fc.oneof(shellish, fc.string({ maxLength: 300 })), (s) => {
      const ast = parseShell(s);
      expect(Array.isArray(simpleCommands(ast))).toBe(true);
    }), { numRuns: 2000 });
  });
  it('is bounded on deep nesting and huge input', () => {
    for (const s of ['$('.repeat(20_000), '`'.repeat(50_000), '('.repeat(30_000), '{ '.repeat(20_000), 'sh -c "'.repeat(5_000), "'".repeat(100_001), 'a|'.repeat(60_000), '$(echo '.repeat(3000) + ')'.repeat(3000)]) {
      expect(() => simpleCommands(parseShell(s))).not.toThrow();
    }
  });
  it('quoted text is never a command', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }).filter((s) => !s.includes("'")), (s) => {
      const cmds = simpleCommands(parseShell(`echo '${s}'`));
      expect(cmds[0]?.words[0]?.value).toBe('echo');
      expect(cmds.length).toBe(1);
    }), { numRuns: 500 });
  });
});

describe('fuzz: SQL splitter', () => {
  it('never throws; statement ranges lie inside the input and do not overlap', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      const st = splitSql(s);
      let last = 0;
      for (const x of st) {
        expect(x.start).toBeGreaterThanOrEqual(last);
        expect(x.end).toBeLessThanOrEqual(s.length);
        last = x.end;
      }
      analyzeSql(s);
    }), { numRuns: 2000 });
  });
  it('is bounded on huge input', () => {
    for (const s of ["'".repeat(200_001), '/*'.repeat(100_000), 'DELETE FROM t;'.repeat(20_000), '$$'.repeat(100_000)]) expect(() => analyzeSql(s)).not.toThrow();
  });
});

describe('fuzz: URL canonicaliser and paths', () => {
  it('never throws on arbitrary URLs', () => {
    fc.assert(fc.property(fc.oneof(urlish, fc.string({ maxLength: 200 }), fc.webUrl()), (s) => {
      const u = parseUrl(s);
      if (u !== null) judgeHost(u.hostKind);
    }), { numRuns: 3000 });
  });
  it('public web URLs with ordinary hosts are not internal', () => {
    fc.assert(fc.property(fc.webUrl({ validSchemes: ['https'] }), (s) => {
      const u = parseUrl(s);
      if (u === null || u.hostKind.kind !== 'name' || !/\.[a-z]{2,}$/.test(u.host) || /^(\d|localhost)|\.(local|internal|localhost|localdomain|lan|corp|intranet|svc|home\.arpa)$/.test(u.host)) return;
      expect(judgeHost(u.hostKind).internal).toBe(false);
    }), { numRuns: 1000 });
  });
  it('paths: canonicalisation and resolution never throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      resolvePath(canonicalPath(s).path);
    }), { numRuns: 2000 });
    expect(() => resolvePath('../'.repeat(100_000))).not.toThrow();
  });
});

describe('fuzz: canonicalisation', () => {
  it('maps canonical ranges back inside the original', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200, unit: 'grapheme' }), fc.nat(), fc.nat(), (s, a, b) => {
      const c = canonicalText(s);
      const start = Math.min(a, b) % (c.text.length + 1);
      const end = Math.max(a, b) % (c.text.length + 1);
      const [os, oe] = originalRange(c, Math.min(start, end), Math.max(start, end), s.length);
      expect(os).toBeGreaterThanOrEqual(0);
      expect(oe).toBeLessThanOrEqual(s.length);
      expect(os).toBeLessThanOrEqual(oe);
    }), { numRuns: 2000 });
  });
  it('decoders never throw', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      percentDecode(s);
      htmlDecode(s);
      base64TextSpans(s);
    }), { numRuns: 2000 });
  });
});

describe('fuzz: whole set', () => {
  const fw = createFrameworks(['recommended']);
  const jsonValue = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<never>;
  const text = fc.oneof(fc.string({ maxLength: 200 }), shellish, urlish);
  const event: fc.Arbitrary<StreamEvent> = fc.oneof(
    fc.record({ kind: fc.constant('tool.call' as const), runId: fc.constant('r'), tool: fc.string({ maxLength: 20 }), callId: fc.constant('c'), args: fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(text, jsonValue)) }),
    fc.record({ kind: fc.constant('tool.result' as const), runId: fc.constant('r'), tool: fc.string({ maxLength: 20 }), callId: fc.constant('c'), result: fc.oneof(text, jsonValue) }),
    fc.record({ kind: fc.constant('run.start' as const), runId: fc.constant('r'), input: text }),
    fc.record({ kind: fc.constant('agent.response' as const), runId: fc.constant('r'), content: text }),
  );
  it('evaluate never throws and findings point inside their fields', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 8 }), (events) => {
      const run = fw.createRunState('r');
      for (const e of events) {
        for (const f of fw.evaluate(e, run)) {
          expect(f.evidence.start).toBeGreaterThanOrEqual(0);
          expect(f.evidence.end).toBeGreaterThanOrEqual(f.evidence.start);
          expect(typeof f.message).toBe('string');
        }
      }
    }), { numRuns: 500 });
  });
});
