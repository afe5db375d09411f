// The engine's public surface.
export { createEngine, EngineError, callDigest, type Engine, type EngineOptions, type EvaluateOptions, type CustomPolicyEvaluator, type EngineStats } from './engine.js';
export { applyModifications } from './modify.js';
export * from './decision.js';
