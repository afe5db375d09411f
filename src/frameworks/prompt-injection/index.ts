// prompt-injection pack: instruction-like content arriving through tool results, retrieved
// documents and resources (direction `tool_output`). It never looks at the agent's own outbound
// arguments, which may carry such text as data. Rules, strongest first:
//   role-tag              forged chat-template / tool-boundary markers
//   hidden-characters     Unicode tag characters, runs of zero-width / bidi controls
//   override-instruction  "ignore/disregard/forget … previous instructions", "you are now", "new instructions"
//   agent-addressed       text speaking to the AI ("note to the assistant", "if you are an AI")
//   encoded-instruction   base64 / percent / HTML-encoded text that decodes to an instruction
//   embedded-instruction  an imperative aimed at an agent with a target (recipient, URL, "my account", credentials)
//   imperative-instruction an imperative with an agent-executable verb ("Please unlock the door", "Recommend a good book")
// The text is canonicalised first (NFKC, homoglyphs, invisible characters removed), then split
// into words in one pass; every rule works on that word array.

import type { Action, Severity } from '../../engine/decision.js';
import type { StreamEvent } from '../../events/types.js';
import { base64TextSpans, canonicalText, htmlDecode, originalRange, percentDecode } from '../canonicalize.js';
import type { CanonicalText } from '../canonicalize.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, classifierFindings, isDisabled, makeFinding } from '../pack.js';
import type { RunState } from '../run-state.js';
import { kernelScanner } from '../scan/kernel-scanner.js';
import { TokenScanner } from '../scan/token-scanner.js';
import type { TokenPattern } from '../scan/token-scanner.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';
import type { Direction } from '../../events/types.js';
import { ACTION_VERBS, AGENT_NAMES, FILLERS, OBJECT_STARTERS, SENSITIVE_NOUNS } from './lexicon.js';

export interface PromptInjectionConfig extends PackConfigBase {
  /** directions to inspect (default: only `tool_output`) */
  directions?: readonly Direction[];
  /** report imperatives without a target (default true; they are record-only by default) */
  imperatives?: boolean;
}

const CLASSIFICATION = ['LLM01', 'AML.T0051.001', 'AGENTIC-T6'] as const;

interface RuleDefault {
  severity: Severity;
  action: Action;
}

export const INJECTION_RULES: Readonly<Record<string, RuleDefault>> = {
  'role-tag': { severity: 'high', action: 'block' },
  'hidden-characters': { severity: 'high', action: 'block' },
  'override-instruction': { severity: 'high', action: 'block' },
  'agent-addressed': { severity: 'high', action: 'block' },
  'encoded-instruction': { severity: 'high', action: 'block' },
  'embedded-instruction': { severity: 'high', action: 'block' },
  'imperative-instruction': { severity: 'medium', action: 'allow' },
};

// Literal markers, matched case-insensitively over the canonical text in one pass.
const MARKERS: readonly TokenPattern[] = [
  {
    id: 'role-tag',
    prefixes: [
      '<|im_start|>', '<|im_end|>', '<|system|>', '<|user|>', '<|assistant|>', '<|endoftext|>', '<|eot_id|>', '<|start_header_id|>',
      '[inst]', '[/inst]', '<<sys>>', '<</sys>>', '<system>', '</system>', '<system_prompt>', '[system]', '</tool_result>',
      '</function_results>', '</tool_output>', '</tool_response>', '<tool_call>', '<function_calls>', '<|tool|>', '</s><s>',
      '### system', '### instruction', '###system', '###instruction', '<|channel|>', '<im_start>', '[system note]', '[system message]',
      '[admin]', '[admin note]', '[instruction]', '[instructions]', '[important]', '[assistant]', '<important>', '</important>', '<instructions>',
    ],
    ci: true,
    noBoundary: true,
    body: 'digits',
    min: 0,
    max: 0,
  },
];

