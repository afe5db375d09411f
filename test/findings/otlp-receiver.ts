// A real OTLP/HTTP trace receiver on loopback for the exporter tests. It decodes the OTLP JSON
// the OpenTelemetry exporter sends and counts every span id it accepted, so a test can assert
// "all arrived, none twice". It can be down (nothing listening: connection refused), answer
// 503, answer per request through a callback, or accept.

import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SpanRecord } from '../../src/findings/span-record.js';
import { otelTraceId } from '../../src/findings/span-record.js';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  resource: Record<string, unknown>;
}

export type Responder = (spans: ReceivedSpan[]) => number;

interface OtlpAnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: { key: string; value: OtlpAnyValue }[] };
}
type OtlpKeyValue = { key: string; value: OtlpAnyValue };

export class OtlpReceiver {
  /** accepted span id → times accepted */
  readonly accepted = new Map<string, number>();
  readonly spans: ReceivedSpan[] = [];
  readonly statuses: number[] = [];
  readonly headers: IncomingHttpHeaders[] = [];
  respond: Responder = () => 200;
  private server: Server | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get duplicates(): number {
    let n = 0;
    for (const c of this.accepted.values()) if (c > 1) n += c - 1;
    return n;
  }

  /** Starts listening (on the fixed port, so the exporter's URL stays valid across outages). */
  async up(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops open connections: new connections are refused. */
  async down(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.headers.push(req.headers);
    let spans: ReceivedSpan[];
    try {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).includes('application/json')) {
        throw new Error(`unexpected request ${req.method} ${req.url} ${req.headers['content-type']}`);
      }
      spans = decode(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch (err) {
      this.statuses.push(400);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
      return;
    }
    const status = this.respond(spans);
    this.statuses.push(status);
    if (status >= 200 && status < 300) {
      for (const s of spans) {
        this.accepted.set(s.spanId, (this.accepted.get(s.spanId) ?? 0) + 1);
        this.spans.push(s);
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    } else {
      res.writeHead(status, { 'content-type': 'text/plain' }).end('unavailable');
    }
  }
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function decode(body: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  const resourceSpans = (body as { resourceSpans?: unknown[] }).resourceSpans;
  if (!Array.isArray(resourceSpans)) throw new Error('no resourceSpans');
  for (const rs of resourceSpans as { resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[]) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const spanId = s['spanId'];
        const traceId = s['traceId'];
        if (typeof spanId !== 'string' || !/^[0-9a-f]{16}$/.test(spanId)) throw new Error(`bad span id ${String(spanId)}`);
        if (typeof traceId !== 'string' || !/^[0-9a-f]{32}$/.test(traceId)) throw new Error(`bad trace id ${String(traceId)}`);
        const span: ReceivedSpan = {
          traceId,
          spanId,
          name: String(s['name']),
          kind: Number(s['kind']),
          attributes: attrs(s['attributes'] as OtlpKeyValue[] | undefined),
          events: ((s['events'] as { name: string; attributes?: OtlpKeyValue[] }[] | undefined) ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
          resource,
        };
        if (typeof s['parentSpanId'] === 'string' && s['parentSpanId'] !== '') span.parentSpanId = s['parentSpanId'];
        out.push(span);
      }
    }
  }
  return out;
}

function attrs(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = value(kv.value);
  return out;
}

function value(v: OtlpAnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(value);
  if (v.kvlistValue !== undefined) return attrs(v.kvlistValue.values);
  return undefined;
}

/** `count` distinct execute_tool spans, as the SDK would hand them to the exporter. */
export function syntheticSpans(count: number, prefix: string, t0 = Date.now()): SpanRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    traceId: otelTraceId(prefix),
    spanId: `${prefix}-${i}`,
    runId: `${prefix}-run`,
    operation: 'execute_tool' as const,
    name: 'execute_tool lookup_order',
    kind: 'internal' as const,
    startTime: t0 + i,
    endTime: t0 + i + 1,
    status: { code: 'ok' as const },
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order', 'cascade.seq': i },
    events: [],
  }));
}
