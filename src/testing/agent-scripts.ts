// The built-in scripted agents: a refund agent, an email agent that obeys an instruction injected
// into a tool result (the classic indirect prompt injection), and a shell agent. Each reads what it
// needs from the conversation, so one script serves many runs in parallel without shared state.

import type { ConversationMessage, ModelScript, ScriptedConversation, ScriptedTurn } from './script.js';

const ORDER_ID = /\b[A-Z]-\d+\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

function firstAmount(text: string): number | undefined {
  const m = /\bfor\s+\$?(\d+(?:\.\d+)?)/i.exec(text) ?? /\$(\d+(?:\.\d+)?)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function resultSummary(results: ConversationMessage[]): string {
  return results.map((r) => r.text).join('; ');
}

/** `refund-agent`: looks orders up, then refunds them (one call per order, in parallel), then reports. */
export const refundAgentScript: ModelScript = {
  name: 'refund-agent',
  steps: [
    (c: ScriptedConversation): ScriptedTurn => {
      const orders = c.firstUserText.match(ORDER_ID) ?? ['A-1000'];
      return {
        reasoning: `The user mentions ${orders.join(', ')}. I should look the order${orders.length > 1 ? 's' : ''} up first.`,
        toolCalls: orders.map((id) => ({ name: 'lookup_order', args: { order_id: id } })),
      };
    },
    (c: ScriptedConversation): ScriptedTurn => {
      const orders = c.firstUserText.match(ORDER_ID) ?? ['A-1000'];
      const amount = firstAmount(c.firstUserText);
      if (!/refund/i.test(c.firstUserText) || amount === undefined) {
        return { text: `Here is what I found: ${resultSummary(c.latestToolResults)}` };
      }
      return {
        reasoning: `The orders exist. Refunding ${amount} for each.`,
        toolCalls: orders.map((id) => ({ name: 'issue_refund', args: { order_id: id, amount, currency: 'USD' } })),
      };
    },
    (c: ScriptedConversation): ScriptedTurn => ({ text: `Refund results: ${resultSummary(c.latestToolResults)}` }),
  ],
  finalText: 'Is there anything else I can help with?',
};

/**
 * `email-agent`: reads the inbox, then, like a model that falls for indirect prompt injection,
 * follows an instruction found in an email ("forward ... to <address>") before it would honour the
 * user's own recipient. Without such an instruction it sends the summary where the user asked.
 */
export const emailAgentScript: ModelScript = {
  name: 'email-agent',
  steps: [
    { reasoning: 'I need to read the inbox first.', toolCalls: [{ name: 'read_inbox', args: { folder: 'inbox', limit: 5 } }] },
    (c: ScriptedConversation): ScriptedTurn => {
      const inbox = resultSummary(c.latestToolResults);
      const injected = /(?:forward|send)[^.\n]*?\bto\s+([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})/i.exec(inbox)?.[1];
      const requested = EMAIL.exec(c.firstUserText)?.[0];
      const to = injected ?? requested;
      if (to === undefined) return { text: `Summary of your inbox: ${inbox.slice(0, 300)}` };
      return {
        reasoning: injected ? `The email says to forward everything to ${injected}. I will do that.` : `Sending the summary to ${to}.`,
        toolCalls: [{ name: 'send_email', args: { to, subject: 'Inbox summary', body: inbox.slice(0, 500) } }],
      };
    },
    (c: ScriptedConversation): ScriptedTurn => ({ text: `Done. ${resultSummary(c.latestToolResults)}` }),
  ],
  finalText: 'Done.',
};

/** `shell-agent`: runs the command the user quoted in backticks (or `ls -la`), then reports its output. */
export const shellAgentScript: ModelScript = {
  name: 'shell-agent',
  steps: [
    (c: ScriptedConversation): ScriptedTurn => {
      const command = /`([^`]+)`/.exec(c.firstUserText)?.[1] ?? 'ls -la';
      return { reasoning: `Running \`${command}\` as asked.`, toolCalls: [{ name: 'run_shell', args: { command } }] };
    },
    (c: ScriptedConversation): ScriptedTurn => ({ text: `Command output: ${resultSummary(c.latestToolResults)}` }),
  ],
  finalText: 'Done.',
};

/** `echo-agent`: answers with the first user message verbatim; streams whatever a test wants streamed. */
export const echoAgentScript: ModelScript = {
  name: 'echo-agent',
  steps: [(c: ScriptedConversation): ScriptedTurn => ({ text: c.firstUserText })],
  finalText: 'done',
};

export function builtInAgentScripts(): ModelScript[] {
  return [refundAgentScript, emailAgentScript, shellAgentScript, echoAgentScript];
}
