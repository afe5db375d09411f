// SQL statement splitter and a light statement reader: splits on `;` outside quotes ('…', "…",
// `…`, […]), comments (`--`, `#`, `/* … */`) and dollar quotes ($$…$$, $tag$…$tag$); then reads
// each statement's keywords to find DROP, TRUNCATE, DELETE/UPDATE without WHERE (or with an
// always-true WHERE), GRANT ALL. Never throws; linear in the input.

export interface SqlStatement {
  text: string;
  start: number;
  end: number;
  /** upper-case keywords/identifiers outside literals and comments, in order */
  tokens: string[];
}

const MAX_SQL = 200_000;

export function splitSql(src: string): SqlStatement[] {
  const s = src.length > MAX_SQL ? src.slice(0, MAX_SQL) : src;
  const out: SqlStatement[] = [];
  let start = 0;
  let tokens: string[] = [];
  let i = 0;
  const n = s.length;
  const flush = (end: number): void => {
    const text = s.slice(start, end);
    if (text.trim() !== '') out.push({ text, start, end, tokens });
    tokens = [];
  };
  while (i < n) {
    const c = s[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < n) {
        if (s[j] === '\\') {
          j += 2;
          continue;
        }
        if (s[j] === c) {
          if (s[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      if (c !== "'") tokens.push('"IDENT"');
      else tokens.push("'LIT'");
      i = j + 1;
      continue;
    }
    if (c === '[') {
      const e = s.indexOf(']', i + 1);
      tokens.push('"IDENT"');
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (c === '-' && s[i + 1] === '-') {
      const e = s.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(s[i - 1] as string))) {
      const e = s.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (c === '/' && s[i + 1] === '*') {
      const e = s.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i, i + 64));
      if (m !== null) {
        const e = s.indexOf(m[0], i + m[0].length);
        tokens.push("'LIT'");
        i = e < 0 ? n : e + m[0].length;
        continue;
      }
    }
    if (c === ';') {
      flush(i);
      i++;
      start = i;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$.]/.test(s[j] as string)) j++;
      tokens.push(s.slice(i, j).toUpperCase());
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9.]/.test(s[j] as string)) j++;
      tokens.push(s.slice(i, j));
      i = j;
      continue;
    }
    if (c === '=' || c === '*' || c === '(' || c === ')' || c === '<' || c === '>' || c === '!') tokens.push(c);
    i++;
  }
  flush(n);
  return out;
}

export interface SqlFinding {
  rule: 'sql-drop' | 'sql-truncate' | 'sql-delete-all' | 'sql-update-all' | 'sql-grant-all';
  statement: SqlStatement;
  detail: string;
}

const DROP_OBJECTS = new Set(['TABLE', 'DATABASE', 'SCHEMA', 'VIEW', 'INDEX', 'USER', 'ROLE', 'COLLECTION', 'KEYSPACE', 'TABLESPACE', 'MATERIALIZED', 'FUNCTION', 'PROCEDURE', 'TRIGGER', 'SEQUENCE']);

/** WHERE clause that is always true: `1=1`, `true`, `'a'='a'`, `1`. */
function tautology(tokens: readonly string[], whereAt: number): boolean {
  const a = tokens[whereAt + 1];
  const op = tokens[whereAt + 2];
  const b = tokens[whereAt + 3];
  const next = tokens[whereAt + 4];
  const ends = next === undefined || next === 'OR' || next === 'LIMIT' || next === 'ORDER' || next === 'RETURNING';
  if (a === 'TRUE' && (op === undefined || op === 'OR' || op === 'LIMIT' || op === 'RETURNING')) return true;
  if (a === '1' && (op === undefined || op === 'LIMIT' || op === 'RETURNING')) return true;
  return op === '=' && a !== undefined && a === b && (/^\d+$/.test(a) || a === "'LIT'" && false) && ends;
}

/** Destructive statements in a SQL text. */
export function analyzeSql(src: string): SqlFinding[] {
  const out: SqlFinding[] = [];
  for (const st of splitSql(src)) {
    const t = st.tokens;
    // skip a leading WITH … AS ( … ) CTE list roughly: find the main verb
    let k = 0;
    if (t[0] === 'WITH') {
      let depth = 0;
      for (k = 1; k < t.length; k++) {
        if (t[k] === '(') depth++;
        else if (t[k] === ')') depth--;
        else if (depth === 0 && (t[k] === 'DELETE' || t[k] === 'UPDATE' || t[k] === 'SELECT' || t[k] === 'INSERT')) break;
      }
    }
    const verb = t[k];
    if (verb === 'DROP' && DROP_OBJECTS.has(t[k + 1] ?? '')) {
      out.push({ rule: 'sql-drop', statement: st, detail: `DROP ${t[k + 1]}` });
    } else if (verb === 'TRUNCATE' && (t[k + 1] === 'TABLE' || t.length - k <= 3)) {
      out.push({ rule: 'sql-truncate', statement: st, detail: 'TRUNCATE' });
    } else if (verb === 'DELETE') {
      const from = t.indexOf('FROM', k);
      if (from < 0 || from > k + 3) continue;
      const where = t.indexOf('WHERE', k);
      if (where < 0) out.push({ rule: 'sql-delete-all', statement: st, detail: 'DELETE without WHERE' });
      else if (tautology(t, where)) out.push({ rule: 'sql-delete-all', statement: st, detail: 'DELETE with an always-true WHERE' });
    } else if (verb === 'UPDATE') {
      const set = t.indexOf('SET', k);
      if (set < 0) continue; // not a statement we understand (e.g. UPDATE STATISTICS)
      const where = t.indexOf('WHERE', set);
      if (where < 0 && !t.includes('CURRENT')) out.push({ rule: 'sql-update-all', statement: st, detail: 'UPDATE without WHERE' });
      else if (where >= 0 && tautology(t, where)) out.push({ rule: 'sql-update-all', statement: st, detail: 'UPDATE with an always-true WHERE' });
    } else if (verb === 'GRANT' && t[k + 1] === 'ALL') {
      out.push({ rule: 'sql-grant-all', statement: st, detail: 'GRANT ALL' });
    } else if (verb === 'ALTER' && t[k + 1] === 'TABLE' && t.includes('DROP')) {
      out.push({ rule: 'sql-drop', statement: st, detail: 'ALTER TABLE … DROP' });
    }
  }
  return out;
}

const SQL_VERBS = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*(select|insert|update|delete|drop|truncate|alter|create|grant|revoke|with|replace|merge|upsert)\b/i;

/** Does this text start like a SQL statement? */
export function looksLikeSql(text: string): boolean {
  return SQL_VERBS.test(text.length > 4096 ? text.slice(0, 4096) : text);
}
