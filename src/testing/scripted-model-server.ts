// A local model server that plays scripted tool-calling conversations over real HTTP on loopback.
// It speaks enough of the OpenAI Chat Completions and Anthropic Messages APIs (JSON and SSE) for
// the official clients to talk to it unchanged, and validates conversations the way those APIs do,
// so a client that sends a dangling tool call gets the same 400 it would get in production.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtInAgentScripts } from './agent-scripts.js';
import { anthropicEvents, anthropicMessage, readAnthropicRequest } from './anthropic-wire.js';
import { openAIChunks, openAICompletion, readOpenAIRequest } from './openai-wire.js';
import { playStep, type ModelScript, type ScriptedConversation } from './script.js';

export interface ScriptedModelServerOptions {
  /** scripts selected by the request's `model`; defaults to the built-in agents */
  scripts?: ModelScript[];
  /** characters per streamed delta; small by default so secrets and arguments split across chunks */
  chunkSize?: number;
  /** pause between streamed events, in milliseconds */
  chunkDelayMs?: number;
}

export interface RecordedRequest {
  api: 'openai' | 'anthropic';
  path: string;
  body: Record<string, unknown>;
  /** the status the server answered */
  status: number;
  error?: string;
}

export interface ScriptedModelServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** pass as `baseURL` to `new OpenAI(...)` */
  openaiBaseURL: string;
  /** pass as `baseURL` to `new Anthropic(...)` */
  anthropicBaseURL: string;
  /** every request received, in arrival order */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startScriptedModelServer(options: ScriptedModelServerOptions = {}): Promise<ScriptedModelServer> {
  const scripts = new Map((options.scripts ?? builtInAgentScripts()).map((s) => [s.name, s]));
  const chunkSize = options.chunkSize ?? 5;
  const delay = options.chunkDelayMs ?? 0;
  const requests: RecordedRequest[] = [];
  let counter = 0;

  const writeEvent = async (res: ServerResponse, text: string): Promise<void> => {
    res.write(text);
    if (delay > 0) await sleep(delay);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const api = path.endsWith('/chat/completions') ? 'openai' : path.endsWith('/messages') ? 'anthropic' : undefined;
    if (req.method !== 'POST' || api === undefined) {
      sendJson(res, 404, { error: { message: `no route for ${req.method} ${path}`, type: 'not_found' } });
      return;
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('body must be a JSON object');
      body = parsed as Record<string, unknown>;
    } catch (e) {
      const message = `invalid JSON body: ${(e as Error).message}`;
      requests.push({ api, path, body: {}, status: 400, error: message });
      sendJson(res, 400, api === 'openai' ? { error: { message, type: 'invalid_request_error' } } : { type: 'error', error: { type: 'invalid_request_error', message } });
      return;
    }
    const read = api === 'openai' ? readOpenAIRequest(body) : readAnthropicRequest(body);
    const fail = (status: number, message: string): void => {
      requests.push({ api, path, body, status, error: message });
      sendJson(res, status, api === 'openai' ? { error: { message, type: 'invalid_request_error', param: null, code: null } } : { type: 'error', error: { type: 'invalid_request_error', message } });
    };
    if (!read.ok) return fail(400, read.message);
    const conversation: ScriptedConversation = read.conversation;
    const script = scripts.get(conversation.model);
    if (!script) return fail(404, `the model \`${conversation.model}\` does not exist (scripted models: ${[...scripts.keys()].join(', ')})`);
    let turn;
    try {
      turn = playStep(script, conversation);
    } catch (e) {
      return fail(500, `script \`${script.name}\` failed: ${(e as Error).message}`);
    }
    requests.push({ api, path, body, status: 200 });
    const id = `${api === 'openai' ? 'chatcmpl' : 'msg'}_scripted_${++counter}`;
    const size = turn.chunkSize ?? chunkSize;

    if (body['stream'] !== true) {
      sendJson(res, 200, api === 'openai' ? openAICompletion(conversation, turn, id) : anthropicMessage(conversation, turn, id));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    if (api === 'openai') {
      const streamOptions = body['stream_options'] as { include_usage?: boolean } | undefined;
      for (const chunk of openAIChunks(conversation, turn, id, size, streamOptions?.include_usage === true)) {
        if (chunk === null) break;
        await writeEvent(res, `data: ${chunk === '[DONE]' ? '[DONE]' : JSON.stringify(chunk)}\n\n`);
      }
    } else {
      for (const event of anthropicEvents(conversation, turn, id, size)) {
        if (event === null) break;
        await writeEvent(res, `event: ${String(event['type'])}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    }
    if (turn.fault === 'disconnect') {
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: (e as Error).message } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
