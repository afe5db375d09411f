import { describe, expect, it } from 'vitest';
import { SecretsPack, looksPlaceholder, secretNameKind } from '../../src/frameworks/secrets/index.js';
import { scanKubernetesSecrets } from '../../src/frameworks/secrets/kubernetes-secret.js';
import { incompleteTokenTest, maskedAfter, randomEnough, readsAsCamelWords } from '../../src/frameworks/secrets/plausibility.js';
import { PROVIDER_PATTERNS } from '../../src/frameworks/secrets/provider-patterns.js';
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

// An age secret key encoded here from its definition (BIP-173 bech32, hrp `age-secret-key-`),
// independently of the pack's validator, so the checksum check is tested against the spec.
function ageKey(seed: number): string {
  const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  const polymod = (values: number[]): number => {
    let chk = 1;
    for (const v of values) {
      const top = chk >>> 25;
      chk = ((chk & 0x1ffffff) << 5) ^ v;
      for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i]!;
    }
    return chk >>> 0;
  };
  const hrp = 'age-secret-key-';
  const expanded = [...hrp].map((c) => c.charCodeAt(0) >> 5).concat([0], [...hrp].map((c) => c.charCodeAt(0) & 31));
  const bytes = Array.from(pseudoRandom(seed, 32, '0123456789abcdefghijklmnopqrstuv'), (c) => (c.charCodeAt(0) * 37 + seed) & 0xff);
  const data: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      data.push((acc >> bits) & 31);
    }
  }
  if (bits > 0) data.push((acc << (5 - bits)) & 31);
  const mod = polymod(expanded.concat(data, [0, 0, 0, 0, 0, 0])) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${data.concat(checksum).map((v) => charset[v]).join('')}`.toUpperCase();
}

describe('secrets: age keys are checked as bech32', () => {
  it('finds a well-formed key and rejects a wrong checksum or a placeholder body', () => {
    for (const seed of [1, 2, 3]) {
      const key = ageKey(seed);
      expect(key).toHaveLength(16 + 58);
      expect(rules(scan(pack, `AGE_KEY=${key}`))).toContain('age-secret-key');
      // one character changed: the checksum no longer holds
      const last = key.at(-1) === 'Q' ? 'P' : 'Q';
      expect(rules(scan(pack, `AGE_KEY=${key.slice(0, -1)}${last}`))).not.toContain('age-secret-key');
    }
    expect(rules(scan(pack, `AGE_KEY=AGE-SECRET-KEY-1${'Q'.repeat(58)}`))).not.toContain('age-secret-key');
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


describe('secrets: plausibility after a match', () => {
  const digits = '0123456789';
  const hex = '0123456789abcdef';

  it('Slack tokens need long numeric ids and a random last part', () => {
    const good = `xoxp-${pseudoRandom(80, 11, digits)}-${pseudoRandom(81, 10, digits)}-${pseudoRandom(82, 11, digits)}-${pseudoRandom(83, 32, hex)}`;
    expect(rules(scan(pack, good))).toContain('slack-token');
    expect(scan(pack, `xoxp-4821-9034-7716-${pseudoRandom(83, 32, hex)}`)).toEqual([]);
    expect(scan(pack, `xoxb-${pseudoRandom(84, 5, digits)}-${pseudoRandom(85, 9)}`)).toEqual([]);
  });

  it('a token followed by a mask or an ellipsis was shown shortened', () => {
    const ids = `xoxp-${pseudoRandom(86, 11, digits)}-${pseudoRandom(87, 10, digits)}-${pseudoRandom(88, 11, digits)}`;
    expect(scan(pack, `"t": "${ids}-${'#'.repeat(12)}"`)).toEqual([]);
    expect(scan(pack, `export SERVICE_TOKEN=ops_${pseudoRandom(89, 30)}...`)).toEqual([]);
    expect(scan(pack, `use ${'ghp_' + pseudoRandom(90, 36)}** next`)).toEqual([]);
    expect(maskedAfter('abc…', 3)).toBe(true);
    expect(maskedAfter('abc.', 3)).toBe(false);
  });

  it('Sourcegraph tokens are sgp_ [instance_] 40 hex digits', () => {
    expect(rules(scan(pack, 'sgp_local_' + pseudoRandom(91, 40, hex + 'ABCDEF')))).toContain('sourcegraph-token');
    expect(rules(scan(pack, `sgp_${pseudoRandom(92, 16, hex)}_${pseudoRandom(93, 40, hex)}`))).toContain('sourcegraph-token');
    expect(scan(pack, 'sgp_' + pseudoRandom(94, 40, 'ghijklmnopqrstuvwxyz0123456789'))).toEqual([]);
  });

  it('an Azure client secret ends after its 31-34 characters', () => {
    const secret = `${pseudoRandom(95, 3)}8Q~${pseudoRandom(96, 34)}`;
    expect(rules(scan(pack, `"${secret}"`))).toContain('azure-client-secret');
    expect(rules(scan(pack, `x,${secret}~${pseudoRandom(97, 3)},y`))).not.toContain('azure-client-secret');
  });

  it('a body much less random than an issued token is typed', () => {
    expect(randomEnough(pseudoRandom(98, 40), 0, 40)).toBe(true);
    expect(randomEnough(pseudoRandom(99, 32, hex), 0, 32)).toBe(true);
    expect(randomEnough('ab'.repeat(10) + 'c'.repeat(20), 0, 40)).toBe(false);
    expect(randomEnough('short', 0, 5)).toBe(true);
  });

  it('assignments: provider-prefixed stubs and identifiers are not secrets', () => {
    const incomplete = incompleteTokenTest(PROVIDER_PATTERNS);
    const stub = 'ghp_' + pseudoRandom(100, 20);
    expect(incomplete(stub, 0, stub.length)).toBe(true);
    const full = 'ghp_' + pseudoRandom(101, 36);
    expect(incomplete(full, 0, full.length)).toBe(false);
    const bot = `${pseudoRandom(102, 3, digits)}:A${pseudoRandom(103, 34)}`;
    expect(incomplete(bot, 0, bot.length)).toBe(true);
    expect(scan(pack, `auth_token = "${stub}"`)).toEqual([]);
    expect(rules(scan(pack, `auth_token = "${pseudoRandom(104, 24)}"`))).toContain('generic-secret-assignment');
    expect(readsAsCamelWords('AccessTokenProviderFactory42', 0, 28)).toBe(true);
    expect(readsAsCamelWords(pseudoRandom(105, 40), 0, 40)).toBe(false);
    expect(scan(pack, 'service_token: "Ref42:AccessTokenProviderFactory"')).toEqual([]);
  });

  it('passwords may be words: the identifier rule does not apply to them', () => {
    expect(rules(scan(pack, 'db_password = "CorrectHorseBatteryStaple7"'))).toContain('generic-secret-assignment');
  });
});

describe('secrets: Kubernetes Secret manifests', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const spans = (text: string): string[] => {
    const out: [number, number][] = [];
    scanKubernetesSecrets(text, out);
    return out.map(([s, e]) => text.slice(s, e));
  };
  const value = b64(pseudoRandom(110, 18));

  it('reports data values of a Secret, in either key order, quoted or block scalars', () => {
    expect(spans(`apiVersion: v1\nkind: Secret\ndata:\n  token: ${value}\n`)).toEqual([value]);
    expect(spans(`apiVersion: v1\ndata:\n\tpassword: "${value}"\nkind: secret\n`)).toEqual([value]);
    expect(spans(`kind: Secret\ndata:\n  cfg: |\n    ${value}\n`)).toEqual([value]);
    // binary content: runs of A are zero bytes, not a placeholder
    const binary = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0x91, 0x3c, 0xfe, 0x11, 0x42, 0x07]).toString('base64');
    expect(spans(`kind: Secret\ndata:\n  key.der: ${binary}\n`)).toEqual([binary]);
  });

  it('keeps the kind and the data in one document and block', () => {
    expect(spans(`kind: Secret\nmetadata:\n  name: a\n---\nkind: ConfigMap\ndata:\n  token: ${value}\n`)).toEqual([]);
    expect(spans(`kind: Secret\ndata:\n  a: ''\nmetadata:\n  labels:\n    other: ${value}\n`)).toEqual([]);
  });

  it('skips templates, masks, placeholders and values too short to be credentials', () => {
    expect(spans('kind: Secret\ndata:\n  password: {{ .Values.password }}\n')).toEqual([]);
    expect(spans(`kind: Secret\ndata:\n  flag: ${b64('yes')}\n`)).toEqual([]);
    expect(spans(`kind: Secret\ndata:\n  password: ${b64('changeme')}\n`)).toEqual([]);
  });
});
