/**
 * Test-repository generator: writes repodata (repomd.xml, primary, filelists, comps) for made-up packages, with real
 * checksums and gz / xz / zstd compression, plus a seeded generator of random repositories.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';

export interface GenPackage {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  arch: string;
  provides?: string[];
  requires?: string[];
  /** Requires(pre). */
  requiresPre?: string[];
  conflicts?: string[];
  obsoletes?: string[];
  recommends?: string[];
  suggests?: string[];
  supplements?: string[];
  enhances?: string[];
  /** Every file; those matching createrepo's primary patterns also go to primary.xml. */
  files?: string[];
  summary?: string;
  license?: string;
}

export interface GenGroup {
  id: string;
  name?: string;
  packages: { name: string; type?: 'mandatory' | 'default' | 'optional' | 'conditional'; requires?: string }[];
}
export interface GenEnvironment {
  id: string;
  name?: string;
  groups: string[];
  optionalGroups?: string[];
}

export interface GenRepo {
  packages: GenPackage[];
  groups?: GenGroup[];
  environments?: GenEnvironment[];
}

export type GenCompression = 'gz' | 'xz' | 'zst' | 'none';

export interface WriteOptions {
  compression?: GenCompression;
  /** Write filelists.xml (default true). */
  filelists?: boolean;
}

const PRIMARY_FILE_RE = /^(\/etc\/|.*bin\/|\/usr\/lib\/sendmail$)/;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const OPS: Record<string, string> = { '=': 'EQ', '<': 'LT', '>': 'GT', '<=': 'LE', '>=': 'GE' };

/** `name [op [E:]V[-R]]` or a rich dependency → an rpm:entry element. */
export function depEntry(dep: string, pre = false): string {
  const preAttr = pre ? ' pre="1"' : '';
  if (dep.startsWith('(')) return `<rpm:entry name="${esc(dep)}"${preAttr}/>`;
  const m = /^(\S+)\s*(<=|>=|=|<|>)\s*(\S+)$/.exec(dep.trim());
  if (!m) return `<rpm:entry name="${esc(dep.trim())}"${preAttr}/>`;
  let evr = m[3];
  let epoch = '0';
  const c = evr.indexOf(':');
  if (c > 0) {
    epoch = evr.slice(0, c);
    evr = evr.slice(c + 1);
  }
  const d = evr.lastIndexOf('-');
  const ver = d >= 0 ? evr.slice(0, d) : evr;
  const rel = d >= 0 ? ` rel="${esc(evr.slice(d + 1))}"` : '';
  return `<rpm:entry name="${esc(m[1])}" flags="${OPS[m[2]]}" epoch="${epoch}" ver="${esc(ver)}"${rel}${preAttr}/>`;
}

export function pkgId(p: GenPackage): string {
  return createHash('sha256').update(`${p.name}-${p.epoch ?? 0}:${p.version}-${p.release}.${p.arch}`).digest('hex');
}

export function pkgNevra(p: GenPackage): string {
  return `${p.name}-${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}.${p.arch}`;
}

export function pkgLocation(p: GenPackage): string {
  return `Packages/${p.name[0]}/${p.name}-${p.version}-${p.release}.${p.arch}.rpm`;
}

/** primary.xml for the packages, written chunk by chunk to `write`. */
export function writePrimaryXml(packages: GenPackage[], write: (s: string) => void): void {
  write(`<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="${packages.length}">\n`);
  for (const p of packages) write(primaryPackageXml(p));
  write('</metadata>\n');
}