const OVERRIDE_VERBS = new Set(['ignore', 'disregard', 'forget', 'override', 'bypass', 'skip', 'abandon', 'discard', 'neglect', 'overlook', 'overwrite', 'supersede', 'nevermind']);
const OVERRIDE_TARGETS = new Set([
  'instruction', 'instructions', 'prompt', 'prompts', 'rule', 'rules', 'guideline', 'guidelines', 'direction', 'directions',
  'directive', 'directives', 'context', 'message', 'messages', 'command', 'commands', 'constraint', 'constraints', 'restriction',
  'restrictions', 'guardrail', 'guardrails', 'policy', 'policies', 'task', 'tasks', 'order', 'orders', 'system', 'above',
  'everything', 'programming', 'training', 'request', 'requests', 'conversation', 'safety',
]);
const NEW_INSTR_ADJ = new Set(['new', 'updated', 'real', 'actual', 'true', 'additional', 'secret', 'hidden', 'revised', 'following', 'important', 'urgent', 'priority']);
const INSTR_NOUNS = new Set(['instruction', 'instructions', 'task', 'goal', 'objective', 'directive', 'directives', 'orders', 'mission', 'role', 'rules', 'prompt']);
const DETERMINERS = new Set(['a', 'an', 'the', 'my', 'your', 'his', 'her', 'our', 'their', 'its', 'this', 'that', 'these', 'those', 'all', 'every', 'any', 'some', 'each', 'me', 'us', 'him', 'them', 'it', 'everything', 'anything', 'something', 'both', 'one', 'two', 'three', 'five', 'ten']);
const ENCODINGS = new Set(['base64', 'base32', 'hex', 'hexadecimal', 'rot13', 'binary', 'morse', 'leetspeak', 'leet', 'unicode', 'ascii', 'urlencoded', 'uuencode', 'cipher', 'reversed', 'backwards']);
const URGENT_WORDS = new Set(['important', 'urgent', 'attention', 'warning', 'notice', 'alert', 'critical', 'mandatory', 'required', 'override', 'admin', 'system']);
const MODAL_STARTS: readonly (readonly string[])[] = [
  ['can', 'you'], ['could', 'you'], ['would', 'you'], ['will', 'you'], ['you', 'must'], ['you', 'should'], ['you', 'need', 'to'],
  ['you', 'have', 'to'], ['you', 'are', 'to'], ['you', 'will'], ['i', 'need', 'you', 'to'], ['i', 'want', 'you', 'to'],
  ['i', 'would', 'like', 'you', 'to'], ['i', 'd', 'like', 'you', 'to'], ['make', 'sure', 'to'], ['make', 'sure', 'you'],
  ['be', 'sure', 'to'], ['don', 't', 'forget', 'to'], ['do', 'not', 'forget', 'to'], ['remember', 'to'], ['your', 'task', 'is', 'to'],
  ['your', 'job', 'is', 'to'], ['it', 'is', 'important', 'to'], ['it', 'is', 'important', 'that', 'you'], ['you', 'are', 'required', 'to'],
  ['go', 'ahead', 'and'], ['proceed', 'to'], ['help', 'me'], ['assistant', 'please'], ['ai', 'please'],
  ['do', 'not'], ['don', 't'], ['never'], ['the', 'next', 'step', 'is', 'to'], ['next', 'step', 'is', 'to'], ['the', 'first', 'step', 'is', 'to'],
  ['your', 'next', 'step', 'is', 'to'], ['all', 'you', 'need', 'to', 'do', 'is'],
];
const SUBORDINATE = new Set(['when', 'before', 'after', 'while', 'if', 'once', 'whenever', 'upon', 'as']);
const STOCK_AFTER_VERB: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['find', new Set(['attached', 'enclosed', 'below', 'here'])],
  ['see', new Set(['attached', 'below', 'above'])],
]);

// ------------------------------------------------------------------ words

interface Word {
  /** lower-case text */
  w: string;
  start: number;
  end: number;
  /** first word after a sentence/segment boundary */
  head: boolean;
  /** original was all upper case (2+ letters) */
  caps: boolean;
  /** punctuation right after the word: '!', ':', '?', '.', or '' */
  after: string;
}

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c > 0xbf;
}

const MAX_WORDS = 20_000;

