// Reads policy files from paths, directories and simple globs (`policies/*.yaml`, `**/*.yml`).
// Missing paths are reported as diagnostics by the caller, not thrown.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const POLICY_EXT = /\.(ya?ml|json)$/i;

export interface LoadedSources {
  sources: { file: string; text: string }[];
  missing: string[];
}

export function loadPolicySources(pathsOrGlobs: readonly string[], cwd = process.cwd()): LoadedSources {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const p of pathsOrGlobs) {
    const found = expand(p, cwd);
    if (found.length === 0) missing.push(p);
    for (const f of found) files.add(f);
  }
  const sources: { file: string; text: string }[] = [];
  for (const f of [...files].sort()) {
    try {
      sources.push({ file: f, text: readFileSync(f, 'utf8') });
    } catch {
      missing.push(f);
    }
  }
  return { sources, missing };
}

function expand(pattern: string, cwd: string): string[] {
  const abs = resolve(cwd, pattern);
  if (!/[*?]/.test(pattern)) {
    try {
      const st = statSync(abs);
      if (st.isDirectory()) return walk(abs, true).filter((f) => POLICY_EXT.test(f));
      return [abs];
    } catch {
      return [];
    }
  }
  // glob: split at the first segment holding a wildcard
  const parts = abs.split('/');
  const i = parts.findIndex((s) => /[*?]/.test(s));
  const root = parts.slice(0, i).join('/') || '/';
  const rest = parts.slice(i).join('/');
  const re = globToRegExp(rest);
  const recursive = rest.includes('**') || rest.includes('/');
  return walk(root, recursive).filter((f) => re.test(f.slice(root.length + 1)));
}

function walk(dir: string, recursive: boolean, depth = 0): string[] {
  if (depth > 32) return [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e === 'node_modules' || e.startsWith('.')) continue;
    const p = join(dir, e);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (recursive) out.push(...walk(p, recursive, depth + 1));
    } else out.push(p);
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[\\^$.+()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

