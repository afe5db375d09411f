// A POSIX-ish shell parser good enough to see what a command line really runs: lists (`;`, `&&`,
// `||`, `&`, newlines), pipelines, subshells `( … )`, brace groups `{ …; }`, function
// definitions, redirections, quoting (single, double, `$'…'`, backslash), and command / process
// substitution (`$(…)`, backticks, `<(…)`), each parsed recursively into the same AST. It never
// throws: malformed input (unbalanced quotes, stray operators) still yields a best-effort AST, and
// depth and size limits keep the time linear-bounded on hostile input.

export interface ShellWord {
  /** value after quote removal; expansions are kept as written (`$HOME`, `${X}`) */
  value: string;
  raw: string;
  start: number;
  end: number;
  /** commands inside `$(…)`, backticks and `<(…)` / `>(…)` in this word */
  substitutions: ShellNode[];
  /** true when any part was quoted */
  quoted: boolean;
}

export interface Redirect {
  op: string;
  target: ShellWord;
}

export type ShellNode =
  | { type: 'command'; words: ShellWord[]; redirects: Redirect[]; start: number; end: number }
  | { type: 'pipeline'; commands: ShellNode[]; start: number; end: number }
  | { type: 'list'; items: ShellNode[]; ops: string[]; start: number; end: number }
  | { type: 'group'; subshell: boolean; body: ShellNode; start: number; end: number }
  | { type: 'function'; name: string; body: ShellNode; start: number; end: number };

export const SHELL_LIMITS = { maxDepth: 24, maxTokens: 20_000, maxLength: 100_000 } as const;

type Tok =
  | { t: 'word'; w: ShellWord }
  | { t: 'op'; v: string; start: number; end: number };

const OPS3 = ['<<<', '&>>', '<<-'];
const OPS2 = ['&&', '||', ';;', '>>', '<<', '<&', '>&', '<>', '>|', '&>', '|&'];
const OPS1 = ['|', '&', ';', '(', ')', '<', '>', '\n'];

interface LexState {
  tokens: number;
}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r';
}

