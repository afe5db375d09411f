// Scripts for the local scripted model server: what a "model" answers at each step of a
// conversation. Scripts see the conversation normalized from either wire format, so one script
// plays identically behind the OpenAI and the Anthropic endpoint.

import type { JsonValue } from '../events/types.js';

/** One tool call the scripted model makes. `args` as a string is sent verbatim (lets a test send malformed JSON). */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  args: { [key: string]: JsonValue } | string;
}

/** Ways a streamed answer can go wrong on purpose, to prove the client side copes. */
export type StreamFault =
  /** the response ends cleanly in the middle of the last tool call's arguments, without a finish marker */
  | 'truncate'
  /** the connection is destroyed in the middle of the last tool call's arguments */
  | 'disconnect'
  /** the first tool call's id changes half-way through its argument deltas */
  | 'inconsistent';

export interface ScriptedTurn {
  text?: string;
  /** sent as an Anthropic `thinking` block, or as `reasoning_content` on the OpenAI endpoint */
  reasoning?: string;
  toolCalls?: ScriptedToolCall[];
  /** only applies to streamed answers */
  fault?: StreamFault;
  /** characters per streamed delta (text and tool arguments); defaults to the server's setting */
  chunkSize?: number;
}

export interface ConversationToolCall {
  id: string;
  name: string;
  /** raw argument text as the client sent it back */
  arguments: string;
}

export interface ConversationMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  /** all text of the message joined with newlines (tool results included) */
  text: string;
  toolCallId?: string;
  isError?: boolean;
  toolCalls?: ConversationToolCall[];
}

export interface ScriptedConversation {
  api: 'openai' | 'anthropic';
  model: string;
  messages: ConversationMessage[];
  /** number of assistant turns already in the conversation: the index of the step to play */
  step: number;
  /** text of the first user message */
  firstUserText: string;
  /** tool results since the last assistant turn, in order */
  latestToolResults: ConversationMessage[];
  toolNames: string[];
}

export type ScriptStep = ScriptedTurn | ((conversation: ScriptedConversation) => ScriptedTurn);

export interface ModelScript {
  /** the `model` name that selects this script */
  name: string;
  /** played in order, one per assistant turn; past the end the model answers `finalText` */
  steps: ScriptStep[];
  finalText?: string;
}

export function playStep(script: ModelScript, conversation: ScriptedConversation): ScriptedTurn {
  const step = script.steps[conversation.step];
  if (step === undefined) return { text: script.finalText ?? 'done' };
  return typeof step === 'function' ? step(conversation) : step;
}

export function argumentText(call: ScriptedToolCall): string {
  return typeof call.args === 'string' ? call.args : JSON.stringify(call.args);
}
