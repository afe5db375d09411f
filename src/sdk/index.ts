// The SDK's surface: what src/index.ts re-exports for agent developers.

export { initTracing, flush, shutdown } from './init-tracing.js';
export type { CascadeTracing, InitTracingOptions, PolicyInput } from './init-tracing.js';
export { traceRun } from './trace-run.js';
export type { RunMetadata, TraceRunOptions } from './trace-run.js';
export { currentRun } from './run-context.js';
export type { RunHandle } from './run-context.js';
export { guardTool, guardMethods, guardTools } from './guard-tool.js';
export type { GuardedTool, GuardMethodsOptions, GuardToolOptions, StrictGuardedTool, ToolContext, ToolInvocationOptions } from './guard-tool.js';
export { captureReasoning, recordResponse } from './capture.js';
export type { RecordResponseOptions } from './capture.js';
export { isToolDenial } from './denial.js';
export type { ToolDenial } from './denial.js';
export type { ApprovalAnswer, ApprovalRequest, Approver } from './approvals.js';
export { CascadeConfigError, CascadeError, EnforcementError, PolicyViolationError, RunHaltedError } from './errors.js';
export type { EnforcementErrorCode, InterventionPoint } from './errors.js';
