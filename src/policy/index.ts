// The policy language's public surface: compile sources to a bundle, load files, print diagnostics.
export { compilePolicies, canonicalJson, BUNDLE_VERSION, type Bundle, type CompileResult, type PolicySource } from './compile.js';
export { formatDiagnostics, type Diagnostic } from './diagnostics.js';
export { loadPolicySources } from './load-sources.js';
export type { Policy, Condition, Test } from './ast.js';
