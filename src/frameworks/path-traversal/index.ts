// path-traversal pack: file paths in the agent's outbound arguments that climb out of where they
// should stay or reach secrets. Paths are canonicalised first: percent-decoding (also double and
// overlong UTF-8 dot/slash forms), NFKC (fullwidth dots and slashes), backslashes as separators,
// home expansion, then `.`/`..` resolution.
//   traversal-sequence  a relative path whose `..` segments climb above its starting directory
//   sensitive-file      credentials, keys, system account files, process memory/environment
//   outside-root        an absolute path outside the configured roots (only when roots are set)
//   null-byte           a NUL byte, used to cut a suffix check short

import type { StreamEvent } from '../../events/types.js';
import { canonicalText, percentDecodeDeep } from '../canonicalize.js';
import { inputLeaf } from '../event-text.js';
import type { FrameworkPack } from '../pack.js';
import { actionFor, isDisabled, makeFinding } from '../pack.js';
import { toolAction } from '../provenance/tool-actions.js';
import type { RunState } from '../run-state.js';
import type { FrameworkFinding, PackConfigBase, TextInput } from '../types.js';

export interface PathTraversalConfig extends PackConfigBase {
  /** directories the agent may touch; absolute paths elsewhere are flagged */
  roots?: readonly string[];
  /** argument names holding paths (added to the defaults) */
  pathArgs?: readonly string[];
}

const CLASSIFICATION = ['LLM06', 'AGENTIC-T2', 'AGENTIC-T3', 'AML.T0053'] as const;
const PATH_ARGS = new Set(['path', 'file', 'filename', 'file_name', 'filepath', 'file_path', 'dir', 'directory', 'folder', 'dest', 'destination', 'src', 'source', 'target', 'location', 'output', 'input', 'output_path', 'input_path', 'save_path', 'local_path', 'remote_path', 'uri', 'url', 'paths', 'files', 'from', 'to']);
const FILE_TOOL_WORDS = new Set(['file', 'files', 'fs', 'path', 'dir', 'directory', 'folder', 'read', 'write', 'upload', 'download', 'open', 'cat', 'save', 'load', 'copy', 'move', 'delete']);

// Sensitive locations (matched on the canonical, lower-cased path)
const SENSITIVE: readonly RegExp[] = [
  /^\/etc\/(passwd|shadow|gshadow|sudoers|master\.passwd|security\/opasswd)$/,
  /^\/etc\/sudoers\.d\//,
  /^\/etc\/ssh\/ssh_host_[a-z0-9_]*key$/,
  /^\/root(\/|$)/,
  /(^|\/)\.ssh\/(id_[a-z0-9_]+|authorized_keys|known_hosts|config)$/,
  /(^|\/)\.ssh$/,
  /(^|\/)\.aws\/(credentials|config)$/,
  /(^|\/)\.azure\//,
  /(^|\/)\.config\/gcloud\//,
  /(^|\/)\.kube\/config$/,
  /(^|\/)\.docker\/config\.json$/,
  /(^|\/)\.(npmrc|pypirc|netrc|pgpass|git-credentials|htpasswd|my\.cnf)$/,
  /(^|\/)\.env(\.[a-z0-9]+)?$/,
  /(^|\/)\.git\/config$/,
  /(^|\/)wp-config\.php$/,
  /(^|\/)(web\.config|credentials\.json|secrets\.ya?ml|service-account\.json)$/,
  /^\/proc\/(self|thread-self|\d+)\/(environ|mem|maps|cmdline|root|cwd|fd)(\/|$)/,
  /^\/var\/run\/secrets\//,
  /^\/run\/secrets\//,
  /^c:\/windows\/(system32\/config\/(sam|system|security)|repair\/sam)$/,
  /(^|\/)(id_rsa|id_dsa|id_ecdsa|id_ed25519)$/,
  /\.(pem|key|p12|pfx|jks|keystore)$/,
];

// a value that could name a path at all: separators, home, encodings, dot-files, key files
const PATHLIKE = /[/\\~%\u2215\u2044\uff0f\u0000]|^\.|^(id_[a-z0-9]+|[^\s]*\.(pem|key|p12|pfx|jks|keystore))$/i;

interface Canonical {
  path: string;
  nul: boolean;
}

