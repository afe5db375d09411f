// SandboxError: why a tenant policy could not produce a verdict. Returned inside verdicts (never
// thrown on the evaluation path) so the engine can record it as a finding and fail closed.

export const SANDBOX_ERROR_CODES = [
  /** the evaluation ran past its wall-clock limit and was terminated */
  'timeout',
  /** the isolate went over its memory limit and was disposed */
  'memory_limit',
  /** the isolate was lost for another reason (catastrophic V8 error, disposed underneath us) */
  'isolate_crashed',
  /** `evaluate` threw */
  'threw',
  /** `evaluate` returned something that is not a verdict (wrong shape, promise, cycle, trap threw) */
  'bad_return',
  /** the verdict went over a size limit (message, evidence, keys) */
  'oversized_return',
  /** the child process died while this evaluation was in it */
  'child_crashed',
  /** the child process is restarting; nothing was evaluated */
  'child_unavailable',
  /** the tenant is quarantined by the circuit breaker; nothing was evaluated */
  'quarantined',
  'unknown_tenant',
  'unknown_policy',
  /** the host could not encode the event or context (cycle, BigInt, function) */
  'marshal_failed',
  /** the host was disposed */
  'disposed',
  /** a bug on the host side; never caused by tenant code alone */
  'internal',
] as const;

export type SandboxErrorCode = (typeof SANDBOX_ERROR_CODES)[number];

/** Codes that are the tenant's doing and count towards quarantine. */
const TENANT_FAULTS: ReadonlySet<SandboxErrorCode> = new Set<SandboxErrorCode>([
  'timeout',
  'memory_limit',
  'isolate_crashed',
  'threw',
  'bad_return',
  'oversized_return',
  'child_crashed',
]);

export function isTenantFault(code: SandboxErrorCode): boolean {
  return TENANT_FAULTS.has(code);
}

const MARKER = Symbol.for('cascade-runtime.error.SandboxError');

export interface SandboxErrorOptions {
  tenantId?: string | undefined;
  policy?: string | undefined;
  /** 1-based position inside the policy source, when the fault has one (a throw) */
  line?: number | undefined;
  column?: number | undefined;
  cause?: unknown;
}

export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly code: SandboxErrorCode;
  readonly tenantId: string | undefined;
  readonly policy: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  private readonly [MARKER] = true;

  constructor(code: SandboxErrorCode, message: string, options: SandboxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.tenantId = options.tenantId;
    this.policy = options.policy;
    this.line = options.line;
    this.column = options.column;
  }

  /** True for SandboxErrors from any copy of this package (works across realms and bundles). */
  static isInstance(value: unknown): value is SandboxError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** Plain data for crossing a process boundary or storing in a finding. */
  toJSON(): SerializedSandboxError {
    const out: SerializedSandboxError = { code: this.code, message: this.message };
    if (this.tenantId !== undefined) out.tenantId = this.tenantId;
    if (this.policy !== undefined) out.policy = this.policy;
    if (this.line !== undefined) out.line = this.line;
    if (this.column !== undefined) out.column = this.column;
    if (this.cause !== undefined) out.cause = describeCause(this.cause);
    return out;
  }

  static fromJSON(data: SerializedSandboxError): SandboxError {
    const code = (SANDBOX_ERROR_CODES as readonly string[]).includes(data.code) ? data.code : 'internal';
    return new SandboxError(code, data.message, {
      tenantId: data.tenantId,
      policy: data.policy,
      line: data.line,
      column: data.column,
      cause: data.cause,
    });
  }
}

export interface SerializedSandboxError {
  code: SandboxErrorCode;
  message: string;
  tenantId?: string;
  policy?: string;
  line?: number;
  column?: number;
  cause?: string;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
