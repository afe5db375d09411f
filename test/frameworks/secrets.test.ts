import { describe, expect, it } from 'vitest';
import { SecretsPack, looksPlaceholder, secretNameKind } from '../../src/frameworks/secrets/index.js';
import { pseudoRandom, rules, scan } from './helpers.js';

const pack = new SecretsPack();

describe('secrets: provider formats', () => {
  const cases: [string, string][] = [
    ['github-token', 'ghp_' + pseudoRandom(1, 36)],
    ['github-token', 'github_pat_' + pseudoRandom(2, 82, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_')],
    ['aws-access-key-id', 'AKIA' + pseudoRandom(3, 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')],
    ['gcp-api-key', 'AIza' + pseudoRandom(4, 35, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_')],
    ['slack-token', `xoxb-${pseudoRandom(5, 12, '0123456789')}-${pseudoRandom(6, 13, '0123456789')}-${pseudoRandom(7, 24)}`],
    ['stripe-key', 'sk_live_' + pseudoRandom(8, 24)],
    ['anthropic-key', 'sk-ant-api03-' + pseudoRandom(9, 93, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-')],
    ['openai-key', 'sk-proj-' + pseudoRandom(10, 120, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-')],
    ['npm-token', 'npm_' + pseudoRandom(11, 36)],
    ['huggingface-token', 'hf_' + pseudoRandom(12, 34, 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ')],
  ];
  for (const [id, token] of cases) {
    it(`finds ${id} in prose and in config syntax`, () => {
      expect(rules(scan(pack, `please use ${token} for the deploy`))).toContain(id);
      expect(scan(pack, `TOKEN="${token}"`)[0]?.rule).toBe(id);
    });
  }

  it('masks the secret in evidence and defaults to modify', () => {
    const token = 'ghp_' + pseudoRandom(20, 36);
    const [f] = scan(pack, `token ${token} here`);
    expect(f?.action).toBe('modify');
    expect(f?.evidence.excerpt).not.toContain(token);
    expect(f?.evidence.start).toBe(6);
    expect(f?.evidence.end).toBe(6 + token.length);
    expect(f?.classification).toContain('LLM02');
  });

  it('finds private keys, URL credentials and JWTs', () => {
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${pseudoRandom(30, 64)}\n${pseudoRandom(31, 64)}\n-----END RSA PRIVATE KEY-----`;
    expect(rules(scan(pack, pem))).toContain('private-key');
    expect(rules(scan(pack, `postgres://app:${pseudoRandom(32, 16)}@db.internal:5432/prod`))).toContain('url-credentials');
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: '1234567890', name: 'someone', iat: 1516239022 })}.${pseudoRandom(33, 43)}`;
    expect(rules(scan(pack, `Authorization: Bearer ${jwt}`))).toContain('jwt');
  });

  it('finds secret-named assignments in many syntaxes', () => {
    const v = pseudoRandom(40, 32);
    for (const text of [`api_key = "${v}"`, `"client_secret": "${v}"`, `export SERVICE_TOKEN=${v}`, `var fooToken string = "${v}"`, `<authToken>\n  ${v}\n</authToken>`, `System.setProperty("DB_PASSWORD", "${v}")`, `password: '${v}'`]) {
      expect(rules(scan(pack, text)), text).toContain('generic-secret-assignment');
    }
  });
});

describe('secrets: benign look-alikes', () => {
  const benign = [
    'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    'AKIAIOSFODNN7EXAMPLE',
    'api_key = "${API_KEY}"',
    'password: required',
    'token_url = "https://example.com/oauth/token"',
    'public_key = "' + pseudoRandom(50, 40) + '"',
    'const keyStr = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"',
    'The session token expired; sign in again.',
    'commit 9f2c1e7a4b3d5f6e8a9b0c1d2e3f4a5b6c7d8e9f',
    'curl -u "$USER:$PASS" https://example.com',
    'sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnopby56aaaogaopaaaabc123xyzAA',
    'password = var.db_password',
  ];
  for (const text of benign) it(`does not flag \`${text.slice(0, 48)}\``, () => expect(scan(pack, text)).toEqual([]));

  it('recognises placeholder values and secret names', () => {
    expect(looksPlaceholder('xxxx-1234', 0, 9)).toBe(true);
    expect(looksPlaceholder('abcdef123', 0, 9)).toBe(true);
    expect(looksPlaceholder(pseudoRandom(60, 30), 0, 30)).toBe(false);
    expect(secretNameKind('OP_SERVICE_ACCOUNT_TOKEN')).toBe('secret');
    expect(secretNameKind('dbPassword')).toBe('password');
    expect(secretNameKind('token_url')).toBeNull();
    expect(secretNameKind('schemaKey')).toBeNull();
  });

  it('honours allowValues and disabledRules', () => {
    const token = 'ghp_' + pseudoRandom(70, 36);
    expect(scan(new SecretsPack({ allowValues: [token] }), `x ${token}`)).toEqual([]);
    expect(scan(new SecretsPack({ disabledRules: ['github-token'], assignments: false }), `x ${token}`)).toEqual([]);
    expect(scan(new SecretsPack({ actions: { 'github-token': 'block' } }), `x ${token}`)[0]?.action).toBe('block');
  });
});

