// At most 3 web searches per run; the engine passes per-tool counts in context.toolCalls.
export const on = ['tool.call'];

export function evaluate(event, context) {
  if (event.tool !== 'web_search') return { violation: false };
  const done = (context.toolCalls && context.toolCalls.web_search) || 0;
  if (done >= 3) {
    return { violation: true, message: `web_search budget of 3 per run used up (${done} calls)`, severity: 'medium', action: 'block' };
  }
  return { violation: false };
}
