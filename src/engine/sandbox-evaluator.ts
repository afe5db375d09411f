// Connects `type: custom` policies in a bundle to the isolated-vm sandbox: loads each tenant's
// policies into its isolate when a bundle is installed, and answers the engine's synchronous
// custom-policy calls through the inline host.

import type { StreamEvent } from '../events/types.js';
import type { Policy } from '../policy/ast.js';
import type { Bundle } from '../policy/compile.js';
import type { Mode } from './decision.js';
import type { CustomPolicyEvaluator, CustomPolicyResult } from './engine.js';
import type { InlineSandboxHost } from '../sandbox/host-types.js';

export const DEFAULT_TENANT = 'default';

/** A CustomPolicyEvaluator backed by a sandbox host (inline: the guard path is synchronous). */
export function sandboxEvaluator(host: InlineSandboxHost, options: { config?: Record<string, never> } = {}): CustomPolicyEvaluator {
  void options;
  return {
    prepare(bundle: Bundle) {
      const byTenant = new Map<string, { name: string; code: string; onError: 'block' | 'allow' }[]>();
      for (const p of bundle.policies) {
        if (p.type !== 'custom') continue;
        const t = p.tenant ?? DEFAULT_TENANT;
        const list = byTenant.get(t) ?? [];
        list.push({ name: p.name, code: p.code, onError: p.onError });
        byTenant.set(t, list);
      }
      const problems: string[] = [];
      for (const [tenant, sources] of byTenant) {
        const r = host.loadTenantPolicies(tenant, sources);
        if (!r.ok)
          for (const d of r.diagnostics)
            problems.push(`custom policy \`${d.policy}\` (tenant \`${tenant}\`) ${d.line > 0 ? `line ${d.line}:${d.column}: ` : ''}${d.message}`);
      }
      return problems.length === 0 ? { ok: true } : { ok: false, problems };
    },
    evaluate(policy: Policy & { type: 'custom' }, event: StreamEvent, ctx: { mode: Mode }): CustomPolicyResult {
      const v = host.evaluate(policy.tenant ?? DEFAULT_TENANT, policy.name, event, {
        runId: event.runId,
        mode: ctx.mode,
        ...(event.agentId !== undefined ? { agentId: event.agentId } : {}),
        ...(event.metadata !== undefined ? { metadata: event.metadata } : {}),
        ...(event.time !== undefined ? { now: event.time } : {}),
      });
      if (v.status === 'error') return { status: 'error', message: `sandbox ${v.error.code}: ${v.error.message}` };
      if (!v.violation) return { status: 'ok', violation: false };
      return {
        status: 'ok',
        violation: true,
        message: v.message,
        ...(v.severity !== undefined ? { severity: v.severity } : {}),
        ...(v.classification !== undefined ? { classification: v.classification } : {}),
        ...(v.action !== undefined ? { action: v.action } : {}),
        evidence: v.evidence,
      };
    },
  };
}
