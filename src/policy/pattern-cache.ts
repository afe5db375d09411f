// Compiled patterns by source text. Compilation costs milliseconds; explanations, redaction and the
// reference evaluator need the same DFAs again and again, so they share this bounded cache.

import { compilePattern, type Dfa } from './pattern/index.js';

const MAX_ENTRIES = 2048;
const cache = new Map<string, Dfa | null>();

/** The DFA for a pattern, or undefined when the pattern does not compile. */
export function cachedPattern(source: string): Dfa | undefined {
  let d = cache.get(source);
  if (d === undefined) {
    const r = compilePattern(source);
    d = r.ok ? r.dfa : null;
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    cache.set(source, d);
  }
  return d ?? undefined;
}