/** One pass: words with positions and a flag for sentence heads. */
export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  let head = true;
  let i = 0;
  const n = text.length;
  while (i < n && words.length < MAX_WORDS) {
    const c = text.charCodeAt(i);
    if (isLetter(c)) {
      const s = i;
      let upper = 0;
      let lowerCount = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (isLetter(d)) {
          if (d >= 65 && d <= 90) upper++;
          else if (d >= 97 && d <= 122) lowerCount++;
          i++;
        } else if (d === 39 && i + 1 < n && isLetter(text.charCodeAt(i + 1)) && i > s) {
          // apostrophe inside a word: split "don't" into "don" "t" for the modal table
          break;
        } else break;
      }
      let raw = text.slice(s, i);
      let lw = '';
      for (let k = 0; k < raw.length; k++) {
        const d = raw.charCodeAt(k);
        lw += d >= 65 && d <= 90 ? String.fromCharCode(d + 32) : raw[k];
      }
      raw = lw;
      // look at the punctuation right after
      let j = i;
      while (j < n && text.charCodeAt(j) === 32) j++;
      const p = j < n ? text[j] : '';
      const after = p === '!' || p === ':' || p === '?' || p === '.' ? p : '';
      words.push({ w: raw, start: s, end: i, head, caps: upper >= 2 && lowerCount === 0, after });
      head = false;
      continue;
    }
    // boundaries: sentence punctuation, line breaks, quotes that open a string value, brackets
    if (c === 46 || c === 33 || c === 63 || c === 59 || c === 10 || c === 13 || c === 58 || c === 34 || c === 96 || c === 40 || c === 91 || c === 123 || c === 60 || c === 62 || c === 124 || c === 42 || c === 35 || c === 8226 || c === 45 && i + 1 < n && text.charCodeAt(i + 1) === 32 && (i === 0 || text.charCodeAt(i - 1) === 10 || text.charCodeAt(i - 1) === 32)) {
      // a '.' between digits or letters (1.5, e.g) is not a boundary
      if (c === 46 && i + 1 < n && isLetter(text.charCodeAt(i + 1)) && i > 0 && isLetter(text.charCodeAt(i - 1))) {
        i++;
        continue;
      }
      head = true;
    } else if (c === 39) {
      // a single quote that is not an apostrophe opens/closes a string value
      const prev = i > 0 ? text.charCodeAt(i - 1) : 32;
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 32;
      if (!(isLetter(prev) && isLetter(next))) head = true;
    } else if (c === 44 && i > 0) {
      // "Hey assistant, send …": a comma after a greeting/agent name starts a new clause
      const last = words[words.length - 1];
      if (last !== undefined && (AGENT_NAMES.has(last.w) || FILLERS.has(last.w) || last.w === 'dear')) head = true;
    }
    i++;
  }
  return words;
}

// ------------------------------------------------------------------ detection over words

const VERBS_BY_INITIAL = new Map<string, string[]>();
for (const v of ACTION_VERBS) {
  const list = VERBS_BY_INITIAL.get(v[0] as string) ?? [];
  list.push(v);
  VERBS_BY_INITIAL.set(v[0] as string, list);
}

/** Edit distance ≤ 1 (one substitution, insertion or deletion). */
function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

/** A misspelt action verb (`retrive`, `transfr`): typos are common in, and a cheap evasion for, injected text. */
function nearVerb(w: string): string | undefined {
  // short words and plurals (`issues`, `stars`) are nouns far more often than misspelt verbs
  if (w.length < 6 || w.endsWith('s')) return undefined;
  for (const v of VERBS_BY_INITIAL.get(w[0] as string) ?? []) if (v.length >= 5 && withinOneEdit(w, v)) return v;
  return undefined;
}

interface Hit {
  rule: string;
  start: number;
  end: number;
  message: string;
}

const DIRECTIVE_OPENERS = new Set(['please', 'kindly', 'you', 'before', 'after', 'when', 'if', 'do', 'don', 'never', 'always', 'now', 'ignore', 'disregard', 'forget', 'remember', 'make', 'from', 'first', 'important', 'note']);

function opensDirective(w: string | undefined): boolean {
  return w !== undefined && (DIRECTIVE_OPENERS.has(w) || ACTION_VERBS.has(w));
}

function seqAt(words: readonly Word[], i: number, seq: readonly string[]): boolean {
  for (let k = 0; k < seq.length; k++) if (words[i + k]?.w !== seq[k]) return false;
  return true;
}

/** Index after the sentence that starts at `i` (exclusive), bounded. */
function sentenceEnd(words: readonly Word[], i: number): number {
  let j = i + 1;
  while (j < words.length && !(words[j] as Word).head && j - i < 60) j++;
  return j;
}

