// destructive-commands pack: shell command lines and SQL in the agent's outbound arguments that
// destroy data or systems. Commands are parsed into an AST first (shell-parser.ts) and judged per
// simple command after unwrapping sudo/env/xargs/find -exec/`sh -c`/eval/ssh, so quoting,
// substitutions and nesting do not hide the real operation, and benign look-alikes (`rm -rf
// ./build`, `echo "rm -rf /"`, `grep DROP schema.sql`) are not flagged.

import type { Action, Severity } from '../../engine/decision.js';
import type { StreamEvent } from '../../events/types.js';
import { inputLeaf } from '../event-text.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, isDisabled, makeFinding } from '../pack.js';
import { toolAction } from '../provenance/tool-actions.js';
import type { RunState } from '../run-state.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';
import { parseShell, simpleCommands } from './shell-parser.js';
import type { ShellNode, ShellWord } from './shell-parser.js';
import { analyzeSql, looksLikeSql } from './sql.js';

export interface DestructiveCommandsConfig extends PackConfigBase {
  /** argument names holding shell commands (added to the defaults) */
  commandArgs?: readonly string[];
  /** argument names holding SQL (added to the defaults) */
  sqlArgs?: readonly string[];
  /** extra paths whose recursive deletion is destructive */
  protectedPaths?: readonly string[];
}

const CLASSIFICATION = ['LLM06', 'LLM05', 'AGENTIC-T2', 'AGENTIC-T11', 'AML.T0050'] as const;

export const DESTRUCTIVE_RULES: Readonly<Record<string, { severity: Severity; action: Action }>> = {
  'rm-recursive-critical-path': { severity: 'critical', action: 'block' },
  'disk-wipe': { severity: 'critical', action: 'block' },
  'fork-bomb': { severity: 'critical', action: 'block' },
  'pipe-to-shell': { severity: 'high', action: 'block' },
  'permission-blast': { severity: 'high', action: 'block' },
  'history-wipe': { severity: 'high', action: 'block' },
  'log-wipe': { severity: 'high', action: 'block' },
  'system-file-overwrite': { severity: 'high', action: 'block' },
  'find-delete-critical-path': { severity: 'critical', action: 'block' },
  'crontab-remove': { severity: 'high', action: 'block' },
  'kill-all': { severity: 'high', action: 'block' },
  'system-power': { severity: 'medium', action: 'require_approval' },
  'git-history-rewrite': { severity: 'medium', action: 'require_approval' },
  'sql-drop': { severity: 'high', action: 'block' },
  'sql-truncate': { severity: 'high', action: 'block' },
  'sql-delete-all': { severity: 'high', action: 'block' },
  'sql-update-all': { severity: 'high', action: 'block' },
  'sql-grant-all': { severity: 'high', action: 'block' },
};

const COMMAND_ARGS = new Set(['command', 'cmd', 'commands', 'script', 'shell', 'bash', 'sh', 'cmdline', 'command_line', 'shell_command', 'run']);
const SQL_ARGS = new Set(['query', 'sql', 'statement', 'statements', 'sql_query', 'querystring']);
const SHELL_TOOL_WORDS = new Set(['shell', 'terminal', 'bash', 'exec', 'execute', 'command', 'cmd', 'ssh', 'sh', 'zsh', 'powershell', 'console']);
const SQL_TOOL_WORDS = new Set(['sql', 'query', 'database', 'db', 'postgres', 'postgresql', 'mysql', 'sqlite', 'bigquery', 'snowflake', 'redshift']);

