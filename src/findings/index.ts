// The findings layer as the SDK sees it: the finding model, the embedded store, the span mapping
// and the OTLP exporter. Internal to cascade-runtime; `src/index.ts` decides what becomes public.

export type {
  ArgumentDigests,
  ContextMessage,
  Finding,
  FindingLimits,
  FindingOutcome,
  FindingRunContext,
  InterventionContext,
  RelatedSpanIds,
} from './finding.js';
export { argumentsOf, buildFindings, DEFAULT_FINDING_LIMITS, FINDING_OUTCOMES, FINDING_SCHEMA_VERSION, outcomeOf } from './finding.js';
export type { ChainVerification } from './hash-chain.js';
export { chainFinding, chainFindings, GENESIS_HASH, hashFinding, verifyChain } from './hash-chain.js';
export { canonicalJson, digestOf } from './canonical-json.js';
export { boundJson, boundString, TRUNCATION_MARKER } from './bounded-value.js';
export type { ValueLimits } from './bounded-value.js';
export { SchemaVersionError } from './migrations.js';
export type {
  FindingCounts,
  FindingQuery,
  Page,
  PageRequest,
  RunEnd,
  RunQuery,
  RunRecord,
  RunStatus,
  RunSummary,
  SpansAroundFinding,
  SqliteStoreOptions,
  StoreLimits,
} from './sqlite-store.js';
export { DEFAULT_STORE_PATH, SqliteFindingStore } from './sqlite-store.js';
export type { AttributeValue, SpanAttributes, SpanEventRecord, SpanOperation, SpanRecord } from './span-record.js';
export { otelSpanId, otelTraceId, sanitizeSpan } from './span-record.js';
export type { EvaluationInput, SpanMappingOptions } from './span-mapping.js';
export { mapEventsToSpans, SpanAssembler } from './span-mapping.js';
export type { GuardrailConvention, GuardrailConventionVersion } from './guardrail-conventions.js';
export { DEFAULT_GUARDRAIL_CONVENTION, GUARDRAIL_CONVENTIONS } from './guardrail-conventions.js';
export type { ExporterStats, FlushResult, OtlpExporterOptions, RetryPolicy } from './otlp-exporter.js';
export { backoffDelay, DEFAULT_RETRY, OtlpExporter, toReadableSpan } from './otlp-exporter.js';
export { DEFAULT_OUTBOX_PATH } from './outbox.js';
export type { FindingsRecorderOptions, RecordedEvaluation, RecordedRunEnd, RecordedRunStart } from './recorder.js';
export { FindingsRecorder } from './recorder.js';