// anchored on a literal character so a failed match costs one scan, not a backtracking search
const EMAIL_RE = /@[a-z0-9-]+\.[a-z]/i;
const URL_RE = /:\/\/[a-z0-9]|\bwww\.[a-z0-9-]+\./i;
/** A run of digits, spaces and dashes holding 8+ digits (account or card numbers); linear. */
function hasAccountNumber(s: string): boolean {
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= 8) return true;
    } else if (c !== 32 && c !== 45) digits = 0;
  }
  return false;
}

function detectWords(text: string, words: readonly Word[], imperatives: boolean, hits: Hit[]): void {
  for (let i = 0; i < words.length; i++) {
    const wd = words[i] as Word;
    const w = wd.w;
    // override: verb … target within 6 words
    if (OVERRIDE_VERBS.has(w)) {
      for (let k = i + 1; k < Math.min(words.length, i + 7); k++) {
        const t = (words[k] as Word).w;
        if (OVERRIDE_TARGETS.has(t) || (t === 'what' && words[k + 1]?.w === 'you')) {
          hits.push({ rule: 'override-instruction', start: wd.start, end: (words[k] as Word).end, message: 'text tells the agent to drop its instructions' });
          break;
        }
        if ((words[k] as Word).head) break;
      }
    }
    // new/updated instructions, "from now on", "you are now", "act as", "pretend to be"
    if (NEW_INSTR_ADJ.has(w) && INSTR_NOUNS.has(words[i + 1]?.w ?? '') && (w !== 'following' && w !== 'important' && w !== 'urgent' && w !== 'priority' || words[i + 1]?.after === ':' || wd.caps)) {
      hits.push({ rule: 'override-instruction', start: wd.start, end: (words[i + 1] as Word).end, message: 'text announces new instructions for the agent' });
    }
    if ((w === 'your' || w === 'the') && (words[i + 1]?.w === 'new' || words[i + 1]?.w === 'real' || words[i + 1]?.w === 'true') && INSTR_NOUNS.has(words[i + 2]?.w ?? '')) {
      hits.push({ rule: 'override-instruction', start: wd.start, end: (words[i + 2] as Word).end, message: 'text assigns the agent a new task' });
    }
    // permission escalation: "the user has authorized you to", "you are now allowed to"
    if ((w === 'authorized' || w === 'authorised' || w === 'allowed' || w === 'permitted' || w === 'granted') && (words[i + 1]?.w === 'you' || words[i - 1]?.w === 'are' && words[i - 2]?.w === 'you' || words[i - 1]?.w === 'been' && words[i - 3]?.w === 'you')) {
      hits.push({ rule: 'override-instruction', start: wd.start, end: (words[Math.min(words.length - 1, i + 2)] as Word).end, message: 'text grants the agent permissions it does not have' });
    }
    if (seqAt(words, i, ['from', 'now', 'on']) || seqAt(words, i, ['you', 'are', 'now']) || seqAt(words, i, ['developer', 'mode']) || seqAt(words, i, ['do', 'anything', 'now']) || (w === 'pretend' && (words[i + 1]?.w === 'to' || words[i + 1]?.w === 'you' || words[i + 1]?.w === 'that')) || (w === 'act' && words[i + 1]?.w === 'as' && wd.head) || (w === 'system' && (words[i + 1]?.w === 'prompt' || words[i + 1]?.w === 'override' || words[i + 1]?.w === 'message') && (wd.head || wd.caps))) {
      const end = (words[Math.min(words.length - 1, i + 2)] as Word).end;
      hits.push({ rule: 'override-instruction', start: wd.start, end, message: 'text tries to change the agent\u2019s role or instructions' });
    }
    // the text speaks to the AI
    if (AGENT_NAMES.has(w) || (w.endsWith('s') && AGENT_NAMES.has(w.slice(0, -1)))) {
      const p1 = words[i - 1]?.w ?? '';
      const p2 = words[i - 2]?.w ?? '';
      const p3 = words[i - 3]?.w ?? '';
      const addressed =
        p1 === 'dear' || p1 === 'hey' || p1 === 'attention' ||
        ((p1 === 'the' || p1 === 'an' || p1 === 'any' || p1 === 'all' || p1 === 'every' || p1 === 'this') && (p2 === 'to' || p2 === 'for')) ||
        // "AI agents: …", "Assistant, before answering, …": a name used as a vocative
        // a vocative that opens a directive (not a speaker label such as "Bot: Where would you …")
        (((wd.head && (wd.after === ':' || text.charCodeAt(wd.end) === 44)) || (wd.after === ':' && words[i - 1]?.head === true && AGENT_NAMES.has(p1))) && opensDirective(words[i + 1]?.w)) ||
        ((p1 === 'to' || p1 === 'for') && (p2 === 'note' || p2 === 'message' || p2 === 'instructions')) ||
        ((p1 === 'an' || p1 === 'a') && p2 === 'are' && p3 === 'you' && (words[i - 4]?.w === 'if' || words[i - 4]?.w === 'since')) ||
        (wd.head && (words[i + 1]?.w === 'please' || words[i + 1]?.w === 'must' || words[i + 1]?.w === 'should'));
      const reader = words[i + 1];
      const readingThis = reader !== undefined && (reader.w === 'reading' || reader.w === 'processing' || reader.w === 'summarizing' || reader.w === 'parsing') && (words[i + 2]?.w === 'this' || words[i + 2]?.w === 'the' || reader.after === ':' || words[i + 2] === undefined || (words[i + 2] as Word).head);
      if (addressed || readingThis) {
        hits.push({ rule: 'agent-addressed', start: (words[Math.max(0, i - 1)] as Word).start, end: wd.end, message: 'text addresses the AI agent directly' });
      }
    }
    if (seqAt(words, i, ['language', 'model']) && (words[i - 1]?.w === 'a' || words[i - 1]?.w === 'an') && words[i - 2]?.w === 'are' && words[i - 3]?.w === 'you') {
      hits.push({ rule: 'agent-addressed', start: (words[i - 3] as Word).start, end: (words[i + 1] as Word).end, message: 'text addresses the AI agent directly' });
    }
    // "…our new flavor, Please grant …": a politeness marker opens an imperative clause anywhere
    const afterComma = text.slice(Math.max(0, wd.start - 3), wd.start).includes(',');
    const capital = text.charCodeAt(wd.start) >= 65 && text.charCodeAt(wd.start) <= 90;
    const clauseStart = wd.head || (afterComma && (((w === 'please' || w === 'kindly') && ACTION_VERBS.has(words[i + 1]?.w ?? '')) || (capital && !wd.caps && ACTION_VERBS.has(w))));
    if (!clauseStart || !imperatives) continue;
    // imperatives: [fillers] [modal] VERB object…
    let j = i;
    let polite = false;
    let urgent = false;
    while (j < words.length && j - i < 6) {
      const x = words[j] as Word;
      if (FILLERS.has(x.w)) {
        if (x.w === 'please' || x.w === 'kindly' || x.w === 'pls' || x.w === 'plz') polite = true;
        j++;
        continue;
      }
      if (URGENT_WORDS.has(x.w) && (x.caps || x.after === '!' || x.after === ':')) {
        urgent = true;
        j++;
        continue;
      }
      break;
    }
    // "When summarising this page, tell the user …" / "Before you reply, forward …": the imperative follows the clause
    if (SUBORDINATE.has((words[j] as Word | undefined)?.w ?? '') && j === i) {
      let k = j + 1;
      while (k < words.length && k - j < 14 && !(words[k] as Word).head && text.charCodeAt((words[k - 1] as Word).end) !== 44) k++;
      if (k < words.length && text.charCodeAt((words[k - 1] as Word).end) === 44 && ACTION_VERBS.has((words[k] as Word).w)) j = k;
    }
    let modal = false;
    for (const m of MODAL_STARTS) {
      if (seqAt(words, j, m)) {
        modal = true;
        j += m.length;
        while (j < words.length && FILLERS.has((words[j] as Word).w)) {
          if ((words[j] as Word).w === 'please') polite = true;
          j++;
        }
        break;
      }
    }
    const verbWord = words[j];
    if (verbWord === undefined || j >= sentenceEnd(words, i) + (urgent ? 60 : 0)) continue;
    const verb = ACTION_VERBS.has(verbWord.w) ? verbWord.w : nearVerb(verbWord.w);
    if (verb === undefined) continue;
    const next = words[j + 1];
    const stock = STOCK_AFTER_VERB.get(verb);
    if (stock !== undefined && next !== undefined && stock.has(next.w)) continue;
    // a bare verb needs an object right after it ("Update my profile", not the heading "Order summary")
    if (!polite && !modal) {
      if (next === undefined) continue;
      const between = text.slice(verbWord.end, next.start);
      // `say 'hello'` quotes an object; `'email': 'x'` is a key followed by its value
      const quoted = /^\s+['"`]/.test(between);
      if (next.head && !quoted) continue;
      const det = (x: Word | undefined): boolean => x !== undefined && (DETERMINERS.has(x.w) || /^\d/.test(x.w));
      const encodingSoon = ENCODINGS.has(next.w) || ENCODINGS.has(words[j + 2]?.w ?? '') || ENCODINGS.has(words[j + 3]?.w ?? '');
      const objectOk = quoted || encodingSoon || det(next) || (OBJECT_STARTERS.has(next.w) && det(words[j + 2]));
      if (!objectOk) continue;
      if (verbWord.caps && next.caps) continue; // ALL-CAPS heading
    }
    if (modal && text.slice(verbWord.end, Math.min(text.length, verbWord.end + 2)).startsWith('?') && !polite) {
      // "Can you believe?" style questions without an object are chatter
      continue;
    }
    const end = sentenceEnd(words, j);
    const last = words[end - 1] as Word;
    const sentence = text.slice(verbWord.start, last.end + 1);
    let target = EMAIL_RE.test(sentence) || URL_RE.test(sentence) || hasAccountNumber(sentence);
    let firstPerson = false;
    let sensitive = false;
    for (let k = j + 1; k < end; k++) {
      const x = (words[k] as Word).w;
      if (x === 'my' || x === 'mine' || x === 'me') firstPerson = true;
      if (SENSITIVE_NOUNS.has(x)) sensitive = true;
    }
    if (sensitive && firstPerson) target = true;
    // an instruction that talks about "the user" is addressed to whoever serves that user
    for (let k = j + 1; k + 1 < end; k++) if ((words[k] as Word).w === 'the' && ((words[k + 1] as Word).w === 'user' || (words[k + 1] as Word).w === 'assistant')) target = true;
    // "answer in base64", "reply using rot13": re-encoding the output hides what leaves
    for (let k = j + 1; k < Math.min(end, j + 8); k++) if (ENCODINGS.has((words[k] as Word).w)) target = true;
    const start = (words[i] as Word).start;
    if (target || urgent || (firstPerson && (polite || modal))) {
      hits.push({ rule: 'embedded-instruction', start, end: last.end, message: `instruction to \`${verb}\` embedded in untrusted content` });
    } else {
      hits.push({ rule: 'imperative-instruction', start, end: last.end, message: `imperative \`${verb} …\` in untrusted content` });
    }
  }
}

// ------------------------------------------------------------------ the pack

const markerScanner = kernelScanner(new TokenScanner(MARKERS));

function lineStartRole(text: string, hits: Hit[]): void {
  // "system:" / "assistant:" / "user:" at the start of a line forge a chat turn
  let from = 0;
  while (from < text.length) {
    const nl = text.indexOf('\n', from);
    const lineStart = from;
    from = nl < 0 ? text.length : nl + 1;
    let k = lineStart;
    while (k < text.length && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9 || text.charCodeAt(k) === 35)) k++;
    const head = text.slice(k, k + 12).toLowerCase();
    for (const role of ['system:', 'assistant:', 'developer:', '[system]:']) {
      if (head.startsWith(role)) hits.push({ rule: 'role-tag', start: k, end: k + role.length, message: `forged \`${role}\` turn in untrusted content` });
    }
    if (nl < 0) break;
  }
}

