import { describe, expect, it } from 'vitest';
import { PrimaryHandler } from '../../layers/src/depsolve/metadata-parsers.ts';
import { PrimaryByteParser } from '../../layers/src/depsolve/primary-parser.ts';
import { DEP_KINDS, P_ARCH, P_EPOCH, P_NAME, P_RELEASE, P_SUMMARY, P_VERSION, type RepoIndex } from '../../layers/src/depsolve/repo-index.ts';
import { XmlScanner } from '../../layers/src/depsolve/xml-scanner.ts';
import { pkgId, randomRepo, writePrimaryXml, type GenPackage } from './repo-generator.ts';
import { craftedMain } from './scenarios.ts';

/** Everything the solver reads from an index, as plain strings. */
function dump(idx: RepoIndex): string[] {
  const out: string[] = [];
  for (let p = 0; p < idx.packageCount; p++) {
    const f = (k: number) => idx.fieldStr(p, k);
    const deps = DEP_KINDS.map((_, k) => {
      const [a, b] = idx.depRange(p, k);
      const list: string[] = [];
      for (let d = a; d < b; d++) list.push(`${idx.str(idx.depName(d))}|${idx.depFlags(d)}|${idx.depEvr(d) ? idx.str(idx.depEvr(d)) : ''}`);
      return list.sort().join(',');
    });
    out.push([f(P_NAME), idx.field(p, P_EPOCH), f(P_VERSION), f(P_RELEASE), f(P_ARCH), idx.info(p).checksum, idx.info(p).location, idx.info(p).sourcerpm, f(P_SUMMARY), ...deps].join(' ; '));
  }
  return out;
}

function both(xml: string, chunk: number): [string[], string[]] {
  const bytes = Buffer.from(xml);
  const byteParser = new PrimaryByteParser();
  for (let i = 0; i < bytes.length; i += chunk) byteParser.push(bytes.subarray(i, i + chunk));
  byteParser.end();
  const h = new PrimaryHandler();
  const sc = new XmlScanner(h);
  for (let i = 0; i < bytes.length; i += chunk) sc.writeBytes(bytes.subarray(i, i + chunk));
  sc.end();
  return [dump(byteParser.builder.finish({ revision: 'a' })), dump(h.builder.finish({ revision: 'b' }))];
}

const xmlOf = (packages: GenPackage[]) => {
  const parts: string[] = [];
  writePrimaryXml(packages, (s) => parts.push(s));
  return parts.join('');
};

describe('byte-level primary parser', () => {
  const tricky: GenPackage[] = [
    { name: 'amp&pkg', version: '1.0', release: '1', arch: 'x86_64', summary: 'a <b> & "c"', requires: ['foo & bar', 'x >= 1:2.0-3'], requiresPre: ['/bin/sh'], files: ['/usr/bin/a&b', '/etc/x'] },
    { name: 'rich', version: '2^git1', release: '1~rc', arch: 'noarch', requires: ['(a >= 1.0 with a < 2.0)', '(b if c else d)'], provides: ['config(rich) = 2'] },
  ];

  it.each([7, 100, 4096, 1 << 20])('agrees with the reference XML parser (chunks of %d bytes)', (chunk) => {
    const [a, b] = both(xmlOf([...craftedMain.packages, ...tricky]), chunk);
    expect(a).toEqual(b);
    expect(a.find((l) => l.startsWith('amp&pkg'))).toContain('a <b> & "c"');
  });

  it('stores checksums, locations and source rpms in unusual forms as the reference parser reads them', () => {
    const pkg = (name: string, over: Partial<GenPackage> = {}): GenPackage => ({ name, version: '1.0', release: '1.fc41', arch: 'x86_64', ...over });
    // Each package's XML edited by one replacement: [package, pattern, replacement].
    const edits: [GenPackage, RegExp, string][] = [
      [pkg('upper-hex'), /(<checksum[^>]*>)([0-9a-f]+)/, `$1${pkgId(pkg('upper-hex')).toUpperCase()}`],
      [pkg('sha1'), /<checksum[^<]*<\/checksum>/, `<checksum type="sha1" pkgid="YES">${'cd'.repeat(20)}</checksum>`],
      [pkg('untyped'), /<checksum type="sha256"/, '<checksum'],
      [pkg('spaced'), /(<checksum[^>]*>)([0-9a-f]+)/, '$1\n   $2  \n'],
      [pkg('bare-checksum'), /<checksum[^<]*<\/checksum>/, '<checksum type="sha256"/>'],
      [pkg('colon-type'), /<checksum type="sha256"/, '<checksum type="a:b"'],
      [pkg('Capital'), /href="[^"]*"/, 'href="Packages/c/Capital-1.0-1.fc41.x86_64.rpm"'],
      [pkg('based'), /<location href="[^"]*"/, '<location xml:base="http://mirror.invalid/" href="elsewhere/based.rpm"'],
      [pkg('no-location'), /<location[^>]*>/, ''],
      [pkg('epoch', { epoch: 3 }), /<rpm:sourcerpm>[^<]*/, '<rpm:sourcerpm>other-9-9.src.rpm'],
      [pkg('bare-srpm'), /<rpm:sourcerpm>[^<]*<\/rpm:sourcerpm>/, '<rpm:sourcerpm/>'],
      [pkg('prefixless'), /<rpm:sourcerpm>[^<]*/, '<rpm:sourcerpm>-1.0-1.fc41.src.rpm'],
      [pkg('amp-srpm'), /<rpm:sourcerpm>[^<]*/, '<rpm:sourcerpm>amp&amp;srpm-1.0-1.fc41.src.rpm'],
      [pkg('short-srpm'), /<rpm:sourcerpm>[^<]*/, '<rpm:sourcerpm>1.fc41.src.rpm'],
    ];
    const body = edits.map(([p, re, to]) => {
      const xml = xmlOf([p]);
      const edited = xml.replace(re, to);
      expect(edited).not.toBe(xml);
      return edited.slice(edited.indexOf('<package '), edited.lastIndexOf('</package>') + '</package>'.length);
    });
    const xml = xmlOf([]).replace('packages="0">', `packages="${edits.length}">\n${body.join('\n')}`);
    for (const chunk of [13, 1 << 20]) {
      const [a, b] = both(xml, chunk);
      expect(a).toEqual(b);
      expect(a).toHaveLength(edits.length);
    }
    const [a] = both(xml, 1 << 20);
    expect(a[0]).toContain(`sha256:${pkgId(pkg('upper-hex')).toUpperCase()}`);
    expect(a[1]).toContain(`sha1:${'cd'.repeat(20)}`);
    expect(a[7]).toContain('elsewhere/based.rpm');
    expect(a[9]).toContain('other-9-9.src.rpm');
    expect(a[12]).toContain('amp&srpm-1.0-1.fc41.src.rpm');
  });

  it('agrees on 30 random repositories', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const [a, b] = both(xmlOf(randomRepo(seed).packages), 997);
      expect(a).toEqual(b);
    }
  });

  it('rejects truncated and inconsistent metadata', () => {
    const xml = xmlOf(craftedMain.packages);
    const p = new PrimaryByteParser();
    p.push(Buffer.from(xml.slice(0, xml.length / 2)));
    expect(() => p.end()).toThrow(/unexpected end/);
    const r = new PrimaryByteParser();
    expect(() => r.push(Buffer.from(xml.replace(/flags="EQ"/, 'flags="XX"')))).toThrow(/unknown dependency flags/);
  });
});
