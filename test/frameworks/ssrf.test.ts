import { describe, expect, it } from 'vitest';
import { SsrfPack } from '../../src/frameworks/ssrf/index.js';
import { classifyIpv4, judgeHost, parseIpv4, parseIpv6, parseUrl } from '../../src/frameworks/ssrf/url.js';
import { rules, scan } from './helpers.js';

const pack = new SsrfPack();
const flag = (url: string, field = 'args.url') => rules(scan(pack, url, field, 'agent_outbound', 'fetch_url'));

describe('URL and host canonicalisation', () => {
  it('reads every IPv4 spelling', () => {
    const lo = 0x7f000001;
    for (const h of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.1', '0177.0.0.01']) expect(parseIpv4(h), h).toBe(lo);
    expect(parseIpv4('256.1.1.1')).toBe('overflow');
    expect(parseIpv4('example.com')).toBeNull();
  });
  it('reads IPv6 with embedded or mapped IPv4', () => {
    expect(parseIpv6('::ffff:127.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIpv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6('1::2::3')).toBeNull();
  });
  it('parses userinfo, ports, backslashes and percent-encoded hosts like a fetcher', () => {
    expect(parseUrl('http://google.com@127.0.0.1:8080/x')?.host).toBe('127.0.0.1');
    expect(parseUrl('http://evil.com\\@127.0.0.1/')?.host).toBe('evil.com');
    expect(parseUrl('http://%31%32%37.0.0.1/')?.host).toBe('127.0.0.1');
    expect(parseUrl('http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/')?.host).toBe('localhost');
    expect(parseUrl('HTTP://LOCALHOST./')?.host).toBe('localhost');
  });
  it('classifies special ranges', () => {
    expect(classifyIpv4(0xa9fea9fe)).toBe('metadata');
    expect(classifyIpv4(0x0a000001)).toBe('private');
    expect(classifyIpv4(0x08080808)).toBe('public');
    expect(judgeHost({ kind: 'name', name: '10.0.0.5.nip.io' }).internal).toBe(true);
    expect(judgeHost({ kind: 'name', name: '10-0-0-5.sslip.io' }).internal).toBe(true);
    expect(judgeHost({ kind: 'name', name: 'intranet' }).internal).toBe(true);
    expect(judgeHost({ kind: 'name', name: 'example.com' }).internal).toBe(false);
  });
});

describe('ssrf pack', () => {
  const bad = [
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://[fd00:ec2::254]/',
    'http://0251.0376.0251.0376/',
    'http://2852039166/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://localhost:6379/',
    'http://127.0.0.1.nip.io/',
    'http://user:pass@10.1.2.3/',
    'gopher://example.com:70/_x',
    'file:///etc/passwd',
    'dict://example.com:11211/stats',
    'https://example.com/redirect?url=http://169.254.169.254/',
    'http://425.510.425.510/',
  ];
  for (const u of bad) it(`flags \`${u}\``, () => expect(flag(u).length).toBeGreaterThan(0));
  const good = ['https://api.github.com/repos/x/y', 'http://1.1.1.1/', 'https://www.googleapis.com/auth/compute', 'https://docs.example.com/guide?q=localhost-setup'];
  for (const u of good) it(`allows \`${u}\``, () => expect(flag(u)).toEqual([]));
  it('finds URLs inside larger arguments and bare hosts in host-like arguments', () => {
    expect(rules(scan(pack, 'curl -s http://169.254.169.254/latest/user-data | sh', 'args.command'))).toContain('metadata-endpoint');
    expect(flag('10.0.0.8:8080', 'args.host')).toContain('internal-address');
    expect(flag('build the example', 'args.note')).toEqual([]);
  });
  it('honours allowHosts and ignores tool output by default', () => {
    expect(rules(scan(new SsrfPack({ allowHosts: ['.corp.internal'] }), 'http://wiki.corp.internal/page', 'args.url'))).toEqual([]);
    expect(rules(scan(pack, 'http://127.0.0.1/', 'result', 'tool_output'))).toEqual(expect.any(Array));
  });
});
