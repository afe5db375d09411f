// MCP: wraps a Model Context Protocol client (the official `@modelcontextprotocol/sdk` Client, or
// anything with the same methods) so that every action it takes on a server goes through the same
// gate as a guarded tool. `callTool` is a `tool.call` decided before the request leaves, and its
// result a `tool.result` checked before the agent sees it; `readResource` and `getPrompt` are
// actions too (`resources/read`, `prompts/get`), and what they return is content from outside the
// agent, checked like any tool output (indirect prompt injection arrives there as well).
// Nothing here imports the SDK: the client is duck-typed, so the package stays optional.

import { guardTool } from '../sdk/guard-tool.js';
import { isToolDenial, type ToolDenial } from '../sdk/denial.js';

/** The client methods the guard wraps; any other member passes through unchanged. */
export interface McpClientLike {
  callTool(params: { name: string; arguments?: Record<string, unknown>; [key: string]: unknown }, ...rest: never[]): Promise<unknown>;
  readResource?(params: { uri: string; [key: string]: unknown }, ...rest: never[]): Promise<unknown>;
  getPrompt?(params: { name: string; arguments?: Record<string, string>; [key: string]: unknown }, ...rest: never[]): Promise<unknown>;
}

export interface GuardMcpOptions {
  /**
   * Names the server in tool names: with `server: 'github'`, the tool `create_issue` is
   * `github.create_issue` to policies, and resource reads are `github.resources/read`.
   * Without it, tools keep their MCP names.
   */
  server?: string;
  /**
   * what a denied `callTool` gives back: an MCP error result the model can read, or a thrown
   * `PolicyViolationError` (default: initTracing's `onToolDenied`). Denied resource reads and
   * prompt fetches always throw: they have no error-result shape.
   */
  onDeny?: 'return' | 'throw';
}

/** The `_meta` key under which a denial is attached to the error result that replaces a call. */
export const MCP_DENIAL_META = 'cascade-runtime/denial';

/** An MCP `CallToolResult` saying the call was not made (or its result withheld), and why. */
export function mcpDenialResult(denial: ToolDenial): { content: { type: 'text'; text: string }[]; isError: true; _meta: Record<string, unknown> } {
  return {
    content: [{ type: 'text', text: denial.error }],
    isError: true,
    _meta: { [MCP_DENIAL_META]: { status: denial.status, policy: denial.policy, reason: denial.reason, tool: denial.tool, callId: denial.callId } },
  };
}

function validName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`guardMcpClient: ${what} must be a non-empty string`);
  return name;
}

/**
 * Returns a view of `client` whose `callTool`, `readResource` and `getPrompt` are guarded. A call
 * a policy denies never reaches the server; the agent gets an MCP error result (`isError: true`)
 * naming the policy, so its conversation stays valid. A `modify` decision rewrites the arguments
 * sent, or the result returned. Outside `initTracing` the client runs unguarded (with one warning).
 */
export function guardMcpClient<C extends McpClientLike>(client: C, options: GuardMcpOptions = {}): C {
  if (client === null || typeof client !== 'object' || typeof client.callTool !== 'function') throw new TypeError('guardMcpClient: expected an MCP client with a callTool method');
  const prefix = options.server === undefined ? '' : `${validName(options.server, '`server`')}.`;
  // A guarded function per request: it closes over the request's own extra arguments (schema,
  // abort signal, timeouts), and the guard matches it to a decision made ahead when the model's
  // answer proposed this very call (same tool, same arguments), exactly as for guardTool.
  const callGuarded = (name: string, args: Record<string, unknown>, send: (args: Record<string, unknown>) => Promise<unknown>, onDeny = options.onDeny): Promise<unknown> =>
    guardTool<Record<string, unknown>, unknown>((a) => send(a), onDeny === undefined ? { name } : { name, onDeny })(args);
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'callTool') {
        return async (params: { name: string; arguments?: Record<string, unknown> }, ...rest: unknown[]): Promise<unknown> => {
          const name = validName(params?.name, 'the tool name');
          const out = await callGuarded(`${prefix}${name}`, params.arguments ?? {}, (args) => target.callTool.call(target, { ...params, arguments: args }, ...(rest as never[])));
          return isToolDenial(out) ? mcpDenialResult(out) : out;
        };
      }
      if (prop === 'readResource' && typeof target.readResource === 'function') {
        const read = target.readResource;
        return async (params: { uri: string }, ...rest: unknown[]): Promise<unknown> => {
          validName(params?.uri, 'the resource uri');
          // a read has no error-result shape: a denial throws PolicyViolationError
          return callGuarded(`${prefix}resources/read`, { uri: params.uri }, (args) => read.call(target, { ...params, uri: String(args.uri) }, ...(rest as never[])), 'throw');
        };
      }
      if (prop === 'getPrompt' && typeof target.getPrompt === 'function') {
        const get = target.getPrompt;
        return async (params: { name: string; arguments?: Record<string, string> }, ...rest: unknown[]): Promise<unknown> => {
          validName(params?.name, 'the prompt name');
          return callGuarded(
            `${prefix}prompts/get`,
            { name: params.name, arguments: params.arguments ?? {} },
            (args) => get.call(target, { ...params, name: String(args.name), arguments: (args.arguments ?? {}) as Record<string, string> }, ...(rest as never[])),
            'throw',
          );
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
