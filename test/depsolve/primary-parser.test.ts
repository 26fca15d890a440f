import { describe, expect, it } from 'vitest';
import { PrimaryHandler } from '../../layers/src/depsolve/metadata-parsers.ts';
import { PrimaryByteParser } from '../../layers/src/depsolve/primary-parser.ts';
import { DEP_KINDS, P_ARCH, P_EPOCH, P_NAME, P_RELEASE, P_SUMMARY, P_VERSION, type RepoIndex } from '../../layers/src/depsolve/repo-index.ts';
import { XmlScanner } from '../../layers/src/depsolve/xml-scanner.ts';
import { randomRepo, writePrimaryXml, type GenPackage } from './repo-generator.ts';
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