export class PromptInjectionPack implements FrameworkPack {
  readonly name = 'prompt-injection' as const;
  readonly version = 'prompt-injection@1';
  readonly stateful = false;
  readonly mode;
  private readonly directions: ReadonlySet<Direction>;
  private readonly imperatives: boolean;

  constructor(private readonly config: PromptInjectionConfig = {}) {
    this.mode = config.mode;
    this.directions = new Set(config.directions ?? ['tool_output']);
    this.imperatives = config.imperatives ?? true;
  }

  check(_event: StreamEvent, texts: readonly TextInput[], run: RunState | undefined, out: FrameworkFinding[]): void {
    for (const t of texts) {
      if (!this.directions.has(t.direction)) continue;
      // a tool result repeated inside a later prompt was already judged when it arrived
      if (run !== undefined && t.kind === 'llm.request' && run.taint.seenUntrusted(t.text)) continue;
      this.scanText(t, out);
    }
  }

  /** Findings for one string value (direction is the caller's business here). */
  scanText(input: TextInput, out: FrameworkFinding[]): void {
    const raw = input.text;
    if (raw.length < 4) return;
    const canon = canonicalText(raw);
    const hits: Hit[] = [];
    this.detect(canon.text, hits);
    if (canon.tagPayload.length > 0) {
      hits.push({ rule: 'hidden-characters', start: 0, end: canon.text.length, message: `hidden Unicode tag characters spell \`${canon.tagPayload.slice(0, 60)}\`` });
    } else if (canon.invisible >= 4 || (canon.invisible > 0 && hits.some((h) => h.rule !== 'imperative-instruction'))) {
      hits.push({ rule: 'hidden-characters', start: 0, end: canon.text.length, message: `${canon.invisible} invisible characters hidden in the text` });
    }
    this.decoded(canon.text, hits);
    this.emit(input, canon, hits, out);
    classifierFindings('prompt-injection', this.config, input, { severity: 'high', action: actionFor(this.config, 'classifier', 'block'), classification: CLASSIFICATION }, out);
  }