export function primaryPackageXml(p: GenPackage): string {
  const parts: string[] = [];
  const section = (tag: string, deps: string[] | undefined, pre?: string[]) => {
    const all = [...(pre ?? []).map((d) => depEntry(d, true)), ...(deps ?? []).map((d) => depEntry(d))];
    if (all.length) parts.push(`      <rpm:${tag}>\n        ${all.join('\n        ')}\n      </rpm:${tag}>\n`);
  };
  const provides = [`${p.name} = ${p.epoch ? `${p.epoch}:` : ''}${p.version}-${p.release}`, ...(p.provides ?? [])];
  section('provides', provides);
  section('requires', p.requires, p.requiresPre);
  section('conflicts', p.conflicts);
  section('obsoletes', p.obsoletes);
  section('suggests', p.suggests);
  section('recommends', p.recommends);
  section('supplements', p.supplements);
  section('enhances', p.enhances);
  const files = (p.files ?? []).filter((f) => PRIMARY_FILE_RE.test(f)).map((f) => `      <file>${esc(f)}</file>\n`).join('');
  return `<package type="rpm">
  <name>${esc(p.name)}</name>
  <arch>${p.arch}</arch>
  <version epoch="${p.epoch ?? 0}" ver="${esc(p.version)}" rel="${esc(p.release)}"/>
  <checksum type="sha256" pkgid="YES">${pkgId(p)}</checksum>
  <summary>${esc(p.summary ?? `The ${p.name} package`)}</summary>
  <description>${esc(p.summary ?? `The ${p.name} package`)} &amp; more.</description>
  <packager>Test</packager>
  <url>https://example.invalid/${esc(p.name)}</url>
  <time file="1700000000" build="1700000000"/>
  <size package="1234" installed="4321" archive="4500"/>
  <location href="${esc(pkgLocation(p))}"/>
  <format>
    <rpm:license>${esc(p.license ?? 'MIT')}</rpm:license>
    <rpm:vendor/>
    <rpm:group>Unspecified</rpm:group>
    <rpm:buildhost>localhost</rpm:buildhost>
    <rpm:sourcerpm>${esc(p.name)}-${esc(p.version)}-${esc(p.release)}.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="5000"/>
${parts.join('')}${files}  </format>
</package>
`;
}

export function filelistsXml(packages: GenPackage[]): string {
  const out = [`<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="${packages.length}">\n`];
  for (const p of packages) {
    out.push(`<package pkgid="${pkgId(p)}" name="${esc(p.name)}" arch="${p.arch}">\n  <version epoch="${p.epoch ?? 0}" ver="${esc(p.version)}" rel="${esc(p.release)}"/>\n`);
    for (const f of p.files ?? []) out.push(`  <file>${esc(f)}</file>\n`);
    out.push('</package>\n');
  }
  out.push('</filelists>\n');
  return out.join('');
}

export function compsXml(repo: GenRepo): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">\n<comps>\n'];
  for (const g of repo.groups ?? []) {
    out.push(`  <group>\n    <id>${esc(g.id)}</id>\n    <name>${esc(g.name ?? g.id)}</name>\n    <name xml:lang="de">${esc(g.name ?? g.id)} (de)</name>\n    <description>Group ${esc(g.id)}</description>\n    <default>false</default>\n    <uservisible>true</uservisible>\n    <packagelist>\n`);
    for (const p of g.packages) {
      const req = p.requires ? ` requires="${esc(p.requires)}"` : '';
      out.push(`      <packagereq type="${p.type ?? 'mandatory'}"${req}>${esc(p.name)}</packagereq>\n`);
    }
    out.push('    </packagelist>\n  </group>\n');
  }
  for (const e of repo.environments ?? []) {
    out.push(`  <environment>\n    <id>${esc(e.id)}</id>\n    <name>${esc(e.name ?? e.id)}</name>\n    <description>Environment ${esc(e.id)}</description>\n    <display_order>1</display_order>\n    <grouplist>\n`);
    for (const g of e.groups) out.push(`      <groupid>${esc(g)}</groupid>\n`);
    out.push('    </grouplist>\n    <optionlist>\n');
    for (const g of e.optionalGroups ?? []) out.push(`      <groupid>${esc(g)}</groupid>\n`);
    out.push('    </optionlist>\n  </environment>\n');
  }
  out.push('</comps>\n');
  return out.join('');
}

