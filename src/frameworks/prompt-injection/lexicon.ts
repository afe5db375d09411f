// Word lists the injection and provenance packs share: verbs an agent can carry out with a tool,
// which of them only read, and the words that start the object of an imperative. Lists of
// ordinary English words, grouped by meaning; kept as data so they can be tuned by config.

/** Verbs (base form) naming something an agent can do with a tool. */
export const ACTION_VERBS: ReadonlySet<string> = new Set(
  `access add allow answer append apply approve archive assign authorize back ban block book bookmark buy call cancel change
  charge check clear click clone close collect comment compile confirm connect contact copy create deactivate decrypt delete
  demote deny deploy deposit describe destroy direct disable disclose dispatch display dm download drop edit email empty enable
  encode encrypt end erase escalate execute export extract fetch fill find follow format forward generate get give go grant guide
  hide import include insert install invite invoke join kill leave like list load locate lock log look mail make mark message
  modify move mute navigate notify open order output overwrite pay ping place play post print promote provide publish purchase
  purge push put query read reboot recommend redirect refund register reject remove rename reply report repost request reset
  respond restart restore retrieve return reveal revoke rewrite run save say schedule search sell send set share shut sign
  start stop store submit subscribe summarize switch sync tag tell text transfer translate transmit trigger turn tweet type
  unfollow uninstall unlock unmute unsubscribe update upgrade upload use verify view visit wipe wire withdraw write
  initiate process perform complete arrange issue release activate conduct reserve renew extend approve transfer
  forward accept decline assign reassign disconnect link unlink attach detach reveal expose leak dump paste`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Verbs whose tools only read or look up: not consequential on their own. */
export const READ_VERBS: ReadonlySet<string> = new Set(
  `get list search view read fetch find lookup look query retrieve show describe browse check count inspect preview
  locate download access calculate compute estimate compare verify validate summarize translate analyze analyse
  explore scan peek watch monitor track detect identify recognize search navigate visit crawl scrape`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Groups of verbs a user may use for the same action (grounding a call in the user's request). */
export const VERB_SYNONYMS: readonly (readonly string[])[] = [
  ['send', 'email', 'mail', 'forward', 'message', 'text', 'dm', 'reply', 'respond', 'notify', 'contact', 'write', 'share', 'post', 'tweet', 'publish'],
  ['transfer', 'pay', 'wire', 'send', 'deposit', 'withdraw', 'refund', 'move', 'charge'],
  ['buy', 'purchase', 'order', 'place', 'sell'],
  ['delete', 'remove', 'erase', 'wipe', 'destroy', 'purge', 'drop', 'clear', 'empty', 'cancel'],
  ['update', 'change', 'modify', 'edit', 'set', 'rename', 'manage', 'adjust', 'configure', 'fix'],
  ['create', 'add', 'make', 'generate', 'new', 'register', 'schedule', 'book', 'set'],
  ['share', 'grant', 'give', 'invite', 'allow', 'authorize', 'manage'],
  ['unlock', 'open', 'lock', 'close'],
  ['execute', 'run', 'start', 'launch', 'invoke', 'trigger', 'perform'],
  ['move', 'copy', 'go', 'navigate', 'guide', 'redirect'],
  ['disable', 'enable', 'turn', 'switch', 'toggle', 'deactivate', 'activate'],
  ['leave', 'exit', 'quit', 'unsubscribe', 'unfollow'],
  ['upload', 'save', 'store', 'export', 'backup', 'sync'],
  ['dispatch', 'send', 'call', 'request'],
];

/** Words that start the object or complement of an imperative verb: `send THE file`, `unlock MY door`. */
export const OBJECT_STARTERS: ReadonlySet<string> = new Set(
  `a an the my your his her our their its this that these those all every any some each me us him them it everything
  anything something one two three four five ten hundred both either out up down off on over back in into to from for
  with about here there now immediately only also`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Leading words that do not change whether a sentence is an imperative. */
export const FILLERS: ReadonlySet<string> = new Set(
  `please kindly now also then and first firstly next finally immediately ok okay hey hi hello so just quickly urgently
  additionally secondly lastly afterwards after that pls plz simply again instead`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Nouns for data an attacker wants moved or for access an attacker wants granted. */
export const SENSITIVE_NOUNS: ReadonlySet<string> = new Set(
  `password passwords credential credentials token tokens key keys secret secrets account accounts bank banking payment
  payments card cards ssn address addresses history data files file records record details information info genetic
  medical health location contacts messages emails funds money bitcoin crypto wallet prescriptions diagnosis access
  permission permissions profile identity login logins session cookies documents document photos recordings`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Words naming the model itself when text addresses it. */
export const AGENT_NAMES: ReadonlySet<string> = new Set(
  `ai assistant agent model llm chatbot bot gpt chatgpt claude gemini copilot bard llama`.split(/\s+/).filter((w) => w.length > 0),
);
