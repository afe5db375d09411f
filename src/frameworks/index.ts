// Built-in security frameworks (detector packs). The engine wires a FrameworkSet into
// evaluation; see docs/detection.md for the packs, their rules and their measured accuracy.

export { createFrameworks, getFramework, parseFrameworkList, isFrameworkName, FrameworkSet, RECOMMENDED } from './registry.js';
export type { FrameworkSelection, PackConfigs, ParseFrameworksResult } from './registry.js';
export type { FrameworkPack } from './pack.js';
export { RunState } from './run-state.js';
export { RunTaint } from './provenance/run-taint.js';
export type { ValueOrigin, InjectionMark } from './provenance/run-taint.js';
export { eventTexts } from './event-text.js';
export { redactEvent, redactString } from './redact.js';
export { FRAMEWORK_NAMES } from './types.js';
export type { FrameworkFinding, FindingEvidence, FrameworkName, TextInput, PackConfigBase, ExternalClassifier, ClassifierVerdict } from './types.js';
