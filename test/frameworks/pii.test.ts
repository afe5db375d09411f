import { describe, expect, it } from 'vitest';
import { PiiPack, ibanValid, isIpv6, luhnValid, scanPii, ssnValid, PII_ENTITIES } from '../../src/frameworks/pii/index.js';
import { rules, scan } from './helpers.js';

const all = new Set(PII_ENTITIES);
const entities = (text: string): string[] => scanPii(text, all).map((h) => h.entity);

describe('pii: validators', () => {
  it('Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
  it('IBAN mod-97 and country length', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('DE8937040044053201300')).toBe(false);
  });
  it('SSN area/group/serial rules', () => {
    expect(ssnValid(123, 45, 6789)).toBe(true);
    expect(ssnValid(0, 45, 6789)).toBe(false);
    expect(ssnValid(666, 45, 6789)).toBe(false);
    expect(ssnValid(912, 45, 6789)).toBe(false);
  });
  it('IPv6 literal shapes', () => {
    expect(isIpv6('2001:db8::1')).toBe(true);
    expect(isIpv6('::ffff:192.0.2.1')).toBe(true);
    expect(isIpv6('10:30:00')).toBe(false);
  });
});

describe('pii: detection', () => {
  it('finds each entity with exact offsets', () => {
    const text = 'mail a.b@example.org, card 4111 1111 1111 1111, iban GB82 WEST 1234 5698 7654 32, ssn 123-45-6789, ip 192.168.10.4, call +1 (415) 555-0100';
    const hits = scanPii(text, all);
    expect(hits.map((h) => h.entity)).toEqual(['email', 'credit-card', 'iban', 'us-ssn', 'ip-address', 'phone']);
    expect(text.slice(hits[0]!.start, hits[0]!.end)).toBe('a.b@example.org');
    expect(text.slice(hits[1]!.start, hits[1]!.end)).toBe('4111 1111 1111 1111');
  });
  it('does not take dates, versions, postal codes, house numbers or invalid numbers as PII', () => {
    for (const text of ['on 2024-03-15 14:00 we met', 'version 1.2.3.4.5', 'ZIP 90210-1234', 'lives at 370 3911 Fourth Avenue', 'order 4111111111111112 shipped', 'ssn 000-12-3456', 'port 10:30:00']) {
      expect(entities(text), text).toEqual([]);
    }
  });
  it('defaults: modify for card/SSN/IBAN, record-only for contact data; configurable per entity', () => {
    const pack = new PiiPack();
    expect(scan(pack, 'card 4111111111111111')[0]?.action).toBe('modify');
    expect(scan(pack, 'write to a@b.co')[0]?.action).toBe('allow');
    const strict = new PiiPack({ actions: { email: 'modify' }, entities: ['email'] });
    expect(scan(strict, 'write to a@b.co card 4111111111111111').map((f) => [f.rule, f.action])).toEqual([['email', 'modify']]);
    expect(rules(scan(new PiiPack({ allowValues: ['a@b.co'] }), 'write to a@b.co'))).toEqual([]);
  });
});