export function compress(data: Buffer, kind: GenCompression): Buffer {
  switch (kind) {
    case 'none':
      return data;
    case 'gz':
      return zlib.gzipSync(data, { level: 6 });
    case 'xz':
      return execFileSync('xz', ['-c', '-6'], { input: data, maxBuffer: 1 << 30 });
    case 'zst': {
      const native = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
      if (native) return native(data);
      return execFileSync('zstd', ['-c', '-q', '-3'], { input: data, maxBuffer: 1 << 30 });
    }
  }
}

const EXT: Record<GenCompression, string> = { gz: '.gz', xz: '.xz', zst: '.zst', none: '' };

export interface RecordFile {
  type: string;
  /** Uncompressed content. */
  data: Buffer;
  compression: GenCompression;
}

/** Write files under repodata/ and a repomd.xml describing them; returns repomd.xml's bytes. */
export function writeRepodata(dir: string, records: RecordFile[], revision = '1700000000'): Buffer {
  const repodata = join(dir, 'repodata');
  rmSync(repodata, { recursive: true, force: true });
  mkdirSync(repodata, { recursive: true });
  const data: string[] = [];
  for (const r of records) {
    const packed = compress(r.data, r.compression);
    const sum = createHash('sha256').update(packed).digest('hex');
    const openSum = createHash('sha256').update(r.data).digest('hex');
    const base = r.type.replace(/_(gz|xz|zst)$/, '');
    const fname = `${sum}-${base === 'group' ? 'comps' : base}.xml${EXT[r.compression]}`;
    writeFileSync(join(repodata, fname), packed);
    data.push(`  <data type="${r.type}">
    <checksum type="sha256">${sum}</checksum>
${r.compression !== 'none' ? `    <open-checksum type="sha256">${openSum}</open-checksum>\n` : ''}    <location href="repodata/${fname}"/>
    <timestamp>1700000000</timestamp>
    <size>${packed.length}</size>
${r.compression !== 'none' ? `    <open-size>${r.data.length}</open-size>\n` : ''}  </data>
`);
  }
  const repomd = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>${revision}</revision>
${data.join('')}</repomd>
`);
  writeFileSync(join(repodata, 'repomd.xml'), repomd);
  return repomd;
}

/** Write a whole repository. */
export function writeRepo(dir: string, repo: GenRepo, opts: WriteOptions = {}): Buffer {
  const c = opts.compression ?? 'gz';
  const primary: string[] = [];
  writePrimaryXml(repo.packages, (s) => primary.push(s));
  const records: RecordFile[] = [{ type: 'primary', data: Buffer.from(primary.join('')), compression: c }];
  if (opts.filelists !== false) records.push({ type: 'filelists', data: Buffer.from(filelistsXml(repo.packages)), compression: c });
  if (repo.groups?.length || repo.environments?.length) {
    const comps = Buffer.from(compsXml(repo));
    records.push({ type: 'group', data: comps, compression: 'none' });
    if (c !== 'none') records.push({ type: `group_${c}`, data: comps, compression: c });
  }
  return writeRepodata(dir, records);
}

// ------------------------------------------------------------------ randomized repositories

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomRepoOptions {
  names?: number;
  /** Probability of a feature per package. */
  conflicts?: number;
  obsoletes?: number;
  weak?: number;
  rich?: number;
}

export interface RandomRepo extends GenRepo {
  /** Install requests to try on it. */
  requests: string[][];
}

/**
 * A random repository: names p00..pNN with 1-3 versions, virtual provides shared by several names, versioned
 * requires, file requires, some conflicts / obsoletes / weak and rich dependencies, one group; dependencies point to
 * higher-numbered names mostly (no deep cycles) so that most requests are solvable.
 */
export function randomRepo(seed: number, opts: RandomRepoOptions = {}): RandomRepo {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const n = opts.names ?? 8 + Math.floor(r() * 18);
  const names = Array.from({ length: n }, (_, i) => `p${String(i).padStart(2, '0')}`);
  const virtuals = ['vcap-a', 'vcap-b', 'vcap-c', 'libv.so.1'];
  const packages: GenPackage[] = [];
  const versionsOf = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const name = names[i];
    const nv = 1 + Math.floor(r() * 3);
    const vers: string[] = [];
    for (let v = 0; v < nv; v++) vers.push(`${1 + v}.${Math.floor(r() * 3)}`);
    versionsOf.set(name, vers);
    for (const ver of vers) {
      const p: GenPackage = { name, version: ver, release: `${1 + Math.floor(r() * 2)}.fc40`, arch: r() < 0.3 ? 'noarch' : 'x86_64' };
      if (r() < 0.08) p.epoch = 1;
      const req: string[] = [];
      const nreq = Math.floor(r() * 3);
      for (let k = 0; k < nreq; k++) {
        // Mostly forward references keep the graph acyclic-ish.
        const j = i + 1 + Math.floor(r() * Math.max(1, n - i - 1));
        if (j >= n) continue;
        const target = names[j];
        const tv = versionsOf.get(target);
        if (r() < 0.25) req.push(`${target} >= ${tv ? pick(tv) : '1.0'}`);
        else if (r() < 0.1) req.push(`${target} < 2.0`);
        else req.push(target);
      }
      if (r() < 0.25) req.push(pick(virtuals));
      if (r() < 0.08) req.push(`/usr/share/${names[Math.min(n - 1, i + 1 + Math.floor(r() * 3))]}/data`);
      if (r() < 0.06) req.push(`/usr/bin/${names[Math.min(n - 1, i + 1 + Math.floor(r() * 3))]}`);
      if (r() < 0.03) req.push('missing-thing');
      if (r() < (opts.rich ?? 0.06)) {
        const a = pick(names);
        const b = pick(names);
        req.push(pick([`(${a} or ${b})`, `(${a} if ${b})`, `(${a} >= 1.0 with ${a} < 3.0)`, `(${a} and ${b})`]));
      }
      if (r() < 0.15) p.requiresPre = [names[Math.min(n - 1, i + 1)]];
      p.requires = req.filter((x) => !x.startsWith(name + ' ') && x !== name);
      if (r() < 0.2) p.provides = [pick(virtuals)];
      if (r() < (opts.conflicts ?? 0.06)) p.conflicts = [pick(names)].filter((x) => x !== name);
      if (r() < (opts.obsoletes ?? 0.05)) {
        const t = pick(names);
        if (t !== name) p.obsoletes = [r() < 0.5 ? t : `${t} < 2.0`];
      }
      if (r() < (opts.weak ?? 0.15)) p.recommends = [pick(names)].filter((x) => x !== name);
      if (r() < (opts.weak ?? 0.15) / 2) p.supplements = [pick(names)].filter((x) => x !== name);
      if (r() < 0.05) p.suggests = [pick(names)];
      p.files = [`/usr/share/${name}/data`, `/usr/share/doc/${name}/README`];
      if (r() < 0.5) p.files.push(`/usr/bin/${name}`);
      packages.push(p);
    }
  }
  // Some packages of an incompatible architecture, which must never be chosen.
  if (r() < 0.3) packages.push({ name: pick(names), version: '9.9', release: '1', arch: 'aarch64' });
  const group: GenGroup = {
    id: 'core',
    packages: [
      { name: pick(names), type: 'mandatory' },
      { name: pick(names), type: 'default' },
      { name: pick(names), type: 'optional' },
      { name: pick(names), type: 'conditional', requires: pick(names) },
    ],
  };
  const requests: string[][] = [];
  for (let k = 0; k < 3; k++) {
    const req = new Set<string>();
    const m = 1 + Math.floor(r() * 3);
    for (let j = 0; j < m; j++) req.add(pick(names));
    if (r() < 0.3) req.add('@core');
    requests.push([...req]);
  }
  return { packages, groups: [group], requests };
}
