// cascade-runtime's public API. Everything else under src/ is internal.

// SDK: capture, modes, interventions
export * from './sdk/index.js';

// policy language
export { compilePolicies, formatDiagnostics, loadPolicySources, BUNDLE_VERSION } from './policy/index.js';
export type { Bundle, CompileResult, Diagnostic, PolicySource, Policy } from './policy/index.js';
export { definePolicy, all, any, not, field } from './policy/builder.js';
export type { PolicyDefinition, ConditionDefinition, FieldTests } from './policy/builder.js';

// engine
export { createEngine, applyModifications, EngineError } from './engine/index.js';
export type { Engine, EngineOptions, EvaluateOptions, EngineStats, CustomPolicyEvaluator, CustomPolicyCall, CustomPolicyResult } from './engine/index.js';
export { MODES, SEVERITIES, ACTIONS, OUTCOMES, effectiveMode } from './engine/decision.js';
export type { Mode, Severity, Action, Outcome, Violation, Evidence, Modification, Decision, PolicyType } from './engine/decision.js';

// events and traces
export { EVENT_KINDS, defaultDirection } from './events/types.js';
export type { StreamEvent, EventKind, Direction, JsonValue, ChatMessage, ToolCallRequest, TokenUsage } from './events/types.js';
export { decodeTrace, encodeTrace, TRACE_FORMAT_VERSION } from './events/jsonl.js';
export { validateEvent } from './events/validate.js';

// LLM client wrappers
export { wrapOpenAI, wrapAnthropic, guardMcpClient, mcpDenialResult, MCP_DENIAL_META, guardAiTools } from './integrations/index.js';
export type { OpenAIClientLike, AnthropicClientLike, McpClientLike, GuardMcpOptions, AiToolLike, GuardAiToolsOptions } from './integrations/index.js';

// findings (the argument of `onFinding`)
export type { Finding, FindingOutcome } from './findings/index.js';

// built-in security frameworks
export { createFrameworks, FRAMEWORK_NAMES, RECOMMENDED } from './frameworks/index.js';
export type { FrameworkName, FrameworkSelection, FrameworkFinding, PackConfigs } from './frameworks/index.js';

// tenant JavaScript policies
export { createSandboxHost } from './sandbox/index.js';
export { sandboxEvaluator } from './engine/index.js';