/** Find the end of a `$(` … `)` region starting after `$(`; respects quotes and nesting. */
function matchParen(s: string, i: number, limit: number): number {
  let depth = 1;
  while (i < s.length && i < limit) {
    const c = s[i] as string;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === "'") {
      const e = s.indexOf("'", i + 1);
      i = e < 0 ? s.length : e + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  return -1;
}

function lex(s: string, depth: number, st: LexState): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    if (++st.tokens > SHELL_LIMITS.maxTokens) break;
    const c = s[i] as string;
    if (isBlank(c)) {
      i++;
      continue;
    }
    if (c === '\\' && s[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      // comment to end of line
      while (i < n && s[i] !== '\n') i++;
      continue;
    }
    const three = s.slice(i, i + 3);
    const two = s.slice(i, i + 2);
    // process substitution <( … ) / >( … ) is a word
    if ((c === '<' || c === '>') && s[i + 1] === '(') {
      const close = matchParen(s, i + 2, n);
      const end = close < 0 ? n : close + 1;
      const inner = s.slice(i + 2, close < 0 ? n : close);
      toks.push({ t: 'word', w: { value: s.slice(i, end), raw: s.slice(i, end), start: i, end, substitutions: depth < SHELL_LIMITS.maxDepth ? [parseAt(inner, depth + 1, st)] : [], quoted: false } });
      i = end;
      continue;
    }
    const op = OPS3.includes(three) ? three : OPS2.includes(two) ? two : OPS1.includes(c) ? c : null;
    if (op !== null) {
      // fd prefix like 2> is handled in word reading; here bare operators
      toks.push({ t: 'op', v: op, start: i, end: i + op.length });
      i += op.length;
      continue;
    }
    // a word
    const start = i;
    let value = '';
    let quoted = false;
    const subs: ShellNode[] = [];
    while (i < n) {
      const d = s[i] as string;
      if (isBlank(d) || d === '\n' || d === ';' || d === '&' || d === '|' || d === '(' || d === ')' || ((d === '<' || d === '>') && !(s[i + 1] === '(' && value === ''))) {
        // `2>file`: a digit-only word right before a redirection is its fd; keep it in the word stream
        break;
      }
      if (d === '\\') {
        if (i + 1 < n) value += s[i + 1];
        quoted = true;
        i += 2;
        continue;
      }
      if (d === "'") {
        const e = s.indexOf("'", i + 1);
        const end = e < 0 ? n : e;
        value += s.slice(i + 1, end);
        quoted = true;
        i = end + 1;
        continue;
      }
      if (d === '$' && s[i + 1] === "'") {
        // ANSI-C quoting: decode the common escapes
        let j = i + 2;
        let lit = '';
        while (j < n && s[j] !== "'") {
          if (s[j] === '\\' && j + 1 < n) {
            const e = s[j + 1] as string;
            const hex = /^x([0-9a-fA-F]{1,2})/.exec(s.slice(j + 1, j + 4));
            const oct = /^([0-7]{1,3})/.exec(s.slice(j + 1, j + 4));
            if (hex !== null) {
              lit += String.fromCharCode(Number.parseInt(hex[1] as string, 16));
              j += 1 + hex[0].length;
              continue;
            }
            if (oct !== null) {
              lit += String.fromCharCode(Number.parseInt(oct[1] as string, 8));
              j += 1 + oct[0].length;
              continue;
            }
            lit += e === 'n' ? '\n' : e === 't' ? '\t' : e;
            j += 2;
            continue;
          }
          lit += s[j];
          j++;
        }
        value += lit;
        quoted = true;
        i = j + 1;
        continue;
      }
      if (d === '"') {
        let j = i + 1;
        while (j < n && s[j] !== '"') {
          if (s[j] === '\\' && j + 1 < n && '"\\$`\n'.includes(s[j + 1] as string)) {
            value += s[j + 1];
            j += 2;
            continue;
          }
          if (s[j] === '$' && s[j + 1] === '(' && s[j + 2] !== '(') {
            const close = matchParen(s, j + 2, n);
            const end = close < 0 ? n : close;
            if (depth < SHELL_LIMITS.maxDepth) subs.push(parseAt(s.slice(j + 2, end), depth + 1, st));
            value += s.slice(j, Math.min(n, end + 1));
            j = end + 1;
            continue;
          }
          if (s[j] === '`') {
            const e = s.indexOf('`', j + 1);
            const end = e < 0 ? n : e;
            if (depth < SHELL_LIMITS.maxDepth) subs.push(parseAt(s.slice(j + 1, end), depth + 1, st));
            value += s.slice(j, Math.min(n, end + 1));
            j = end + 1;
            continue;
          }
          value += s[j];
          j++;
        }
        quoted = true;
        i = j + 1;
        continue;
      }
      if (d === '$' && s[i + 1] === '(') {
        const arith = s[i + 2] === '(';
        const close = matchParen(s, i + 2, n);
        const end = close < 0 ? n : close;
        if (!arith && depth < SHELL_LIMITS.maxDepth) subs.push(parseAt(s.slice(i + 2, end), depth + 1, st));
        value += s.slice(i, Math.min(n, end + 1));
        i = end + 1;
        if (arith && s[i] === ')') {
          value += ')';
          i++;
        }
        continue;
      }
      if (d === '`') {
        const e = s.indexOf('`', i + 1);
        const end = e < 0 ? n : e;
        if (depth < SHELL_LIMITS.maxDepth) subs.push(parseAt(s.slice(i + 1, end), depth + 1, st));
        value += s.slice(i, Math.min(n, end + 1));
        i = end + 1;
        continue;
      }
      if (d === '$' && s[i + 1] === '{') {
        const e = s.indexOf('}', i + 2);
        const end = e < 0 ? n : e + 1;
        value += s.slice(i, end);
        i = end;
        continue;
      }
      value += d;
      i++;
    }
    if (i === start) {
      i++; // defensive: never stall
      continue;
    }
    toks.push({ t: 'word', w: { value, raw: s.slice(start, Math.min(i, n)), start, end: Math.min(i, n), substitutions: subs, quoted } });
  }
  return toks;
}

