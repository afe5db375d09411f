// Messages between the sandbox host and its child process (msgpack frames, see ipc-framing.ts).

import type { StreamEvent } from '../events/types.js';
import type { PolicyDiagnostic, PolicySource } from './diagnostics.js';
import type { BatchMarshalFormat, MarshalFormat } from './marshal.js';
import type { PolicyContext } from './policy-sdk.js';
import type { SerializedVerdict } from './verdict.js';

/** The numeric options the child's inline host runs with (passed as JSON in argv). */
export interface ChildOptions {
  memoryLimitMb: number;
  timeoutMs: number;
  loadTimeoutMs: number;
  maxWarmTenants: number;
  maxSourceBytes: number;
  maxPoliciesPerTenant: number;
  marshal: MarshalFormat;
  batchMarshal: BatchMarshalFormat;
}

export type ParentMessage =
  | { t: 'load'; id: number; tenantId: string; sources: PolicySource[] }
  | { t: 'eval'; id: number; tenantId: string; policy: string; event: StreamEvent; context: PolicyContext }
  | { t: 'batch'; id: number; tenantId: string; requests: { policy: string; event: StreamEvent; context: PolicyContext }[] }
  | { t: 'unload'; id: number; tenantId: string }
  | { t: 'ping'; id: number };

export interface LoadedPolicyInfo {
  name: string;
  version: string;
  on: string[] | null;
  onError: 'block' | 'allow';
}

export type ChildLoadReply = { ok: true; policies: LoadedPolicyInfo[] } | { ok: false; diagnostics: PolicyDiagnostic[] };

export type ChildMessage =
  | { t: 'ready'; pid: number }
  | { t: 'reply'; id: number; load?: ChildLoadReply; verdict?: SerializedVerdict; verdicts?: SerializedVerdict[]; done?: true; error?: string }
  | { t: 'fatal'; tenantId: string; message: string }
  | { t: 'replaced'; tenantId: string; reason: string };
