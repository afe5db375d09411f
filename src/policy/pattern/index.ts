// The policy language's `pattern` operator: a regular-expression subset compiled to a DFA that
// the Wasm kernel runs in linear time, with no backtracking, so no tenant pattern can cause
// ReDoS. See compile.ts for the pipeline and runner.ts for the kernel contract.

export { compilePattern, type CompilePatternOptions, type CompilePatternResult } from './compile.js';
export { dfaByteSize, dfaClassOf, type Dfa } from './dfa.js';
export { PATTERN_DIAGNOSTIC_CODES, type PatternDiagnostic, type PatternDiagnosticCode } from './diagnostics.js';
export { findMatches } from './find-matches.js';
export { dfaTest } from './runner.js';
export {
  compilePatternSet,
  dfaMatchSet,
  type CompilePatternSetResult,
  type PatternSetDfa,
  type PatternSetDiagnostic,
} from './pattern-set.js';