// ------------------------------------------------------------------ parser

class Parser {
  private p = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly depth: number,
  ) {}

  private peek(): Tok | undefined {
    return this.toks[this.p];
  }
  private isOp(v: string): boolean {
    const t = this.toks[this.p];
    return t !== undefined && t.t === 'op' && t.v === v;
  }
  private isWord(v: string): boolean {
    const t = this.toks[this.p];
    return t !== undefined && t.t === 'word' && !t.w.quoted && t.w.value === v;
  }

  parseList(stop: (t: Tok) => boolean): ShellNode {
    const items: ShellNode[] = [];
    const ops: string[] = [];
    let guard = 0;
    while (this.p < this.toks.length && guard++ < SHELL_LIMITS.maxTokens) {
      const t = this.peek() as Tok;
      if (stop(t)) break;
      if (t.t === 'op' && (t.v === ';' || t.v === '\n' || t.v === '&' || t.v === '&&' || t.v === '||' || t.v === ';;')) {
        ops.push(t.v);
        this.p++;
        continue;
      }
      const before = this.p;
      const node = this.parsePipeline(stop);
      if (node !== null) items.push(node);
      if (this.p === before) this.p++; // stray token: skip it
    }
    const start = items[0]?.start ?? 0;
    const end = items[items.length - 1]?.end ?? 0;
    if (items.length === 1) return items[0] as ShellNode;
    return { type: 'list', items, ops, start, end };
  }

  private parsePipeline(stop: (t: Tok) => boolean): ShellNode | null {
    const commands: ShellNode[] = [];
    for (;;) {
      const c = this.parseCommand(stop);
      if (c !== null) commands.push(c);
      if (this.isOp('|') || this.isOp('|&')) {
        this.p++;
        while (this.isOp('\n')) this.p++;
        continue;
      }
      break;
    }
    if (commands.length === 0) return null;
    if (commands.length === 1) return commands[0] as ShellNode;
    return { type: 'pipeline', commands, start: (commands[0] as ShellNode).start, end: (commands[commands.length - 1] as ShellNode).end };
  }

  private parseCommand(stop: (t: Tok) => boolean): ShellNode | null {
    const t = this.peek();
    if (t === undefined || stop(t)) return null;
    // ! pipeline negation
    if (this.isWord('!')) this.p++;
    if (this.isOp('(')) {
      const start = (this.peek() as { start: number }).start ?? 0;
      this.p++;
      const body = this.depth < SHELL_LIMITS.maxDepth ? this.sub().parseListFrom(this, (x) => x.t === 'op' && x.v === ')') : emptyNode();
      const end = this.isOp(')') ? (this.peek() as { end: number }).end : body.end;
      if (this.isOp(')')) this.p++;
      const node: ShellNode = { type: 'group', subshell: true, body, start, end };
      this.trailingRedirects();
      return node;
    }
    if (this.isWord('{')) {
      const start = (this.peek() as { t: 'word'; w: ShellWord }).w.start;
      this.p++;
      const body = this.depth < SHELL_LIMITS.maxDepth ? this.sub().parseListFrom(this, (x) => x.t === 'word' && x.w.value === '}' && !x.w.quoted) : emptyNode();
      let end = body.end;
      if (this.isWord('}')) {
        end = (this.peek() as { t: 'word'; w: ShellWord }).w.end;
        this.p++;
      }
      this.trailingRedirects();
      return { type: 'group', subshell: false, body, start, end };
    }
    // function definition: name ( ) body
    const t0 = this.toks[this.p];
    const t1 = this.toks[this.p + 1];
    const t2 = this.toks[this.p + 2];
    if (t0?.t === 'word' && t1?.t === 'op' && t1.v === '(' && t2?.t === 'op' && t2.v === ')') {
      this.p += 3;
      while (this.isOp('\n')) this.p++;
      const body = this.parseCommand(stop) ?? emptyNode();
      return { type: 'function', name: t0.w.value, body, start: t0.w.start, end: body.end };
    }
    if (this.isWord('function')) {
      const name = this.toks[this.p + 1];
      if (name?.t === 'word') {
        this.p += 2;
        if (this.isOp('(') && this.toks[this.p + 1]?.t === 'op') this.p += 2;
        while (this.isOp('\n')) this.p++;
        const body = this.parseCommand(stop) ?? emptyNode();
        return { type: 'function', name: name.w.value, body, start: name.w.start, end: body.end };
      }
    }
    const words: ShellWord[] = [];
    const redirects: Redirect[] = [];
    while (this.p < this.toks.length) {
      const x = this.peek() as Tok;
      if (stop(x)) break;
      if (x.t === 'word') {
        // `2` directly followed by a redirection operator is a file descriptor
        const nx = this.toks[this.p + 1];
        if (/^\d$/.test(x.w.raw) && nx?.t === 'op' && nx.start === x.w.end && isRedirectOp(nx.v)) {
          this.p++;
          continue;
        }
        words.push(x.w);
        this.p++;
        continue;
      }
      if (isRedirectOp(x.v)) {
        this.p++;
        const target = this.peek();
        if (target?.t === 'word') {
          redirects.push({ op: x.v, target: target.w });
          this.p++;
        }
        continue;
      }
      break;
    }
    if (words.length === 0 && redirects.length === 0) return null;
    const start = words[0]?.start ?? redirects[0]?.target.start ?? 0;
    const end = words[words.length - 1]?.end ?? redirects[redirects.length - 1]?.target.end ?? start;
    return { type: 'command', words, redirects, start, end };
  }

  private trailingRedirects(): void {
    while (this.p < this.toks.length) {
      const x = this.peek() as Tok;
      if (x.t === 'op' && isRedirectOp(x.v)) {
        this.p += 2;
        continue;
      }
      break;
    }
  }

  private sub(): Parser {
    return new Parser(this.toks, this.depth + 1);
  }

  /** Parse a nested list sharing the parent's token cursor. */
  parseListFrom(parent: Parser, stop: (t: Tok) => boolean): ShellNode {
    this.p = parent.p;
    const node = this.parseList(stop);
    parent.p = this.p;
    return node;
  }
}

