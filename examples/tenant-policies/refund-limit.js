// Refunds above 500 need a human.
export const on = ['tool.call'];

export function evaluate(event) {
  if (event.tool !== 'issue_refund') return { violation: false };
  const amount = Number(event.args.amount);
  if (amount > 500) {
    return {
      violation: true,
      message: `refund of ${amount} exceeds the 500 limit`,
      severity: 'high',
      classification: 'financial',
      action: 'require_approval',
      evidence: [{ field: 'args.amount' }],
    };
  }
  return { violation: false };
}
