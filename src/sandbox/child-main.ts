// Entry point of the sandbox child process: an inline host driven over a msgpack pipe (fd 3).
// Evaluations use the async isolate API so the child's own thread stays free: that is what lets
// isolated-vm report a catastrophic isolate error, after which the child tells the parent which
// tenant caused it and aborts (the process is unrecoverable; the parent restarts it).

import { writeSync } from 'node:fs';
import net from 'node:net';
import type { ChildMessage, ChildOptions, LoadedPolicyInfo, ParentMessage } from './child-protocol.js';
import { encodeFrame, FrameReader } from './ipc-framing.js';
import { InlineHost } from './inline-host.js';
import { resolveOptions } from './options.js';
import { serializeVerdict } from './verdict.js';

const FD = 3;

function main(): void {
  const raw = process.argv[2];
  const childOptions = JSON.parse(raw ?? '{}') as ChildOptions;
  const socket = new net.Socket({ fd: FD, readable: true, writable: true });

  const send = (m: ChildMessage): void => {
    socket.write(encodeFrame(m));
  };

  const host = new InlineHost(
    resolveOptions({
      ...childOptions,
      onIncident: (i) => {
        if (i.type === 'isolate_replaced') send({ t: 'replaced', tenantId: i.tenantId, reason: i.reason });
      },
    }),
    {
      breaker: false,
      onCatastrophic: (tenantId, message) => {
        try {
          // synchronous: the process is about to abort and queued socket writes would be lost
          writeSync(FD, encodeFrame({ t: 'fatal', tenantId, message } satisfies ChildMessage));
        } catch {
          // the parent attributes by other means
        }
        process.abort();
      },
    },
  );

  const handle = async (m: ParentMessage): Promise<void> => {
    switch (m.t) {
      case 'ping':
        send({ t: 'reply', id: m.id, done: true });
        return;
      case 'load': {
        const r = await host.loadTenantPoliciesAsync(m.tenantId, m.sources);
        if (!r.ok) {
          send({ t: 'reply', id: m.id, load: r });
          return;
        }
        const status = host.tenantStatus(m.tenantId);
        const policies: LoadedPolicyInfo[] = (status?.policies ?? []).map((p) => {
          const compiled = host.compiledPolicy(m.tenantId, p.name);
          return {
            name: p.name,
            version: p.version,
            on: compiled?.on ? [...compiled.on] : null,
            onError: compiled?.onError ?? 'block',
          };
        });
        send({ t: 'reply', id: m.id, load: { ok: true, policies } });
        return;
      }
      case 'eval': {
        const v = await host.evaluateAsync(m.tenantId, m.policy, m.event, m.context);
        send({ t: 'reply', id: m.id, verdict: serializeVerdict(v) });
        return;
      }
      case 'batch': {
        const vs = await host.evaluateBatchAsync(m.tenantId, m.requests);
        send({ t: 'reply', id: m.id, verdicts: vs.map(serializeVerdict) });
        return;
      }
      case 'unload':
        host.unloadTenant(m.tenantId);
        send({ t: 'reply', id: m.id, done: true });
        return;
    }
  };

  const reader = new FrameReader(
    (frame) => {
      const m = frame as ParentMessage;
      handle(m).catch((e: unknown) => {
        send({ t: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) });
      });
    },
    () => process.exit(71),
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  // the parent went away: nothing left to serve
  socket.on('close', () => process.exit(0));
  socket.on('error', () => process.exit(0));
  send({ t: 'ready', pid: process.pid });
}

main();
