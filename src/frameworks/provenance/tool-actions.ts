// What a tool does, guessed from its name: the action verb (`GmailSendEmail` → send,
// `AugustSmartLockViewAccessHistory` → view, `http_post` → post), whether it only reads, whether
// it is a sink (moves data or value out), and whether a call is grounded in the user's request.
// Heuristics over names; every answer can be overridden by configuration.

import { ACTION_VERBS, READ_VERBS, VERB_SYNONYMS } from '../prompt-injection/lexicon.js';
import { stem } from './run-taint.js';

/** Split `GmailSendEmail`, `send_email`, `http-post`, `files.upload` into lower-case words. */
export function splitName(name: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const alnum = upper || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (!alnum) {
      if (cur) words.push(cur);
      cur = '';
      continue;
    }
    if (upper && cur !== '') {
      const prev = name.charCodeAt(i - 1);
      const next = name.charCodeAt(i + 1);
      if ((prev >= 97 && prev <= 122) || (prev >= 48 && prev <= 57) || (prev >= 65 && prev <= 90 && next >= 97 && next <= 122)) {
        words.push(cur);
        cur = '';
      }
    }
    cur += upper ? String.fromCharCode(c + 32) : name[i];
  }
  if (cur) words.push(cur);
  return words;
}

const EXTRA_VERBS = new Set(['manage', 'auto', 'configure', 'launch', 'activate', 'toggle', 'adjust', 'backup', 'exec', 'eval']);
const NETWORK_WORDS = new Set(['http', 'https', 'webhook', 'request', 'curl', 'fetch', 'browse', 'navigate', 'url', 'web', 'api', 'wget']);
const SINK_VERBS = new Set([
  'send', 'email', 'mail', 'forward', 'post', 'share', 'transfer', 'pay', 'wire', 'upload', 'publish', 'tweet', 'message', 'text',
  'dm', 'reply', 'invite', 'grant', 'deposit', 'withdraw', 'export', 'sync', 'push', 'submit', 'notify', 'transmit', 'refund',
  'comment', 'repost', 'write', 'fill', 'sms', 'call', 'dispatch',
]);

export interface ToolAction {
  words: readonly string[];
  verb: string | undefined;
  readOnly: boolean;
  sink: boolean;
  network: boolean;
}

const cache = new Map<string, ToolAction>();

function isVerb(w: string): boolean {
  return ACTION_VERBS.has(w) || READ_VERBS.has(w) || EXTRA_VERBS.has(w);
}

/** The action of a tool from its name (cached). */
export function toolAction(tool: string): ToolAction {
  const hit = cache.get(tool);
  if (hit !== undefined) return hit;
  const words = splitName(tool);
  // the verb is the last verb-like word that has a word after it (toolkit nouns come first,
  // the object last); a verb-only tail (`TerminalExecute`) counts when nothing else does
  let verb: string | undefined;
  for (let i = 0; i < words.length - 1; i++) if (isVerb(words[i] as string)) verb = words[i];
  if (verb === undefined && words.length > 0 && isVerb(words[words.length - 1] as string)) verb = words[words.length - 1];
  const network = words.some((w) => NETWORK_WORDS.has(w));
  const readOnly = verb !== undefined && READ_VERBS.has(verb) && !SINK_VERBS.has(verb);
  const sink = (verb !== undefined && SINK_VERBS.has(verb)) || words.some((w) => w === 'webhook' || w === 'sms' || w === 'smtp');
  const action: ToolAction = { words, verb, readOnly, sink, network };
  if (cache.size < 10_000) cache.set(tool, action);
  return action;
}

const SYNONYMS = new Map<string, Set<string>>();
for (const group of VERB_SYNONYMS) {
  for (const v of group) {
    let set = SYNONYMS.get(v);
    if (set === undefined) SYNONYMS.set(v, (set = new Set([v])));
    for (const x of group) set.add(x);
  }
}

const GENERIC_NAME_WORDS = new Set(['manager', 'tool', 'api', 'service', 'system', 'app', 'client', 'get', 'set', 'the', 'and', 'info', 'details', 'data', 'item', 'items']);

/**
 * Is a call to `tool` asked for by trusted content? The verb (or a synonym) must appear in the
 * trusted words, and so must one of the tool's other words (its object or toolkit), so that
 * "send me the bank statement" grounds `BankSendStatement` but not `SlackSendMessage`.
 */
export function groundedIn(tool: string, trustedWords: ReadonlySet<string>): boolean {
  const a = toolAction(tool);
  const verbs = a.verb === undefined ? [] : [...(SYNONYMS.get(a.verb) ?? new Set([a.verb]))];
  const verbOk = a.verb === undefined || verbs.some((v) => trustedWords.has(stem(v)));
  if (!verbOk) return false;
  const others = a.words.filter((w) => w !== a.verb && w.length > 2 && !GENERIC_NAME_WORDS.has(w));
  if (others.length === 0) return true;
  return others.some((w) => trustedWords.has(stem(w)));
}