const CRITICAL_DIRS = ['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib32', '/lib64', '/opt', '/root', '/sbin', '/srv', '/sys', '/usr', '/var', '/proc', '/mnt', '/media', '/snap', '/System', '/Users', '/Applications', '/Library', '/private', '/usr/bin', '/usr/lib', '/usr/local', '/var/lib', '/etc/ssh', '~', '$HOME', '${HOME}', 'c:', 'c:\\', 'c:/'];
// recursive ownership/permission changes here break the system (not /usr/local, /home/<user>)
const PERMISSION_CRITICAL = new Set(['/', '/etc', '/usr', '/bin', '/sbin', '/lib', '/lib64', '/var', '/boot', '/root', '/home', '/dev', '/sys', '/proc', '~', '/system', '/library', '/applications', '/private'].map((p) => p.toLowerCase()));
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'ash', 'csh', 'tcsh', 'busybox']);
const INTERPRETERS = new Set([...SHELLS, 'python', 'python2', 'python3', 'perl', 'ruby', 'node', 'php', 'pwsh', 'powershell', 'iex', 'source', '.']);
const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod', 'aria2c', 'http', 'lwp-request']);
const WRAPPERS = new Set(['sudo', 'doas', 'nohup', 'nice', 'ionice', 'time', 'command', 'builtin', 'exec', 'stdbuf', 'unbuffer', 'caffeinate', 'chrt', 'taskset', 'then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', 'xargs', 'watch', 'strace', 'ltrace', 'env', 'timeout', 'chroot', 'runuser', 'setsid', 'flock']);
// options of wrappers that take a value
const WRAPPER_OPTS_WITH_VALUE: Readonly<Record<string, ReadonlySet<string>>> = {
  sudo: new Set(['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U', '-T']),
  nice: new Set(['-n']),
  ionice: new Set(['-c', '-n', '-p']),
  xargs: new Set(['-I', '-n', '-P', '-d', '-L', '-s', '-E', '-a']),
  timeout: new Set(['-s', '-k', '--signal', '--kill-after']),
  env: new Set(['-u', '-C', '-S']),
  watch: new Set(['-n', '-d']),
  stdbuf: new Set(['-i', '-o', '-e']),
  flock: new Set(['-w', '-E']),
  runuser: new Set(['-u', '-g']),
  chrt: new Set(['-p']),
  taskset: new Set(['-p', '-c']),
};

function base(cmd: string): string {
  const slash = Math.max(cmd.lastIndexOf('/'), cmd.lastIndexOf('\\'));
  const b = (slash >= 0 ? cmd.slice(slash + 1) : cmd).toLowerCase();
  return b.endsWith('.exe') ? b.slice(0, -4) : b;
}

/** Normalise a path argument for comparison: collapse slashes, drop trailing `/`, `/.`, `/*`. */
export function normalizeTarget(p: string): string {
  let t = p.trim().replace(/\/{2,}/g, '/').replace(/\\/g, '/');
  for (let k = 0; k < 4; k++) {
    const before = t;
    if (t.length > 1 && t.endsWith('/')) t = t.slice(0, -1);
    if (t.endsWith('/*') || t.endsWith('/.')) t = t.slice(0, -2) || '/';
    if (t === '*' || t === '') t = t === '' ? '' : '*';
    if (t === before) break;
  }
  t = t.replace(/^\$\{HOME\}/, '~').replace(/^\$HOME\b/, '~');
  if (t.startsWith('/') && t.length > 1) {
    // resolve `.` and `..`
    const parts: string[] = [];
    for (const seg of t.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') parts.pop();
      else parts.push(seg);
    }
    t = '/' + parts.join('/');
  }
  return t.toLowerCase();
}

interface Hit {
  rule: string;
  start: number;
  end: number;
  detail: string;
}

type Cmd = Extract<ShellNode, { type: 'command' }>;

export class DestructiveCommandsPack implements FrameworkPack {
  readonly name = 'destructive-commands' as const;
  readonly version = 'destructive-commands@1';
  readonly stateful = false;
  readonly mode;
  private readonly commandArgs: ReadonlySet<string>;
  private readonly sqlArgs: ReadonlySet<string>;
  private readonly critical: ReadonlySet<string>;

  constructor(private readonly config: DestructiveCommandsConfig = {}) {
    this.mode = config.mode;
    this.commandArgs = new Set([...COMMAND_ARGS, ...(config.commandArgs ?? [])]);
    this.sqlArgs = new Set([...SQL_ARGS, ...(config.sqlArgs ?? [])]);
    this.critical = new Set([...CRITICAL_DIRS, ...(config.protectedPaths ?? [])].map(normalizeTarget));
  }

  check(_event: StreamEvent, texts: readonly TextInput[], _run: RunState | undefined, out: FrameworkFinding[]): void {
    for (const t of texts) if (t.direction === 'agent_outbound') this.scanText(t, out);
  }