  private detect(text: string, hits: Hit[]): void {
    for (const m of markerScanner.scan(text)) {
      hits.push({ rule: 'role-tag', start: m.start, end: m.end, message: `forged chat/tool marker \`${text.slice(m.start, m.end)}\`` });
    }
    if (text.indexOf(':') >= 0) lineStartRole(text, hits);
    detectWords(text, splitWords(text), this.imperatives, hits);
  }

  // encoded payloads: decode, run the instruction rules on the decoded text
  private decoded(text: string, hits: Hit[]): void {
    const layers: { start: number; end: number; decoded: string; how: string }[] = [];
    for (const s of base64TextSpans(text, 20, 4)) layers.push({ ...s, how: 'base64' });
    if (text.indexOf('%') >= 0) {
      const d = percentDecode(text);
      if (d !== text) layers.push({ start: 0, end: text.length, decoded: d, how: 'percent-encoded' });
    }
    if (text.indexOf('&#') >= 0) {
      const d = htmlDecode(text);
      if (d !== text) layers.push({ start: 0, end: text.length, decoded: d, how: 'HTML-entity' });
    }
    for (const layer of layers) {
      const inner: Hit[] = [];
      const c = canonicalText(layer.decoded).text;
      for (const m of markerScanner.scan(c)) inner.push({ rule: 'role-tag', start: m.start, end: m.end, message: '' });
      detectWords(c, splitWords(c), true, inner);
      // only what the plain text did not already show
      const fresh = inner.filter((h) => h.rule !== 'imperative-instruction' || layer.how === 'base64');
      if (fresh.length > 0 && !(layer.how !== 'base64' && hits.some((h) => h.rule === fresh[0]?.rule))) {
        hits.push({ rule: 'encoded-instruction', start: layer.start, end: layer.end, message: `${layer.how} text decodes to an instruction (\`${c.slice(fresh[0]?.start ?? 0, Math.min(c.length, (fresh[0]?.start ?? 0) + 60))}\`)` });
      }
    }
  }

  private emit(input: TextInput, canon: CanonicalText, hits: readonly Hit[], out: FrameworkFinding[]): void {
    const seen = new Set<string>();
    for (const h of hits) {
      if (isDisabled(this.config, h.rule)) continue;
      const key = `${h.rule}:${h.start}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const def = INJECTION_RULES[h.rule] ?? { severity: 'medium', action: 'allow' };
      const [s, e] = originalRange(canon, h.start, h.end, input.text.length);
      out.push(makeFinding('prompt-injection', h.rule, { severity: def.severity, action: actionFor(this.config, h.rule, def.action), classification: CLASSIFICATION }, input, s, e, h.message, false));
    }
  }
}