/** Decode and normalise a path string (no filesystem access). */
export function canonicalPath(raw: string): Canonical {
  let p = raw.length > 4096 ? raw.slice(0, 4096) : raw;
  // overlong UTF-8 encodings of '.' and '/' that some decoders accept
  p = p.replace(/%c0%ae|%e0%80%ae|%c0%2e/gi, '.').replace(/%c0%af|%e0%80%af|%c1%9c|%c0%5c/gi, '/');
  p = percentDecodeDeep(p, 3);
  p = canonicalText(p).text;
  const nul = p.includes('\u0000');
  p = p.replace(/\u0000.*$/s, '');
  p = p.replace(/\\/g, '/').replace(/[\u2215\u2044\uff0f]/g, '/');
  p = p.replace(/^file:\/\/(localhost)?/i, '');
  if (/^[a-z]:\//i.test(p)) p = p[0]?.toLowerCase() + p.slice(1);
  return { path: p, nul };
}

/** Resolve `.` and `..`; returns the resolved path and whether a relative path climbed above its start. */
export function resolvePath(p: string): { resolved: string; escapes: boolean } {
  const parts: string[] = [];
  let escapes = false;
  const segs = p.split('/');
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string;
    if (seg === '' || seg === '.') continue;
    // `...` and longer dot runs are not parent references on POSIX but are on some Windows APIs
    if (seg === '..' || /^\.{3,}$/.test(seg)) {
      if (parts.length > 0 && !(i === 0 && /^[a-z]:$/i.test(parts[0] as string))) parts.pop();
      else escapes = true;
      continue;
    }
    parts.push(seg);
  }
  const lead = p.startsWith('/') ? '/' : '';
  return { resolved: lead + parts.join('/'), escapes };
}

export class PathTraversalPack implements FrameworkPack {
  readonly name = 'path-traversal' as const;
  readonly version = 'path-traversal@1';
  readonly stateful = false;
  readonly mode;
  private readonly pathArgs: ReadonlySet<string>;
  private readonly roots: readonly string[];

  constructor(private readonly config: PathTraversalConfig = {}) {
    this.mode = config.mode;
    this.pathArgs = new Set([...PATH_ARGS, ...(config.pathArgs ?? [])]);
    this.roots = (config.roots ?? []).map((r) => resolvePath(canonicalPath(r).path).resolved.toLowerCase());
  }

  check(_event: StreamEvent, texts: readonly TextInput[], _run: RunState | undefined, out: FrameworkFinding[]): void {
    let lastTool: string | undefined;
    let fileTool = false;
    for (const t of texts) {
      if (t.direction !== 'agent_outbound') continue;
      if (t.tool !== lastTool) {
        lastTool = t.tool;
        fileTool = t.tool !== undefined && toolAction(t.tool).words.some((w) => FILE_TOOL_WORDS.has(w));
      }
      // the cheap tests (argument name, tool) first; the path-likeness regex only for candidates
      if (!(this.pathArgs.has(inputLeaf(t)) || (fileTool && t.text.length < 1024 && /[/\\]/.test(t.text)))) continue;
      if (PATHLIKE.test(t.text)) this.scanText(t, out);
    }
  }

  scanText(input: TextInput, out: FrameworkFinding[]): void {
    const raw = input.text;
    if (raw.length === 0 || raw.length > 4096 || /\s{2,}|\n/.test(raw)) return;
    let candidate = raw;
    // a URL: judge its path
    const url = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(raw);
    if (url !== null) {
      if (/^file:/i.test(raw)) candidate = raw;
      else candidate = (url[1] ?? '/').replace(/[?#].*$/s, '');
    }
    const { path, nul } = canonicalPath(candidate);
    const emit = (rule: string, severity: 'high' | 'critical' | 'medium', message: string): void => {
      if (isDisabled(this.config, rule)) return;
      out.push(makeFinding('path-traversal', rule, { severity, action: actionFor(this.config, rule, 'block'), classification: CLASSIFICATION }, input, 0, raw.length, message, false));
    };
    if (nul) emit('null-byte', 'high', 'path contains a NUL byte');
    const home = path.startsWith('~') ? '/home/user' + path.slice(1) : path;
    const { resolved, escapes } = resolvePath(home);
    // a relative path that climbs out may reach the root: judge what it names from there
    const lower = (escapes && !resolved.startsWith('/') ? '/' + resolved : resolved).toLowerCase();
    const relative = !home.startsWith('/') && !/^[a-z]:\//.test(home);
    if (escapes && (relative || url !== null)) emit('traversal-sequence', 'high', `\`..\` climbs above the starting directory (\`${raw.slice(0, 80)}\`)`);
    else if (escapes) emit('traversal-sequence', 'medium', `\`..\` climbs above the filesystem root (\`${raw.slice(0, 80)}\`)`);
    const sensitive = SENSITIVE.some((re) => re.test(lower)) && (!relative || /(^|\/)\.\.(\/|$)/.test(path) || /^(\.ssh|\.aws|\.env|\.git\/config|\.kube|\.docker|\.npmrc|\.netrc|\.pgpass|id_rsa|id_ed25519)/.test(lower));
    if (sensitive) emit('sensitive-file', 'critical', `path reaches a sensitive file (\`${resolved.slice(0, 80)}\`)`);
    if (this.roots.length > 0 && !relative && !this.roots.some((r) => lower === r || lower.startsWith(r.endsWith('/') ? r : r + '/'))) {
      emit('outside-root', 'medium', `path \`${resolved.slice(0, 80)}\` is outside the allowed roots`);
    }
  }
}