  scanText(input: TextInput, out: FrameworkFinding[]): void {
    const leaf = inputLeaf(input);
    const toolWords = input.tool === undefined ? [] : toolAction(input.tool).words;
    const isShell = this.commandArgs.has(leaf) || toolWords.some((w) => SHELL_TOOL_WORDS.has(w)) && !this.sqlArgs.has(leaf);
    const isSql = this.sqlArgs.has(leaf) || toolWords.some((w) => SQL_TOOL_WORDS.has(w)) || looksLikeSql(input.text);
    const hits: Hit[] = [];
    if (isShell) this.shell(input.text, hits);
    if (isSql && !isShell) this.sql(input.text, 0, hits);
    if (hits.length === 0) return;
    const seen = new Set<string>();
    for (const h of hits) {
      const key = `${h.rule}:${h.start}`;
      if (seen.has(key) || isDisabled(this.config, h.rule)) continue;
      seen.add(key);
      const def = DESTRUCTIVE_RULES[h.rule] ?? { severity: 'high', action: 'block' };
      out.push(makeFinding('destructive-commands', h.rule, { severity: def.severity, action: actionFor(this.config, h.rule, def.action), classification: CLASSIFICATION }, input, h.start, Math.max(h.end, h.start), h.detail, false));
    }
  }

  /** Findings for one command line (exposed for tests and the eval). */
  shell(text: string, hits: Hit[], depth = 0, offset = 0): void {
    if (depth > 6) return;
    const ast = parseShell(text);
    this.walk(ast, text, hits, depth, offset);
  }

  private sql(text: string, offset: number, hits: Hit[]): void {
    for (const f of analyzeSql(text)) hits.push({ rule: f.rule, start: offset + f.statement.start, end: offset + f.statement.end, detail: `SQL ${f.detail}` });
  }

  private walk(node: ShellNode, text: string, hits: Hit[], depth: number, offset: number): void {
    // pipelines: download | interpreter
    const visit = (n: ShellNode): void => {
      if (n.type === 'pipeline') {
        let downloadAt = -1;
        n.commands.forEach((c, idx) => {
          const argv = c.type === 'command' ? this.unwrap(c.words) : [];
          const name = argv[0] === undefined ? '' : base(argv[0].value);
          if (DOWNLOADERS.has(name)) downloadAt = idx;
          else if (downloadAt >= 0 && INTERPRETERS.has(name) && this.readsStdin(argv)) {
            hits.push({ rule: 'pipe-to-shell', start: offset + n.start, end: offset + n.end, detail: `downloaded content piped into \`${name}\`` });
          }
        });
        n.commands.forEach(visit);
      } else if (n.type === 'list') n.items.forEach(visit);
      else if (n.type === 'group') visit(n.body);
      else if (n.type === 'function') {
        const calls = simpleCommands(n.body).filter((c) => c.words[0]?.value === n.name).length;
        if (calls >= 2) hits.push({ rule: 'fork-bomb', start: offset + n.start, end: offset + n.end, detail: `function \`${n.name}\` calls itself ${calls} times (fork bomb)` });
        visit(n.body);
      } else if (n.type === 'command') {
        for (const w of n.words) for (const s of w.substitutions) visit(s);
      }
    };
    visit(node);
    for (const c of simpleCommands(node)) this.command(c, text, hits, depth, offset);
  }

  private readsStdin(argv: readonly ShellWord[]): boolean {
    for (let k = 1; k < argv.length; k++) {
      const v = (argv[k] as ShellWord).value;
      // `python -m json.tool`, `-mjson.tool`, `-c code`: a module or inline code, not the piped script
      if (/^-[a-zA-Z]*[mc]/.test(v) && !v.startsWith('--')) return false;
      if (v === '-' || v === '-s' || v.startsWith('-') && !v.startsWith('-c') && v !== '-e' && v !== '-m') continue;
      return false;
    }
    return true;
  }

