// Limits that keep compilation bounded for any input: a DFA state budget (the contract's
// `pattern-too-complex`) and a work budget on NFA steps, so a pattern whose automaton would be
// huge is refused in bounded time instead of being built slowly.

export const DEFAULT_STATE_BUDGET = 10_000;
/** NFA states visited while determinizing; typical patterns use well under 1% of it */
export const DEFAULT_WORK_BUDGET = 20_000_000;

/** Thrown inside the determinizer and caught by the compiler; never escapes the module. */
export class AutomatonTooLarge extends Error {
  constructor(readonly limit: 'states' | 'work') {
    super(`automaton exceeds its ${limit} budget`);
    this.name = 'AutomatonTooLarge';
  }
}
