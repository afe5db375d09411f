// Exact string → index lookup for a fixed set of names (event kinds, a bundle's tools), on the hot
// path of every evaluation. A Map hashes the probe string, which for a fresh string (every event
// decoded from a model's JSON) walks all its characters first. The generated lookup instead
// switches on the length, then on the character codes at the positions that tell the remaining
// names apart, and ends in one full comparison: a few comparisons whatever the number of names.
// The generated text contains only integers and JSON string literals of the names, so a tool
// name cannot inject code. Where code generation from strings is disabled, a Map does the job.

export type StringDispatch = (s: string) => number;

/** Returns the index of `s` in `names`, or -1. Names must be distinct. */
export function compileStringDispatch(names: readonly string[]): StringDispatch {
  const byLength = new Map<number, number[]>();
  names.forEach((name, i) => {
    const group = byLength.get(name.length);
    if (group) group.push(i);
    else byLength.set(name.length, [i]);
  });
  const lines: string[] = ['switch (s.length) {'];
  for (const [length, group] of byLength) {
    lines.push(`case ${length}: {`);
    emitGroup(names, group, new Set(), lines);
    lines.push('}');
  }
  lines.push('}', 'return -1;');
  try {
    return new Function(`'use strict';\nreturn function lookup(s) {\n${lines.join('\n')}\n};`)() as StringDispatch;
  } catch {
    const map = new Map(names.map((n, i) => [n, i]));
    return (s) => map.get(s) ?? -1;
  }
}

/** Narrows `group` (names of one length) by the most telling position until one name remains. */
function emitGroup(names: readonly string[], group: readonly number[], used: Set<number>, lines: string[]): void {
  if (group.length === 1) {
    const i = group[0]!;
    lines.push(`return s === ${JSON.stringify(names[i])} ? ${i} : -1;`);
    return;
  }
  const length = names[group[0]!]!.length;
  let best = -1;
  let bestDistinct = 1;
  for (let pos = 0; pos < length; pos++) {
    if (used.has(pos)) continue;
    const distinct = new Set(group.map((i) => names[i]!.charCodeAt(pos))).size;
    if (distinct > bestDistinct) {
      best = pos;
      bestDistinct = distinct;
      if (distinct === group.length) break;
    }
  }
  // distinct names of equal length always differ somewhere not yet used
  const split = new Map<number, number[]>();
  for (const i of group) {
    const c = names[i]!.charCodeAt(best);
    const sub = split.get(c);
    if (sub) sub.push(i);
    else split.set(c, [i]);
  }
  const next = new Set(used).add(best);
  lines.push(`switch (s.charCodeAt(${best})) {`);
  for (const [code, sub] of split) {
    lines.push(`case ${code}: {`);
    emitGroup(names, sub, next, lines);
    lines.push('}');
  }
  lines.push('}', 'return -1;');
}
