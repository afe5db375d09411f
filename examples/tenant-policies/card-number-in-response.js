// Never let the agent read out something shaped like a payment card number (Luhn-checked).
export const on = ['agent.response', 'llm.response'];

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function evaluate(event) {
  const text = event.content;
  // linear scan, no backtracking regex: tenant code runs under a few-ms limit
  const re = /\d(?:[ -]?\d){12,18}/g;
  let m;
  while ((m = re.exec(text)) !== null) {
    const digits = m[0].replace(/[ -]/g, '');
    if (luhn(digits)) {
      return {
        violation: true,
        message: 'response contains a payment card number',
        severity: 'critical',
        classification: 'PII',
        action: 'modify',
        evidence: [{ field: 'content', start: m.index, end: m.index + m[0].length, excerpt: '****' + digits.slice(-4) }],
      };
    }
  }
  return { violation: false };
}
