// Diagnostics: every problem the policy pipeline finds is a value with a code, a place and a hint.
// Nothing in the pipeline throws on bad input; stages collect these and the caller decides.

export type DiagnosticSeverity = 'error' | 'warning';

export interface Diagnostic {
  code: string;
  severity: DiagnosticSeverity;
  /** lowercase, no trailing period, user input in backticks */
  message: string;
  file: string;
  /** 1-based; 0 when the problem has no place in a file (e.g. a builder-made policy) */
  line: number;
  column: number;
  /** length of the offending text, for code frames */
  length: number;
  help?: string;
  /** name of the policy the problem belongs to, when known */
  policy?: string;
}

/** Where something sits in its source text: the file and a UTF-16 offset range. */
export interface SourceSpan {
  file: string;
  offset: number;
  length: number;
}

/** Maps offsets to 1-based line/column for one source text. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** Collects diagnostics for one compilation, resolving spans to line/column lazily per file. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private readonly indexes = new Map<string, LineIndex>();
  constructor(private readonly texts: ReadonlyMap<string, string>) {}

  add(
    severity: DiagnosticSeverity,
    code: string,
    message: string,
    span: SourceSpan | undefined,
    extra: { help?: string; policy?: string } = {},
  ): void {
    let line = 0;
    let column = 0;
    const file = span?.file ?? '<builder>';
    if (span) {
      const text = this.texts.get(span.file);
      if (text !== undefined) {
        let idx = this.indexes.get(span.file);
        if (!idx) {
          idx = new LineIndex(text);
          this.indexes.set(span.file, idx);
        }
        ({ line, column } = idx.position(span.offset));
      }
    }
    const d: Diagnostic = { code, severity, message, file, line, column, length: span?.length ?? 0 };
    if (extra.help !== undefined) d.help = extra.help;
    if (extra.policy !== undefined) d.policy = extra.policy;
    this.items.push(d);
  }
  error(code: string, message: string, span: SourceSpan | undefined, extra?: { help?: string; policy?: string }): void {
    this.add('error', code, message, span, extra);
  }
  warning(code: string, message: string, span: SourceSpan | undefined, extra?: { help?: string; policy?: string }): void {
    this.add('warning', code, message, span, extra);
  }
  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Renders diagnostics with a code frame, the way `cascade policy check` prints them. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], texts?: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  for (const d of diagnostics) {
    const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
    out.push(`${d.severity}[${d.code}]: ${d.message}`);
    out.push(`  --> ${where}`);
    const text = texts?.get(d.file);
    if (text !== undefined && d.line > 0) {
      const lines = text.split('\n');
      const gutter = String(d.line).length;
      const src = (lines[d.line - 1] ?? '').replace(/\t/g, ' ');
      out.push(`${' '.repeat(gutter)} |`);
      out.push(`${d.line} | ${src}`);
      const width = Math.max(1, Math.min(d.length || 1, Math.max(1, src.length - d.column + 1)));
      out.push(`${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, d.column - 1))}${'^'.repeat(width)}`);
    }
    if (d.help) out.push(`  = help: ${d.help}`);
    out.push('');
  }
  return out.join('\n');
}
