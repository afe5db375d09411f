// Per-tenant circuit breaker. `threshold` faults inside a sliding window open it (quarantine):
// the tenant's policies are not run and fail per their on_error. After the cool-down one
// evaluation is let through as a probe; success closes the breaker, a fault re-opens it with a
// doubled cool-down (up to 16×). Loading new code for the tenant resets it.

export interface BreakerOptions {
  threshold: number;
  windowMs: number;
  cooldownMs: number;
  clock: () => number;
}

export type BreakerGate = { state: 'closed' } | { state: 'probe' } | { state: 'open'; until: number };

export type FaultOutcome = { tripped: false } | { tripped: true; until: number; faults: number };

interface TenantBreaker {
  faults: number[];
  openUntil: number;
  /** consecutive quarantines without a successful probe; sets the cool-down multiplier */
  strikes: number;
  probing: boolean;
}

const MAX_MULTIPLIER = 16;

export class CircuitBreaker {
  private readonly tenants = new Map<string, TenantBreaker>();

  constructor(private readonly options: BreakerOptions) {}

  private get(tenantId: string): TenantBreaker {
    let t = this.tenants.get(tenantId);
    if (t === undefined) {
      t = { faults: [], openUntil: 0, strikes: 0, probing: false };
      this.tenants.set(tenantId, t);
    }
    return t;
  }

  gate(tenantId: string): BreakerGate {
    const t = this.tenants.get(tenantId);
    if (t === undefined || t.openUntil === 0) return { state: 'closed' };
    const now = this.options.clock();
    if (now < t.openUntil || t.probing) return { state: 'open', until: t.openUntil };
    t.probing = true;
    return { state: 'probe' };
  }

  /** Returns true when this success lifted a quarantine. */
  recordSuccess(tenantId: string): boolean {
    const t = this.tenants.get(tenantId);
    if (t === undefined) return false;
    if (t.probing) {
      t.probing = false;
      t.openUntil = 0;
      t.strikes = 0;
      t.faults = [];
      return true;
    }
    return false;
  }

  /** A probe that ended without a verdict either way (e.g. child unavailable): let another through. */
  releaseProbe(tenantId: string): void {
    const t = this.tenants.get(tenantId);
    if (t !== undefined) t.probing = false;
  }

  recordFault(tenantId: string): FaultOutcome {
    const t = this.get(tenantId);
    const now = this.options.clock();
    if (t.probing) {
      t.probing = false;
      t.strikes = Math.min(t.strikes + 1, Math.log2(MAX_MULTIPLIER));
      t.openUntil = now + this.options.cooldownMs * 2 ** t.strikes;
      return { tripped: true, until: t.openUntil, faults: t.faults.length + 1 };
    }
    const from = now - this.options.windowMs;
    t.faults = t.faults.filter((x) => x > from);
    t.faults.push(now);
    if (t.openUntil === 0 && t.faults.length >= this.options.threshold) {
      t.openUntil = now + this.options.cooldownMs;
      return { tripped: true, until: t.openUntil, faults: t.faults.length };
    }
    return { tripped: false };
  }

  /** Until when the tenant is quarantined, or undefined. */
  quarantinedUntil(tenantId: string): number | undefined {
    const t = this.tenants.get(tenantId);
    return t === undefined || t.openUntil === 0 ? undefined : t.openUntil;
  }

  faultCount(tenantId: string): number {
    const t = this.tenants.get(tenantId);
    if (t === undefined) return 0;
    const from = this.options.clock() - this.options.windowMs;
    return t.faults.filter((x) => x > from).length;
  }

  reset(tenantId: string): void {
    this.tenants.delete(tenantId);
  }
}
