// The engine's public surface.
export { createEngine, EngineError, callDigest, type Engine, type EngineOptions, type EvaluateOptions, type CustomPolicyEvaluator, type CustomPolicyCall, type CustomPolicyResult, type CustomPolicyDiagnostic, type TenantLoadResult, type EngineStats } from './engine.js';
export { sandboxEvaluator } from './sandbox-evaluator.js';
export { applyModifications } from './modify.js';
export * from './decision.js';
