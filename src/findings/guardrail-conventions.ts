// Attribute and event names for guardrail evaluations, behind a versioned alias table. The GenAI
// guardrail conventions are still proposals and their names keep moving (`apply_guardrail` with
// `gen_ai.guardian.*` in semantic-conventions#3233, then `run_guardrail` with
// `gen_ai.security.*` in semantic-conventions-genai#262 and its successor #427), so the mapping
// code only ever asks this table for a name. Adding the next revision is one new entry; the
// default moves when a revision is released.

export interface GuardrailConvention {
  /** `gen_ai.operation.name` of the evaluation span, also the first word of its name */
  operationName: string;
  /** span event carrying one finding */
  findingEvent: string;
  attributes: {
    guardrailId: string;
    guardrailName: string;
    guardrailVersion: string;
    verdict: string;
    verdictReason: string;
    action: string;
    policyId: string;
    policyName: string;
    policyVersion: string;
    ruleId: string;
    riskCategory: string;
    riskSeverity: string;
    targetType: string;
    findingId: string;
  };
  /** values of the target-type attribute per event kind */
  targetTypes: {
    llmInput: string;
    llmOutput: string;
    toolCall: string;
    toolResult: string;
    userInput: string;
    reasoning: string;
  };
}

export const GUARDRAIL_CONVENTIONS = {
  /** semantic-conventions-genai#427 (open, successor of #262): run_guardrail + gen_ai.security.* */
  'genai-guardrail-427': {
    operationName: 'run_guardrail',
    findingEvent: 'gen_ai.security.finding',
    attributes: {
      guardrailId: 'gen_ai.security.guardrail.id',
      guardrailName: 'gen_ai.security.guardrail.name',
      guardrailVersion: 'gen_ai.security.guardrail.version',
      verdict: 'gen_ai.security.verdict.type',
      verdictReason: 'gen_ai.security.verdict.reason',
      action: 'gen_ai.security.action.type',
      policyId: 'gen_ai.security.policy.id',
      policyName: 'gen_ai.security.policy.name',
      policyVersion: 'gen_ai.security.policy.version',
      ruleId: 'gen_ai.security.policy.rule.id',
      riskCategory: 'gen_ai.security.risk.category',
      riskSeverity: 'gen_ai.security.risk.severity',
      targetType: 'gen_ai.security.target.type',
      findingId: 'gen_ai.security.external_finding_id',
    },
    targetTypes: {
      llmInput: 'llm_input',
      llmOutput: 'llm_output',
      toolCall: 'tool_call',
      toolResult: 'tool_result',
      userInput: 'llm_input',
      reasoning: 'llm_output',
    },
  },
  /** semantic-conventions#3233 (closed): apply_guardrail + gen_ai.guardian.* */
  'genai-guardian-3233': {
    operationName: 'apply_guardrail',
    findingEvent: 'gen_ai.security.finding',
    attributes: {
      guardrailId: 'gen_ai.guardian.id',
      guardrailName: 'gen_ai.guardian.name',
      guardrailVersion: 'gen_ai.guardian.version',
      verdict: 'gen_ai.security.decision.type',
      verdictReason: 'gen_ai.security.decision.reason',
      action: 'gen_ai.security.decision.type',
      policyId: 'gen_ai.security.policy.id',
      policyName: 'gen_ai.security.policy.name',
      policyVersion: 'gen_ai.security.policy.version',
      ruleId: 'gen_ai.security.rule.id',
      riskCategory: 'gen_ai.security.risk.category',
      riskSeverity: 'gen_ai.security.risk.severity',
      targetType: 'gen_ai.security.target.type',
      findingId: 'gen_ai.security.finding.id',
    },
    targetTypes: {
      llmInput: 'llm_input',
      llmOutput: 'llm_output',
      toolCall: 'tool_call',
      toolResult: 'tool_call',
      userInput: 'llm_input',
      reasoning: 'llm_output',
    },
  },
} as const satisfies Record<string, GuardrailConvention>;

export type GuardrailConventionVersion = keyof typeof GUARDRAIL_CONVENTIONS;

export const DEFAULT_GUARDRAIL_CONVENTION: GuardrailConventionVersion = 'genai-guardrail-427';

export function guardrailConvention(version: GuardrailConventionVersion = DEFAULT_GUARDRAIL_CONVENTION): GuardrailConvention {
  return GUARDRAIL_CONVENTIONS[version];
}

/** Standard GenAI evaluation event (semantic-conventions-genai events.yaml). */
export const EVALUATION_RESULT_EVENT = 'gen_ai.evaluation.result';
