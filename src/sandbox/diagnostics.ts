// Load-time diagnostics: what is wrong with a tenant's policy source, and where. Returned as values
// from loadTenantPolicies, never thrown. Messages are lowercase, no trailing period, user input in
// backticks (house style).

export const DIAGNOSTIC_CODES = [
  'invalid_name',
  'duplicate_name',
  'too_many_policies',
  'source_too_large',
  'syntax_error',
  'import_not_allowed',
  'missing_evaluate',
  'invalid_on',
  'top_level_threw',
  'top_level_timeout',
  'top_level_memory',
  'load_crashed',
  'tenant_unavailable',
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

export interface PolicyDiagnostic {
  code: DiagnosticCode;
  message: string;
  /** the policy's name as given in `sources` */
  policy: string;
  /** 1-based; 1:1 when the problem concerns the whole module */
  line: number;
  column: number;
  help?: string;
}

export type LoadResult = { ok: true } | { ok: false; diagnostics: PolicyDiagnostic[] };

export interface PolicySource {
  /** unique within the tenant; letters, digits, `.`, `_`, `-`; at most 128 characters */
  name: string;
  /** ES module text exporting `evaluate(event, context)` */
  code: string;
  /** what happens in enforce mode when the policy cannot produce a verdict. Default `block` */
  onError?: 'block' | 'allow';
}

export const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Whether two source lists would build the same tenant (same names, code and `onError`, in order). */
export function sameSources(a: readonly PolicySource[] | undefined, b: readonly PolicySource[]): boolean {
  if (a === undefined || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i];
    if (y === null || typeof y !== 'object' || x.name !== y.name || x.code !== y.code || (x.onError ?? 'block') !== (y.onError ?? 'block')) return false;
  }
  return true;
}

export function diagnostic(
  code: DiagnosticCode,
  policy: string,
  message: string,
  at: { line: number; column: number } = { line: 1, column: 1 },
  help?: string,
): PolicyDiagnostic {
  const d: PolicyDiagnostic = { code, message, policy, line: at.line, column: at.column };
  if (help !== undefined) d.help = help;
  return d;
}

/** `file:line:col` inside a V8 message or stack for this module's filename. */
export function locationIn(text: string, filename: string): { line: number; column: number } | undefined {
  const at = text.indexOf(filename + ':');
  if (at < 0) return undefined;
  const m = /^:(\d+):(\d+)/.exec(text.slice(at + filename.length));
  if (m === null) return undefined;
  return { line: Number(m[1]), column: Number(m[2]) };
}

/** 1-based line/column of a character offset. */
export function positionOf(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Where an import of `specifier` appears in the source, best effort. */
export function findImport(source: string, specifier: string): { line: number; column: number } {
  for (const q of ["'", '"', '`']) {
    const i = source.indexOf(q + specifier + q);
    if (i >= 0) {
      const before = source.lastIndexOf('import', i);
      return positionOf(source, before >= 0 && i - before < 200 ? before : i);
    }
  }
  return { line: 1, column: 1 };
}
