// Policies the integration tests run against (compiled by the real compiler at initTracing).

import { REFUND_POLICIES } from '../sdk/helpers.js';

export const SECRET = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';

export const AGENT_POLICIES = `${REFUND_POLICIES}
---
name: no-destructive-shell
type: rule
severity: critical
on: tool.call
when:
  all:
    - tool: run_shell
    - args.command: { pattern: 'rm\\s+-rf' }
action: block
message: destructive shell command
---
name: redact-secrets-in-prompts
type: rule
severity: high
on: llm.request
when:
  messages[*].content: { pattern: 'sk_live_[0-9A-Za-z]{16,}' }
action: modify
modify:
  redact: [{ field: 'messages[*].content', pattern: 'sk_live_[0-9A-Za-z]{16,}' }]
  replacement: '[REDACTED]'
---
name: redact-secrets-in-answers
type: rule
severity: high
on: llm.response
when: { content: { pattern: 'sk_live_[0-9A-Za-z]{16,}' } }
action: modify
modify:
  redact: [{ field: content, pattern: 'sk_live_[0-9A-Za-z]{16,}' }]
  replacement: '[REDACTED]'
---
name: no-codename
type: rule
severity: high
on: llm.response
when: { content: { contains: NIGHTJAR } }
action: prevent_response
message: the answer names an internal project
`;

export const HALT_SHELL = `
name: halt-on-destructive-shell
type: rule
severity: critical
on: tool.call
when:
  all:
    - tool: run_shell
    - args.command: { pattern: 'rm\\s+-rf' }
action: halt
message: destructive shell command
`;
