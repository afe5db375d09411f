// One test per supported construct: explicit expectations, each also checked against the JS
// RegExp engine so the two cannot drift apart.

import { describe, expect, it } from 'vitest';
import { dfaTest } from '../../../src/policy/pattern/index.js';
import { mustCompile, oracleTest } from './oracle.js';

type Case = [pattern: string, matches: string[], misses: string[]];

function check([pattern, matches, misses]: Case): void {
  const dfa = mustCompile(pattern);
  for (const text of matches) {
    expect(dfaTest(dfa, text), `\`${pattern}\` should match ${JSON.stringify(text)}`).toBe(true);
    expect(oracleTest(pattern, text), `RegExp disagrees on ${JSON.stringify(text)}`).toBe(true);
  }
  for (const text of misses) {
    expect(dfaTest(dfa, text), `\`${pattern}\` should not match ${JSON.stringify(text)}`).toBe(false);
    expect(oracleTest(pattern, text), `RegExp disagrees on ${JSON.stringify(text)}`).toBe(false);
  }
}

const groups: Record<string, Case[]> = {
  literals: [
    ['abc', ['abc', 'xxabcxx'], ['ab', 'abd', 'ABC', '']],
    ['😀b', ['a😀b'], ['😀', '\uD83Db']],
    ['é', ['café'], ['cafe', 'e\u0301']],
    ['a b', ['a b'], ['ab']],
  ],
  dot: [
    ['a.c', ['abc', 'a😀c', 'a\tc'], ['ac', 'a\nc', 'a\rc', 'a\u2028c', 'a\u2029c']],
    ['(?s)a.c', ['a\nc', 'a\u2028c', 'a😀c'], ['ac']],
    ['^.$', ['😀', '\uD83D'], ['😀😀', '']],
  ],
  classes: [
    ['[abc]', ['xbx'], ['xyz']],
    ['[a-c]', ['b'], ['d']],
    ['[^a-c]', ['d', '😀'], ['abc', '']],
    ['[^]', ['\n'], ['']],
    ['[]', [], ['a', '']],
    ['[a-]', ['-'], ['b']],
    ['[-a]', ['-'], ['b']],
    ['[a-c-e]', ['-', 'e'], ['d']],
    ['[\\]\\\\]', [']', '\\'], ['a']],
    ['[\\b]', ['\b'], ['b']],
    ['[😀-😂]', ['😁'], ['😃', '\uD83D']],
    ['[\\d\\s]', ['1', '\u3000'], ['a']],
    ['[^\\W]', ['a', '_'], ['-']],
    ['[.*+?]', ['*', '?'], ['a']],
  ],
  'class escapes': [
    ['\\d', ['7'], ['a', '\u0661']],
    ['\\D', ['a'], ['123']],
    ['\\w', ['_', 'Z'], ['é', '-']],
    ['\\W', ['é'], ['abc_']],
    ['\\s', [' ', '\t', '\n', '\u00a0', '\ufeff', '\u2028', '\u3000'], ['a', '\u200b']],
    ['\\S', ['a'], [' \t']],
  ],
  escapes: [
    ['\\t\\n\\r\\f\\v', ['\t\n\r\f\v'], ['tnrfv']],
    ['\\0', ['\0'], ['0']],
    ['\\x41\\u0042\\u{43}', ['ABC'], ['abc']],
    ['\\u{1F600}', ['😀'], ['\uD83D']],
    ['\\uD83D\\uDE00', ['😀'], ['\uD83D']],
    ['\\uD83D', ['\uD83Dx'], ['😀']],
    ['\\cJ', ['\n'], ['J']],
    ['\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\/', ['.*+?()[]{}|^$\\/'], ['x']],
  ],
  groups: [
    ['^(ab)+$', ['abab'], ['aabb', '']],
    ['(?:ab){2}', ['abab'], ['ab']],
    ['(?<pair>ab)c', ['abc'], ['ab']],
    ['()', ['', 'x'], []],
    ['a(|b)c', ['ac', 'abc'], ['abbc']],
  ],
  alternation: [
    ['cat|dog', ['hotdog'], ['cow']],
    ['a|', ['', 'z'], []],
    ['x(a|bc|)y', ['xy', 'xay', 'xbcy'], ['xby']],
  ],
  quantifiers: [
    ['ab*c', ['ac', 'abbbc'], ['abd']],
    ['ab+c', ['abc'], ['ac']],
    ['ab?c', ['ac', 'abc'], ['abbc']],
    ['^a{3}$', ['aaa'], ['aa', 'aaaa']],
    ['^a{2,}$', ['aa', 'aaaaa'], ['a']],
    ['^a{2,3}$', ['aa', 'aaa'], ['a', 'aaaa']],
    ['^a{0}$', [''], ['a']],
    ['^a*?$', ['', 'aaa'], ['b']],
    ['^a+?b', ['aab'], ['b']],
    ['^a??b', ['b', 'ab'], ['aab']],
    ['^(?:ab){1,2}?$', ['ab', 'abab'], ['ababab']],
    ['^😀{2}$', ['😀😀'], ['😀\uDE00']],
    ['^[a-z]{1000}$', ['q'.repeat(1000)], ['q'.repeat(999), 'q'.repeat(1001)]],
  ],
  anchors: [
    ['^ab', ['abc'], ['cab']],
    ['ab$', ['cab'], ['abc']],
    ['^ab$', ['ab'], ['abab', 'ab\n']],
    ['^a|b$', ['ax', 'xb'], ['xa', 'bx']],
    ['(?:^a|b)c', ['ac', 'xbc'], ['xac']],
    ['a(?:b$|c)', ['ab', 'xacx'], ['abx']],
    ['^', ['', 'x'], []],
    ['$', ['', 'x'], []],
    ['\\b^a', ['a'], ['ba']],
  ],
  'word boundaries': [
    ['\\bcat\\b', ['cat', 'a cat.', '(cat)'], ['cats', 'concat', 'cat_']],
    ['\\Bcat\\B', ['scats'], ['cat', 'cats', 'scat']],
    ['\\b', ['a', ' a'], ['', ' ', '-']],
    ['\\B', ['', ' ', 'ab'], ['a']],
    ['a\\b', ['a', 'a-'], ['ab', 'a_']],
    ['\\b😀', ['a😀'], ['😀', ' 😀']],
    ['é\\b', ['éa'], ['é', 'é ']],
    ['x\\B', ['xa'], ['x', 'x\u212a']],
    ['(?i)x\\B', ['x\u212a', 'x\u017f'], ['x']],
  ],
  'case-insensitive': [
    ['(?i)abc', ['ABC', 'aBc'], ['abd']],
    ['(?i)k', ['K', 'k', '\u212a'], ['q']],
    ['(?i)s', ['S', '\u017f'], ['ß']],
    ['(?i)ß', ['ẞ', 'ß'], ['ss', 'SS']],
    ['(?i)σ', ['Σ', 'ς'], ['s']],
    ['(?i)i', ['I'], ['\u0131', '\u0130']],
    ['(?i)\u0131', ['\u0131'], ['i', 'I']],
    ['(?i)ǆ', ['Ǆ', 'ǅ'], ['dž']],
    ['(?i)𐐨', ['𐐀'], ['a']],
    ['(?i)[a-c]', ['B'], ['d']],
    ['(?i)[^a]', ['b'], ['A', 'a']],
    ['(?i)[^\\W]', ['\u017f', '\u212a'], ['-']],
    ['(?i)\\W', ['-'], ['\u017f', '\u212a', 's']],
    ['(?i)\\w', ['\u017f', '\u212a'], ['-']],
    ['(?i)\\bs', ['\u017f', 'x s'], ['x\u017fs']],
    ['(?i)a\\b', ['a-'], ['a\u212a', 'a\u017f']],
    ['(?i)\\p{Lu}', ['a', 'Q'], ['1']],
    ['(?i)\\P{Lu}', ['A'], []],
    ['(?i)[\\u{10400}-\\u{10401}]', ['\u{10428}'], ['\u{10402}']],
  ],
  'dot-all': [['(?s)^.+$', ['a\nb\r\u2028'], ['']]],
  'unicode properties': [
    ['\\p{L}', ['é', 'ж', '中', '𐐀'], ['1', '😀', '']],
    ['\\P{L}', ['1'], ['abc']],
    ['\\p{Lu}', ['É'], ['é']],
    ['\\p{Script=Greek}', ['α'], ['a']],
    ['\\p{sc=Cyrillic}', ['ж'], ['z']],
    ['\\p{N}', ['٣', '5'], ['x']],
    ['\\p{Emoji_Presentation}', ['😀'], ['a']],
    ['[\\p{Lu}\\d]', ['Q', '4'], ['q']],
    ['[^\\p{L}]', ['1'], ['é']],
    ['\\p{Cs}', ['\uD800', '\uDFFF'], ['😀', 'a']],
    ['\\p{Any}', ['\uDBFF', '😀'], ['']],
  ],
};

describe('pattern constructs', () => {
  for (const [name, cases] of Object.entries(groups)) {
    it(name, () => cases.forEach(check));
  }

  it('lazy and greedy quantifiers compile to the same automaton', () => {
    expect(mustCompile('a+?b').table).toEqual(mustCompile('a+b').table);
    expect(mustCompile('a{2,5}?').table).toEqual(mustCompile('a{2,5}').table);
  });

  it('named and capturing groups are plain groups', () => {
    const plain = mustCompile('(?:ab)+');
    for (const other of ['(ab)+', '(?<x>ab)+']) expect(mustCompile(other).table).toEqual(plain.table);
  });
});
