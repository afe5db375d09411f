// Connects `type: custom` policies in a bundle to the isolated-vm sandbox: loads each tenant's
// policies into its isolate when a bundle is installed, and answers the engine's synchronous
// custom-policy calls through the inline host. All the custom policies of one event go through
// `evaluateAll`, which encodes the event and its context once per tenant and mode.

import type { StreamEvent } from '../events/types.js';
import type { Policy } from '../policy/ast.js';
import type { Bundle } from '../policy/compile.js';
import type { Mode } from './decision.js';
import type { CustomPolicyCall, CustomPolicyDiagnostic, CustomPolicyEvaluator, CustomPolicyResult } from './engine.js';
import { tenantOf } from '../policy/compile.js';
import { sameSources, type PolicySource } from '../sandbox/diagnostics.js';
import type { InlineSandboxHost, RunContextForPolicies } from '../sandbox/host-types.js';
import type { SandboxVerdict } from '../sandbox/verdict.js';

/** A CustomPolicyEvaluator backed by a sandbox host (inline: the guard path is synchronous). */
export function sandboxEvaluator(host: InlineSandboxHost, options: { config?: Record<string, never> } = {}): CustomPolicyEvaluator {
  void options;
  /** per tenant, the sources of the bundle in force, as loaded into the host */
  const loaded = new Map<string, PolicySource[]>();
  return {
    prepare(bundle: Bundle) {
      const byTenant = new Map<string, PolicySource[]>();
      for (const p of bundle.policies) {
        if (p.type !== 'custom') continue;
        const t = tenantOf(p);
        const list = byTenant.get(t) ?? [];
        list.push({ name: p.name, code: p.code, onError: p.onError });
        byTenant.set(t, list);
      }
      const problems: string[] = [];
      const diagnostics: CustomPolicyDiagnostic[] = [];
      const changed: string[] = [];
      for (const [tenant, sources] of byTenant) {
        // the host keeps a tenant's warm isolate when its sources did not change, so a swap
        // rebuilds only what changed (and a tenant another engine reloaded on a shared host is
        // put back to this bundle's code)
        let r: ReturnType<InlineSandboxHost['loadTenantPolicies']>;
        try {
          r = host.loadTenantPolicies(tenant, sources);
        } catch (e) {
          // the host could not even start an isolate (out of memory, disposed): refuse like a compile error
          r = { ok: false, diagnostics: [{ code: 'load_crashed', message: `the sandbox could not load the tenant: ${(e as Error)?.message ?? String(e)}`, policy: sources[0]?.name ?? '', line: 0, column: 0 }] };
        }
        if (r.ok) {
          if (!sameSources(loaded.get(tenant), sources)) changed.push(tenant);
          continue;
        }
        for (const d of r.diagnostics) {
          problems.push(`custom policy \`${d.policy}\` (tenant \`${tenant}\`) ${d.line > 0 ? `line ${d.line}:${d.column}: ` : ''}${d.message}`);
          diagnostics.push({ tenant, policy: d.policy, code: d.code, message: d.message, line: d.line, column: d.column, ...(d.help !== undefined ? { help: d.help } : {}) });
        }
      }
      if (problems.length > 0) {
        // the bundle is refused, so the host goes back to the code of the bundle still in force
        for (const tenant of changed) {
          const before = loaded.get(tenant);
          let back = false;
          if (before !== undefined) {
            try {
              back = host.loadTenantPolicies(tenant, before).ok;
            } catch {
              back = false;
            }
          }
          // a tenant that cannot get its old code back is unloaded: its policies then fail per
          // their on_error, rather than running code from the refused bundle
          if (!back) host.unloadTenant(tenant);
        }
        return { ok: false, problems, diagnostics };
      }
      // tenants no longer in the bundle give their isolates back
      for (const tenant of loaded.keys()) if (!byTenant.has(tenant)) host.unloadTenant(tenant);
      loaded.clear();
      for (const [tenant, sources] of byTenant) loaded.set(tenant, sources);
      return { ok: true };
    },
    evaluate(policy: Policy & { type: 'custom' }, event: StreamEvent, ctx: { mode: Mode }): CustomPolicyResult {
      return toResult(host.evaluate(tenantOf(policy), policy.name, event, contextFor(event, ctx.mode)));
    },
    evaluateAll(calls: readonly CustomPolicyCall[], event: StreamEvent): CustomPolicyResult[] {
      const out: CustomPolicyResult[] = new Array(calls.length);
      // one host call per (tenant, mode); both are almost always the same for every policy
      const groups = new Map<string, { tenant: string; mode: Mode; at: number[]; names: string[] }>();
      calls.forEach((c, i) => {
        const tenant = tenantOf(c.policy);
        const key = `${c.mode}\u0000${tenant}`;
        let g = groups.get(key);
        if (g === undefined) groups.set(key, (g = { tenant, mode: c.mode, at: [], names: [] }));
        g.at.push(i);
        g.names.push(c.policy.name);
      });
      for (const g of groups.values()) {
        const verdicts = host.evaluatePolicies(g.tenant, g.names, event, contextFor(event, g.mode));
        g.at.forEach((i, k) => (out[i] = toResult(verdicts[k]!)));
      }
      return out;
    },
  };
}

/** The run context a custom policy sees for an event. */
function contextFor(event: StreamEvent, mode: Mode): RunContextForPolicies {
  return {
    runId: event.runId,
    mode,
    ...(event.agentId !== undefined ? { agentId: event.agentId } : {}),
    ...(event.metadata !== undefined ? { metadata: event.metadata } : {}),
    ...(event.time !== undefined ? { now: event.time } : {}),
  };
}

function toResult(v: SandboxVerdict): CustomPolicyResult {
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
}
