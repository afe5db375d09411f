// `cascade policy check <paths...>`: compiles policy files and prints diagnostics with code frames.
// Exit code 0 when the set compiles (warnings allowed), 1 on errors, 2 when no file was found.

import { compilePolicies, formatDiagnostics, loadPolicySources, type Diagnostic } from '../policy/index.js';

export interface CheckOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function policyCheck(paths: string[], opts: { json?: boolean; cwd?: string }): CheckOutput {
  const { sources, missing } = loadPolicySources(paths, opts.cwd);
  const missingDiags: Diagnostic[] = missing.map((m) => ({
    code: 'file-not-found',
    severity: 'error',
    message: `no policy file at \`${m}\``,
    file: m,
    line: 0,
    column: 0,
    length: 0,
  }));
  if (sources.length === 0) {
    const d = missingDiags.length > 0 ? missingDiags : [{ code: 'file-not-found', severity: 'error' as const, message: 'no policy files given', file: '', line: 0, column: 0, length: 0 }];
    return opts.json
      ? { exitCode: 2, stdout: JSON.stringify({ ok: false, files: 0, policies: 0, diagnostics: d }) + '\n', stderr: '' }
      : { exitCode: 2, stdout: '', stderr: formatDiagnostics(d) };
  }
  const r = compilePolicies(sources);
  const diagnostics = [...missingDiags, ...r.diagnostics];
  const ok = r.ok && missingDiags.length === 0;
  const policies = r.ok ? r.bundle.policies.length : 0;
  if (opts.json) {
    const doc = { ok, files: sources.length, policies, bundleHash: r.ok ? r.bundle.hash : null, diagnostics };
    return { exitCode: ok ? 0 : 1, stdout: JSON.stringify(doc) + '\n', stderr: '' };
  }
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const summary = ok
    ? `ok: ${policies} ${policies === 1 ? 'policy' : 'policies'} in ${sources.length} ${sources.length === 1 ? 'file' : 'files'}${warnings ? `, ${warnings} warning(s)` : ''} (bundle ${r.ok ? r.bundle.hash.slice(0, 12) : ''})\n`
    : `failed: ${errors} error(s), ${warnings} warning(s) in ${sources.length} file(s)\n`;
  return { exitCode: ok ? 0 : 1, stdout: ok ? formatDiagnostics(diagnostics, texts) + summary : '', stderr: ok ? '' : formatDiagnostics(diagnostics, texts) + summary };
}
