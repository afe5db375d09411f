// Before anything is timed, every peer must reach the same verdict as cascade on every event, and
// name the same violated rules: timing engines that decide differently would compare nothing.

import type { ToolCallEvent } from '../../src/events/types.js';
import type { Contender, EngineName, Verdict } from './peers.js';

export interface Agreement {
  events: number;
  denied: number;
  /** per peer: events on which verdict and violated rules match cascade's */
  agreeing: Partial<Record<EngineName, number>>;
  /** events the generator crafted to be denied that cascade did deny, and ordinary events it allowed */
  matchesConstruction: number;
}

export class DisagreementError extends Error {
  override readonly name = 'DisagreementError';
}

const key = (v: Verdict): string => (v === undefined ? 'allow' : `deny:${[...v].sort().join(',')}`);

/** Throws DisagreementError unless every contender matches cascade on every event; returns the tally and cascade's verdicts. */
export async function checkAgreement(
  contenders: readonly Contender[],
  events: readonly ToolCallEvent[],
  crafted: readonly boolean[],
): Promise<{ agreement: Agreement; isDenied: boolean[] }> {
  const reference = contenders.find((c) => c.engine === 'cascade');
  if (!reference) throw new Error('agreement needs the cascade contender');
  const truth: string[] = [];
  const isDenied: boolean[] = [];
  let denied = 0;
  let matchesConstruction = 0;
  for (let i = 0; i < events.length; i++) {
    const v = await reference.evaluate(events[i]!);
    truth.push(key(v));
    isDenied.push(v !== undefined);
    if (v !== undefined) denied++;
    if ((v !== undefined) === crafted[i]) matchesConstruction++;
  }
  const agreeing: Partial<Record<EngineName, number>> = { cascade: events.length };
  const problems: string[] = [];
  for (const c of contenders) {
    if (c === reference) continue;
    let same = 0;
    for (let i = 0; i < events.length; i++) {
      const got = key(await c.evaluate(events[i]!));
      if (got === truth[i]) same++;
      else if (problems.length < 5)
        problems.push(`event ${i} (${events[i]!.tool} ${JSON.stringify(events[i]!.args).slice(0, 200)}): cascade ${truth[i]}, ${c.engine} ${got}`);
    }
    agreeing[c.engine] = same;
  }
  const agreement = { events: events.length, denied, agreeing, matchesConstruction };
  if (problems.length > 0) throw new DisagreementError(`engines disagree:\n  ${problems.join('\n  ')}\n${JSON.stringify(agreement)}`);
  return { agreement, isDenied };
}