function isRedirectOp(v: string): boolean {
  return v === '<' || v === '>' || v === '>>' || v === '<<' || v === '<<<' || v === '<&' || v === '>&' || v === '<>' || v === '>|' || v === '&>' || v === '&>>' || v === '<<-';
}

function emptyNode(): ShellNode {
  return { type: 'list', items: [], ops: [], start: 0, end: 0 };
}

function parseAt(src: string, depth: number, st: LexState): ShellNode {
  const toks = lex(src, depth, st);
  return new Parser(toks, depth).parseList(() => false);
}

/** Parse a command line into an AST. Never throws. */
export function parseShell(src: string): ShellNode {
  try {
    const s = src.length > SHELL_LIMITS.maxLength ? src.slice(0, SHELL_LIMITS.maxLength) : src;
    return parseAt(s, 0, { tokens: 0 });
  } catch {
    return emptyNode();
  }
}

/** Every simple command in the tree, substitutions and function bodies included (bounded). */
export function simpleCommands(node: ShellNode, out: Extract<ShellNode, { type: 'command' }>[] = [], budget = { n: 5000 }): Extract<ShellNode, { type: 'command' }>[] {
  if (budget.n-- <= 0) return out;
  switch (node.type) {
    case 'command':
      out.push(node);
      for (const w of node.words) for (const s of w.substitutions) simpleCommands(s, out, budget);
      for (const r of node.redirects) for (const s of r.target.substitutions) simpleCommands(s, out, budget);
      break;
    case 'pipeline':
      for (const c of node.commands) simpleCommands(c, out, budget);
      break;
    case 'list':
      for (const c of node.items) simpleCommands(c, out, budget);
      break;
    case 'group':
    case 'function':
      simpleCommands(node.body, out, budget);
      break;
  }
  return out;
}