  /** Strip assignments, wrappers and their options; returns the real argv. */
  private unwrap(words: readonly ShellWord[]): ShellWord[] {
    let k = 0;
    let guard = 0;
    while (k < words.length && guard++ < 64) {
      const w = words[k] as ShellWord;
      if (!w.quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value)) {
        k++;
        continue;
      }
      const b = base(w.value);
      if (!WRAPPERS.has(b)) break;
      k++;
      const withValue = WRAPPER_OPTS_WITH_VALUE[b];
      while (k < words.length) {
        const o = (words[k] as ShellWord).value;
        if (o === '--') {
          k++;
          break;
        }
        if (b === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(o)) {
          k++;
          continue;
        }
        if (!o.startsWith('-') || o === '-') break;
        k += withValue?.has(o) ? 2 : 1;
      }
      if (b === 'timeout' && k < words.length && /^\d/.test((words[k] as ShellWord).value)) k++;
      if ((b === 'nice' || b === 'chrt' || b === 'taskset') && k < words.length && /^-?\d/.test((words[k] as ShellWord).value)) k++;
      if (b === 'chroot' && k < words.length) k++;
      if (b === 'flock' && k < words.length) k++;
    }
    return words.slice(k);
  }

  private isCritical(path: string): boolean {
    const t = normalizeTarget(path);
    if (t === '' || t === '*' && false) return false;
    if (this.critical.has(t)) return true;
    // `/*`, `~/*`, `.*` (which also matches `..` in older shells)
    return t === '/' || t === '.*' || t === '~' || /^\/[^/]*\*$/.test(t) && t.length <= 3;
  }

  private command(c: Cmd, text: string, hits: Hit[], depth: number, offset: number): void {
    const argv = this.unwrap(c.words);
    const at = (rule: string, detail: string): void => {
      hits.push({ rule, start: offset + c.start, end: offset + c.end, detail });
    };
    // redirections that clobber devices, system files, history and logs
    for (const r of c.redirects) {
      if (r.op !== '>' && r.op !== '>|' && r.op !== '&>' && r.op !== '>>') continue;
      const target = normalizeTarget(r.target.value);
      if (/^\/dev\/(sd[a-z]|nvme\d|hd[a-z]|vd[a-z]|xvd[a-z]|mmcblk\d|disk\d|md\d|mapper\/)/.test(target)) at('disk-wipe', `output redirected onto the block device \`${r.target.value}\``);
      else if (/^\/etc\/(passwd|shadow|sudoers|group|gshadow|fstab|hosts)$/.test(target) || target.startsWith('/etc/sudoers.d')) {
        if (r.op !== '>>' || /sudoers|passwd|shadow/.test(target)) at('system-file-overwrite', `writes to \`${r.target.value}\``);
      } else if (/(^|\/)\.(bash|zsh|sh)_history$|(^|\/)\.history$/.test(target) && r.op !== '>>') at('history-wipe', `truncates shell history \`${r.target.value}\``);
      else if (target.startsWith('/var/log/') && r.op !== '>>' && argv.length <= 2) at('log-wipe', `truncates the log \`${r.target.value}\``);
    }
    if (argv.length === 0) return;
    const name = base((argv[0] as ShellWord).value);
    const args = argv.slice(1).map((w) => w.value);
    const opts = new Set<string>();
    const operands: string[] = [];
    let endOpts = false;
    for (const a of args) {
      if (!endOpts && a === '--') {
        endOpts = true;
        continue;
      }
      if (!endOpts && a.startsWith('-') && a.length > 1) opts.add(a);
      else operands.push(a);
    }
    const hasShort = (ch: string): boolean => [...opts].some((o) => !o.startsWith('--') && o.includes(ch));
    switch (name) {
      case 'rm':
      case 'rmdir': {
        const recursive = hasShort('r') || hasShort('R') || opts.has('--recursive');
        if (opts.has('--no-preserve-root')) at('rm-recursive-critical-path', 'rm with --no-preserve-root');
        else if (recursive) {
          const bad = operands.find((o) => this.isCritical(o));
          if (bad !== undefined) at('rm-recursive-critical-path', `recursive delete of \`${bad}\``);
        }
        const hist = operands.find((o) => /(^|\/)\.(bash|zsh|sh|python|mysql|psql)_history$/.test(o) || /^\/var\/log(\/|$)/.test(normalizeTarget(o)) && recursive);
        if (hist !== undefined) at(hist.includes('history') ? 'history-wipe' : 'log-wipe', `deletes \`${hist}\``);
        break;
      }
      case 'shred':
      case 'wipe':
      case 'srm': {
        const dev = operands.find((o) => o.startsWith('/dev/') && !/^\/dev\/(null|zero|stdout|stderr|tty)/.test(o));
        if (dev !== undefined) at('disk-wipe', `shreds the device \`${dev}\``);
        const hist = operands.find((o) => /history$/.test(o) || o.startsWith('/var/log'));
        if (hist !== undefined) at(hist.includes('history') ? 'history-wipe' : 'log-wipe', `shreds \`${hist}\``);
        break;
      }
      case 'dd': {
        const of = args.find((a) => a.startsWith('of='));
        if (of !== undefined && /^of=\/dev\/(?!null$|zero$|stdout$|stderr$|tty|fd\/)/.test(of)) at('disk-wipe', `dd writes onto \`${of.slice(3)}\``);
        break;
      }
      case 'wipefs':
      case 'blkdiscard':
      case 'sgdisk':
        if (operands.some((o) => o.startsWith('/dev/')) && (name !== 'sgdisk' || hasShort('Z') || opts.has('--zap-all'))) at('disk-wipe', `\`${name}\` erases a device`);
        break;
      case 'mkswap':
      case 'mke2fs':
        if (operands.some((o) => o.startsWith('/dev/'))) at('disk-wipe', `\`${name}\` formats a device`);
        break;
      case 'diskutil':
        if (operands[0] === 'eraseDisk' || operands[0] === 'eraseVolume' || operands[0] === 'zeroDisk' || operands[0] === 'secureErase') at('disk-wipe', `diskutil ${operands[0]}`);
        break;
      case 'format':
        if (operands.some((o) => /^[a-z]:$/i.test(o))) at('disk-wipe', 'formats a drive');
        break;
      case 'chmod':
      case 'chown':
      case 'chgrp': {
        const recursive = hasShort('R') || opts.has('--recursive');
        const targets = name === 'chmod' ? operands.slice(1) : operands.slice(1);
        const mode = operands[0] ?? '';
        const wide = name !== 'chmod' || /^0?[0-7]?777$|^0?[0-7]?666$|(^|,)(a|o|ugo)?\+[rwx]*w/.test(mode) || /^[ugoa]*=rwx/.test(mode);
        const crit = targets.find((o) => PERMISSION_CRITICAL.has(normalizeTarget(o)));
        if (crit !== undefined && (recursive || normalizeTarget(crit) === '/') && wide) at('permission-blast', `\`${name} ${recursive ? '-R ' : ''}${mode}\` on \`${crit}\``);
        break;
      }
      case 'history':
        if (hasShort('c') || opts.has('-w') && operands.includes('/dev/null')) at('history-wipe', 'clears shell history');
        break;
      case 'unset':
        if (operands.includes('HISTFILE')) at('history-wipe', 'unset HISTFILE');
        break;
      case 'export':
      case 'set':
        if (operands.some((o) => /^HIST(FILE=\/dev\/null|SIZE=0|FILESIZE=0)$/.test(o))) at('history-wipe', 'disables shell history');
        if (name === 'set' && opts.has('+o') && operands.includes('history')) at('history-wipe', 'disables shell history');
        break;
      case 'ln':
        if (operands[0] === '/dev/null' && operands.some((o) => /history$/.test(o))) at('history-wipe', 'links history to /dev/null');
        break;
      case 'truncate':
        if (operands.some((o) => o.startsWith('/var/log')) && args.some((a) => a === '0' || a === '-s0' || a === '--size=0')) at('log-wipe', 'truncates logs');
        break;
      case 'journalctl':
        if (args.some((a) => /^--vacuum-(size|time|files)=(0|1[a-z]?|1s)$/i.test(a))) at('log-wipe', 'vacuums the journal to nothing');
        break;
      case 'wevtutil':
        if (operands[0] === 'cl' || operands[0] === 'clear-log') at('log-wipe', 'clears a Windows event log');
        break;
      case 'crontab':
        if (hasShort('r')) at('crontab-remove', 'crontab -r removes every scheduled job');
        break;
      case 'kill':
      case 'pkill':
        if (name === 'kill' && operands.includes('-1') || name === 'kill' && args.includes('-1')) at('kill-all', 'kill -1 signals every process');
        break;
      case 'shutdown':
      case 'reboot':
      case 'halt':
      case 'poweroff':
        at('system-power', `\`${name}\``);
        break;
      case 'init':
      case 'telinit':
        if (operands[0] === '0' || operands[0] === '6') at('system-power', `${name} ${operands[0]}`);
        break;
      case 'git':
        if (operands[0] === 'push' && (opts.has('--force') || opts.has('-f') || args.some((a) => a.startsWith('+')) || opts.has('--mirror'))) at('git-history-rewrite', 'git push --force');
        break;
      case 'find': {
        const start = operands[0] ?? '.';
        const del = args.includes('-delete');
        const execIdx = args.findIndex((a) => a === '-exec' || a === '-execdir' || a === '-ok' || a === '-okdir');
        // a filter (-name, -size, -mtime …) makes the deletion selective; unfiltered it empties the tree
        const filtered = args.some((a) => /^-(i?name|i?path|i?regex|size|type|mtime|atime|ctime|mmin|amin|cmin|newer\w*|user|group|perm|empty|links|inum|samefile|uid|gid|nouser|nogroup)$/.test(a));
        const crit = this.isCritical(start) && !filtered;
        if (crit && del) at('find-delete-critical-path', `find ${start} -delete`);
        if (execIdx >= 0) {
          // judge the -exec command with {} standing for files under the start path
          let endIdx = args.findIndex((a, i) => i > execIdx && (a === ';' || a === '+' || a === '\\;'));
          if (endIdx < 0) endIdx = args.length;
          const inner = args.slice(execIdx + 1, endIdx);
          if (crit && inner.length > 0 && base(inner[0] as string) === 'rm' && inner.some((a) => /^-[a-zA-Z]*[rRf]/.test(a))) at('find-delete-critical-path', `find ${start} -exec rm`);
          if (inner.length > 0 && depth < 6) this.shell(inner.map(quoteArg).join(' '), hits, depth + 1, offset + c.start);
        }
        break;
      }
      case 'mysql':
      case 'psql':
      case 'sqlite3':
      case 'sqlcmd':
      case 'clickhouse-client':
      case 'mariadb': {
        for (let k = 1; k < argv.length; k++) {
          const v = (argv[k] as ShellWord).value;
          const prev = (argv[k - 1] as ShellWord).value;
          if (prev === '-e' || prev === '-c' || prev === '--execute' || prev === '--command' || prev === '-Q' || prev === '-q' || v.startsWith('--execute=') || v.startsWith('--command=') || name === 'sqlite3' && k >= 2 && !v.startsWith('-')) {
            const sqlText = v.replace(/^--(execute|command)=/, '');
            for (const f of analyzeSql(sqlText)) at(f.rule, `SQL ${f.detail} via ${name}`);
          }
        }
        break;
      }
      default:
        if (name.startsWith('mkfs')) at('disk-wipe', `\`${name}\` formats a filesystem`);
    }
    // nested command strings: sh -c "…", bash -c, su -c, eval, ssh host "…"
    if (depth < 6) {
      let nested: ShellWord | undefined;
      if (SHELLS.has(name) || name === 'su') {
        const ci = argv.findIndex((w, i) => i > 0 && /^-[a-z]*c[a-z]*$/.test(w.value));
        if (ci >= 0) nested = argv[ci + 1];
        if (argv.some((w, i) => i > 0 && w.substitutions.some((s) => simpleCommands(s).some((x) => DOWNLOADERS.has(base(x.words[0]?.value ?? '')))))) {
          at('pipe-to-shell', `\`${name}\` runs downloaded content`);
        }
      } else if (name === 'eval') {
        if (argv.length > 1) {
          const joined = argv.slice(1).map((w) => w.value).join(' ');
          if (argv.slice(1).some((w) => w.substitutions.some((s) => simpleCommands(s).some((x) => DOWNLOADERS.has(base(x.words[0]?.value ?? '')))))) at('pipe-to-shell', 'eval of downloaded content');
          this.shell(joined, hits, depth + 1, offset + c.start);
        }
      } else if (name === 'ssh') {
        const last = argv[argv.length - 1];
        if (last !== undefined && argv.length >= 3 && !last.value.startsWith('-')) nested = last;
      } else if (INTERPRETERS.has(name) && name !== 'python' && name !== 'python3') {
        if (argv.some((w, i) => i > 0 && w.value.startsWith('<(') && w.substitutions.some((s) => simpleCommands(s).some((x) => DOWNLOADERS.has(base(x.words[0]?.value ?? '')))))) at('pipe-to-shell', `\`${name}\` runs a downloaded script`);
      }
      if (nested !== undefined) this.shell(nested.value, hits, depth + 1, offset + c.start);
    }
  }
}

function quoteArg(a: string): string {
  if (a === '{}' || /^[A-Za-z0-9_./=:-]+$/.test(a)) return a;
  return "'" + a.replace(/'/g, "'\\''") + "'";
}
