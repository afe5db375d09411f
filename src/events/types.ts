// StreamEvent: the one discriminated union every layer speaks (capture, engine, store, replay).

export const EVENT_KINDS = [
  'run.start',
  'llm.request',
  'llm.response',
  'tool.call',
  'tool.result',
  'reasoning',
  'agent.response',
  'run.end',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** Where an event's content came from; decides what is trusted. */
export type Direction =
  | 'user_input' // the user's own request: trusted
  | 'model_output' // produced by the model
  | 'tool_output' // tool results, retrieved documents, MCP resources: untrusted
  | 'agent_outbound'; // arguments the agent sends out (tool calls)

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface EventBase {
  runId: string;
  spanId?: string;
  parentSpanId?: string;
  agentId?: string;
  /** milliseconds since the epoch */
  time?: number;
  metadata?: Record<string, JsonValue>;
  direction?: Direction;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
  content: string;
  toolCallId?: string;
  name?: string;
}

export interface ToolSpec {
  name: string;
  description?: string;
  parameters?: JsonValue;
}

export interface ToolCallRequest {
  callId: string;
  tool: string;
  args: Record<string, JsonValue>;
}

export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  costUsd?: number;
}

export interface RunStartEvent extends EventBase {
  kind: 'run.start';
  name?: string;
  input?: string;
}
export interface LlmRequestEvent extends EventBase {
  kind: 'llm.request';
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[];
}
export interface LlmResponseEvent extends EventBase {
  kind: 'llm.response';
  model?: string;
  content: string;
  toolCalls?: ToolCallRequest[];
  reasoning?: string;
  usage?: TokenUsage;
}
export interface ToolCallEvent extends EventBase {
  kind: 'tool.call';
  tool: string;
  args: Record<string, JsonValue>;
  callId: string;
}
export interface ToolResultEvent extends EventBase {
  kind: 'tool.result';
  tool: string;
  callId: string;
  result?: JsonValue;
  error?: string;
  durationMs?: number;
}
export interface ReasoningEvent extends EventBase {
  kind: 'reasoning';
  text: string;
}
export interface AgentResponseEvent extends EventBase {
  kind: 'agent.response';
  content: string;
}
export interface RunEndEvent extends EventBase {
  kind: 'run.end';
  status?: 'ok' | 'error' | 'halted';
  error?: string;
}

export type StreamEvent =
  | RunStartEvent
  | LlmRequestEvent
  | LlmResponseEvent
  | ToolCallEvent
  | ToolResultEvent
  | ReasoningEvent
  | AgentResponseEvent
  | RunEndEvent;

/** The direction an event's content has unless the producer says otherwise. */
export function defaultDirection(kind: EventKind): Direction {
  switch (kind) {
    case 'run.start':
      return 'user_input';
    case 'llm.request':
      return 'agent_outbound';
    case 'tool.call':
      return 'agent_outbound';
    case 'tool.result':
      return 'tool_output';
    default:
      return 'model_output';
  }
}
