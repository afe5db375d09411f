// Placeholder values: what documentation and templates put where a credential would go.

export function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * True when a value looks made up for documentation rather than issued: masked runs (`xxxx`,
 * `****`), long runs of one character, alphabet or digit sequences (`abcdef`, `123456`), template
 * syntax (`${…}`, `{{…}}`, `<…>`), or the words example/placeholder/redacted/your.
 */
export function looksPlaceholder(text: string, start: number, end: number): boolean {
  let same = 1;
  let seq = 1;
  let x = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const lc = lower(c);
    if (lc === 120) {
      if (++x >= 4) return true;
    } else x = 0;
    if (i > start) {
      const p = text.charCodeAt(i - 1);
      same = c === p ? same + 1 : 1;
      const isAlnum = (lc >= 97 && lc <= 122) || (c >= 48 && c <= 57);
      seq = isAlnum && lower(c) === lower(p) + 1 ? seq + 1 : 1;
      if (same >= 7 || seq >= 6) return true;
    }
  }
  const v = text.slice(start, end).toLowerCase();
  return (
    v.includes('***') ||
    v.includes('###') ||
    v.endsWith('..') ||
    v.includes('\u2026') ||
    v.includes('here') ||
    periodic(text, start, end) ||
    v.includes('${') ||
    v.includes('$(') ||
    v.includes('{{') ||
    v.includes('}}') ||
    (v.includes('<') && v.includes('>')) ||
    v.includes('example') ||
    v.includes('placeholder') ||
    v.includes('redacted') ||
    v.includes('your_') ||
    v.includes('your-') ||
    v.includes('changeme') ||
    v.includes('dummy') ||
    v.includes('sample') ||
    v.includes('...')
  );
}

/** A run of 9+ characters repeating with period 2 or 3 (`123123123`, `abababab…`): typed by hand. */
function periodic(text: string, start: number, end: number): boolean {
  for (const period of [2, 3]) {
    let run = 0;
    for (let i = start + period; i < end; i++) {
      run = text.charCodeAt(i) === text.charCodeAt(i - period) ? run + 1 : 0;
      if (run + period >= 9) return true;
    }
  }
  return false;
}
