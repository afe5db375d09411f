// The compiler's front door: sources → parse → AST → validate → lower → emit, never throwing on
// bad input. A bundle is immutable, versioned and content-hashed so engines can hot-swap it.

import { createHash } from 'node:crypto';
import type { Policy } from './ast.js';
import { DiagnosticSink, type Diagnostic } from './diagnostics.js';
import { lowerPolicies, type LoweredProgram } from './lower.js';
import { MAX_POLICIES, NAME_RE, parsePolicies, parsePolicy } from './parse-policy.js';
import { fromPlain, parseSource } from './source.js';
import { IMAGE_FORMAT, KERNEL_ABI_VERSION } from './bundle-format.js';

export const BUNDLE_VERSION = 1;

/** A policy file's text (YAML or JSON), or a builder-made policy object. */
export type PolicySource = { file?: string; text: string } | { file?: string; policy: object };

export interface Bundle {
  readonly bundleVersion: typeof BUNDLE_VERSION;
  readonly abiVersion: number;
  readonly imageFormat: number;
  /** sha-256 over the canonical policies: equal policy sets give equal hashes */
  readonly hash: string;
  readonly policies: readonly Policy[];
  /** per policy: short content hash, stable across formatting changes */
  readonly policyVersions: readonly string[];
  readonly program: LoweredProgram;
  readonly warnings: readonly Diagnostic[];
}

export type CompileResult =
  | { ok: true; bundle: Bundle; diagnostics: Diagnostic[] }
  | { ok: false; diagnostics: Diagnostic[] };

export function compilePolicies(sources: readonly PolicySource[]): CompileResult {
  const texts = new Map<string, string>();
  const list: unknown[] = Array.isArray(sources) ? sources : [];
  list.forEach((s, i) => {
    const src = s as { file?: unknown; text?: unknown } | null;
    if (src && typeof src === 'object' && typeof src.text === 'string')
      texts.set(typeof src.file === 'string' ? src.file : `<source ${i + 1}>`, src.text);
  });
  const sink = new DiagnosticSink(texts);
  const policies: Policy[] = [];
  try {
    (list as PolicySource[]).forEach((s, i) => {
      if (s === null || typeof s !== 'object') {
        sink.error('invalid-source', `source ${i + 1} is not a policy source`, undefined);
        return;
      }
      const file = typeof s.file === 'string' ? s.file : `<source ${i + 1}>`;
      if ('text' in s) {
        if (typeof s.text !== 'string') {
          sink.error('invalid-source', `source \`${file}\` has no text`, undefined);
          return;
        }
        policies.push(...parsePolicies(parseSource(file, s.text, sink), sink));
      } else if ('policy' in s && s.policy !== null && typeof s.policy === 'object') {
        const p = parsePolicy(fromPlain(s.policy, file), sink);
        if (p) policies.push(p);
      } else sink.error('invalid-source', `source \`${file}\` has neither \`text\` nor \`policy\``, undefined);
    });
    return assemble(policies, sink);
  } catch (err) {
    // a crash here is our bug, not the user's: report it as a diagnostic rather than throwing
    sink.error('internal-error', `the compiler failed: ${(err as Error)?.message ?? String(err)}`, undefined, {
      help: 'please report this with the policy that caused it',
    });
    return { ok: false, diagnostics: sink.items };
  }
}

/** Checks the whole set (size, unique names), lowers it and seals the bundle. */
function assemble(policies: Policy[], sink: DiagnosticSink): CompileResult {
  if (policies.length > MAX_POLICIES)
    sink.error('limit-exceeded', `a bundle holds at most ${MAX_POLICIES} policies; got ${policies.length}`, undefined);
  const seen = new Map<string, Policy>();
  for (const p of policies) {
    const prev = seen.get(p.name);
    if (prev) {
      const where = prev.span ? ` (first defined in \`${prev.span.file}\`)` : '';
      sink.error('duplicate-name', `policy name \`${p.name}\` is used twice${where}`, p.span, {
        help: 'policy names identify findings and must be unique',
        policy: p.name,
      });
    } else seen.set(p.name, p);
  }
  if (sink.hasErrors) return { ok: false, diagnostics: sink.items };
  const program = lowerPolicies(policies);
  const policyVersions = policies.map((p) => sha256(canonicalJson(stripSpans(p))).slice(0, 16));
  const hash = sha256(`cascade-bundle:${BUNDLE_VERSION}:${policyVersions.join(',')}`);
  const bundle: Bundle = Object.freeze({
    bundleVersion: BUNDLE_VERSION,
    abiVersion: KERNEL_ABI_VERSION,
    imageFormat: IMAGE_FORMAT,
    hash,
    policies,
    policyVersions,
    program,
    warnings: sink.items.filter((d) => d.severity === 'warning'),
  });
  return { ok: true, bundle, diagnostics: sink.items };
}

