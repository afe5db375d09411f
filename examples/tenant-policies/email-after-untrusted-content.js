// Do not email an address that only appeared in untrusted tool output (prompt-injection exfiltration).
export const on = ['tool.call'];

export function evaluate(event, context) {
  if (event.tool !== 'send_email') return { violation: false };
  const to = String(event.args.to || '');
  const history = context.history || [];
  let inUntrusted = false;
  let fromUser = false;
  for (const e of history) {
    const text = e.kind === 'tool.result' ? JSON.stringify(e.result || '') : e.kind === 'run.start' ? String(e.input || '') : '';
    if (!text.includes(to)) continue;
    if (e.kind === 'tool.result') inUntrusted = true;
    if (e.kind === 'run.start') fromUser = true;
  }
  if (inUntrusted && !fromUser) {
    return {
      violation: true,
      message: `recipient \`${to}\` came only from untrusted tool output`,
      severity: 'high',
      classification: 'OWASP-LLM01',
      action: 'block',
      evidence: [{ field: 'args.to', excerpt: to }],
    };
  }
  return { violation: false };
}
