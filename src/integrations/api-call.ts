// What the provider wrappers share around the client's own `create`: the promise they hand back
// keeps the client's `withResponse()` / `asResponse()` (the clients' stream helpers rely on them),
// requests are aborted when the run is halted, and a halt wins over whatever error it caused.

import { currentRunState, type Run } from '../sdk/run-context.js';
import { activeTracer, type Tracer } from '../sdk/tracer.js';

export interface ClientResponse<T> {
  data: T;
  response: Response;
  request_id?: string | null | undefined;
}

/** The promise the clients return: awaitable, plus access to the raw HTTP response. */
export interface ApiPromiseLike<T> {
  withResponse(): Promise<ClientResponse<T>>;
}

export type GuardedApiPromise<T> = Promise<T> & {
  withResponse(): Promise<ClientResponse<T>>;
  asResponse(): Promise<Response>;
};

export function guardedApiPromise<T>(inner: Promise<ClientResponse<T>>): GuardedApiPromise<T> {
  // Callers may use only one of the three views; none of the others may become an unhandled rejection.
  inner.catch(() => {});
  const data = inner.then((r) => r.data);
  data.catch(() => {});
  return Object.assign(data, {
    withResponse: () => inner,
    asResponse: () => inner.then((r) => r.response),
  });
}

/** One signal that aborts when either does. */
export function eitherSignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  if (!a) return b;
  const any = (AbortSignal as unknown as { any?: (signals: AbortSignal[]) => AbortSignal }).any;
  if (typeof any === 'function') return any([a, b]);
  const controller = new AbortController();
  const abort = (s: AbortSignal): void => controller.abort(s.reason);
  if (a.aborted) abort(a);
  else if (b.aborted) abort(b);
  else {
    a.addEventListener('abort', () => abort(a), { once: true });
    b.addEventListener('abort', () => abort(b), { once: true });
  }
  return controller.signal;
}

/** Request options with the run's abort signal added. */
export function withRunSignal(options: unknown, run: Run): Record<string, unknown> {
  const base = options && typeof options === 'object' ? { ...(options as Record<string, unknown>) } : {};
  const userSignal = base['signal'] instanceof AbortSignal ? base['signal'] : undefined;
  base['signal'] = eitherSignal(userSignal, run.signal);
  return base;
}

/** Deep copy of a request body, so rewrites never touch the caller's objects. */
export function cloneBody<T>(body: T): T {
  try {
    return structuredClone(body);
  } catch {
    return JSON.parse(JSON.stringify(body)) as T;
  }
}

export const WRAPPED = Symbol.for('cascade-runtime.wrapped');

type CreateBody = Record<string, unknown>;
type GuardedCreate = (tracer: Tracer, run: Run, original: (body: CreateBody, options?: unknown) => ApiPromiseLike<unknown>, body: CreateBody, options: unknown) => Promise<ClientResponse<unknown>>;

/**
 * Replaces `target.create` with a guarded version (once per target): without an active tracer it
 * calls the original; otherwise `guardedCreate` runs in the current run (or the tracer's default).
 */
export function patchCreate(target: CreateBody & { create: (body: CreateBody, options?: unknown) => ApiPromiseLike<unknown> }, guardedCreate: GuardedCreate): void {
  if (target[WRAPPED as unknown as string]) return;
  const original = target.create.bind(target);
  const guarded = function create(body: CreateBody, options?: unknown): unknown {
    const tracer = activeTracer();
    if (!tracer) return original(body, options);
    const run = currentRunState() ?? tracer.defaultRun();
    return guardedApiPromise(guardedCreate(tracer, run, original, body, options));
  };
  Object.defineProperty(target, 'create', { value: guarded, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(target, WRAPPED, { value: true });
}