/** The default tenant of a `custom` policy that names none. */
export const DEFAULT_TENANT = 'default';

/** The tenant a `custom` policy's code runs as. */
export function tenantOf(p: Policy & { type: 'custom' }): string {
  return p.tenant ?? DEFAULT_TENANT;
}

/**
 * `base` with every `custom` policy of tenant `tenantId` replaced by `definitions`: the policy
 * shape of a `custom` policy (`name`, `code`, and optionally `on`, `on_error`, `severity`,
 * `message`, …), with `type` and `tenant` implied. Every other policy is kept as it is, so the
 * result is a new bundle (new hash) that differs from `base` only in that tenant's code. An
 * empty list removes the tenant's policies. Problems come back as diagnostics, never thrown.
 */
export function withTenantPolicies(base: Bundle, tenantId: string, definitions: readonly unknown[]): CompileResult {
  const sink = new DiagnosticSink(new Map());
  try {
    if (typeof tenantId !== 'string' || !NAME_RE.test(tenantId)) {
      sink.error('invalid-source', `tenant id ${JSON.stringify(String(tenantId)).slice(0, 140)} must be 1-128 letters, digits or ._:/- starting with a letter or digit`, undefined);
      return { ok: false, diagnostics: sink.items };
    }
    if (!Array.isArray(definitions)) {
      sink.error('invalid-source', 'tenant policies must be a list of policy definitions', undefined);
      return { ok: false, diagnostics: sink.items };
    }
    const kept = base.policies.filter((p) => !(p.type === 'custom' && tenantOf(p) === tenantId));
    const added: Policy[] = [];
    definitions.forEach((d, i) => {
      const file = `tenant:${tenantId}#${i + 1}`;
      if (d === null || typeof d !== 'object' || Array.isArray(d)) {
        sink.error('invalid-source', `tenant policy ${i + 1} is not an object`, undefined);
        return;
      }
      const def = d as Record<string, unknown>;
      for (const k of ['type', 'tenant'] as const) {
        if (def[k] !== undefined && def[k] !== (k === 'type' ? 'custom' : tenantId)) {
          sink.error('invalid-source', `tenant policy ${i + 1} sets \`${k}\` to ${JSON.stringify(def[k])}; tenant policies are \`custom\` policies of tenant \`${tenantId}\``, undefined);
          return;
        }
      }
      const p = parsePolicy(fromPlain({ ...def, type: 'custom', tenant: tenantId }, file), sink);
      if (p) added.push(p);
    });
    // names are one namespace for the whole engine; say so without telling this tenant where the
    // other policy lives (another tenant's, or the operator's file)
    const taken = new Set(kept.map((p) => p.name));
    for (const p of added) {
      if (taken.has(p.name)) {
        sink.error('duplicate-name', `policy name \`${p.name}\` is already in use`, p.span, {
          help: `policy names are unique across the whole engine: prefix a tenant's names, e.g. \`${tenantId}.${p.name}\``,
          policy: p.name,
        });
      }
    }
    if (sink.hasErrors) return { ok: false, diagnostics: sink.items };
    return assemble([...kept, ...added], sink);
  } catch (err) {
    sink.error('internal-error', `the compiler failed: ${(err as Error)?.message ?? String(err)}`, undefined, {
      help: 'please report this with the policy that caused it',
    });
    return { ok: false, diagnostics: sink.items };
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function stripSpans(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripSpans);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'span' && k !== 'keySpan') o[k] = stripSpans(x);
    return o;
  }
  return v;
}

/** JSON with sorted keys, so equal values hash equally. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v as object).sort();
  return `{${keys
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
