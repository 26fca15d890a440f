/** Handlers that turn repository metadata XML (primary, filelists, comps, repomd, metalink) into index data. */
import { richDepParses } from './dependency.ts';
import {
  DEP_KINDS,
  DEP_PRE,
  DEP_RICH,
  KIND,
  REL_EQ,
  REL_GT,
  REL_LT,
  type Comps,
  type CompsEnvironment,
  type CompsGroup,
  type CompsGroupPackage,
  type IndexMeta,
  type RepoIndex,
} from './repo-index.ts';
import { RepoIndexBuilder, type BuilderPackage } from './repo-index-builder.ts';
import { XmlScanner, type XmlHandler } from './xml-scanner.ts';

const FLAG_BITS: Record<string, number> = { EQ: REL_EQ, LT: REL_LT, GT: REL_GT, LE: REL_LT | REL_EQ, GE: REL_GT | REL_EQ };

interface RawDep {
  name: string;
  flags: number;
  evr?: string;
}

/** Format a dependency's epoch/version/release attributes as `E:V-R` (epoch 0 omitted, like libsolv). */
function entryEvr(a: Record<string, string>): string | undefined {
  const ver = a.ver;
  if (ver === undefined) return undefined;
  const e = a.epoch && a.epoch !== '0' ? `${a.epoch}:` : '';
  return `${e}${ver}${a.rel !== undefined ? `-${a.rel}` : ''}`;
}

const DEP_ELEMENT: Record<string, number> = Object.fromEntries(DEP_KINDS.map((k) => [`rpm:${k}`, KIND[k]]));

/** Streams primary.xml into a RepoIndexBuilder. */
export class PrimaryHandler implements XmlHandler {
  readonly builder = new RepoIndexBuilder();
  private pkg: BuilderPackage | undefined;
  private depsByKind: RawDep[][] = DEP_KINDS.map(() => []);
  private kind = -1;
  private files: string[] = [];
  private inPackage = false;
  declaredCount = -1;

  open(name: string, a: Record<string, string>): void {
    if (this.kind >= 0) {
      if (name === 'rpm:entry') {
        const dep: RawDep = { name: a.name ?? '', flags: 0 };
        if (a.flags) {
          const f = FLAG_BITS[a.flags];
          if (f === undefined) throw new Error(`unknown dependency flags "${a.flags}"`);
          dep.flags = f;
          dep.evr = entryEvr(a);
        }
        if (a.pre === '1' || a.pre === 'true') dep.flags |= DEP_PRE;
        // As libsolv's repo_rpmmd: a name in parentheses without flags is a rich dependency, dropped when it does not parse.
        if (dep.name.charCodeAt(0) === 40 /* ( */ && !a.flags) {
          if (!richDepParses(dep.name)) return;
          dep.flags |= DEP_RICH;
        }
        this.depsByKind[this.kind].push(dep);
      }
      return;
    }
    switch (name) {
      case 'package':
        this.inPackage = true;
        this.pkg = { name: '', epoch: 0, version: '', release: '', arch: '', checksum: '', location: '' };
        for (const d of this.depsByKind) d.length = 0;
        this.files.length = 0;
        break;
      case 'version':
        if (this.pkg) {
          this.pkg.epoch = a.epoch ? Number(a.epoch) : 0;
          this.pkg.version = a.ver ?? '';
          this.pkg.release = a.rel ?? '';
        }
        break;
      case 'checksum':
        if (this.pkg) this.pkg.checksum = `${a.type ?? 'sha256'}:`;
        break;
      case 'location':
        if (this.pkg) {
          this.pkg.location = a.href ?? '';
          if (a['xml:base']) this.pkg.base = a['xml:base'];
        }
        break;
      case 'size':
        if (this.pkg && a.package) this.pkg.size = Number(a.package);
        break;
      case 'metadata':
        if (a.packages) this.declaredCount = Number(a.packages);
        break;
      default: {
        const k = DEP_ELEMENT[name];
        if (k !== undefined) this.kind = k;
      }
    }
  }

  close(name: string, text: string): void {
    if (this.kind >= 0) {
      if (DEP_ELEMENT[name] !== undefined) this.kind = -1;
      return;
    }
    const p = this.pkg;
    if (!p) return;
    switch (name) {
      case 'name':
        p.name = text;
        break;
      case 'arch':
        p.arch = text;
        break;
      case 'checksum':
        p.checksum += text.trim();
        break;
      case 'summary':
        p.summary = text;
        break;
      case 'description':
        p.description = text;
        break;
      case 'url':
        p.url = text;
        break;
      case 'rpm:license':
        p.license = text;
        break;
      case 'rpm:sourcerpm':
        p.sourcerpm = text;
        break;
      case 'file':
        this.files.push(text);
        break;
      case 'package':
        this.finishPackage(p);
        this.pkg = undefined;
        this.inPackage = false;
        break;
    }
  }

  private finishPackage(p: BuilderPackage): void {
    if (!p.name || !p.arch) throw new Error('package without name or arch in primary metadata');
    const b = this.builder;
    b.beginPackage(p);
    const provides = this.depsByKind[KIND.provides];
    // Files listed in primary are provides, as for rpm and libsolv.
    for (const f of this.files) provides.push({ name: f, flags: 0 });
    // libsolv adds the package's own `name = evr` provide when the metadata lacks it.
    if (!provides.some((d) => d.name === p.name && (d.flags & 7) === REL_EQ)) {
      const e = p.epoch ? `${p.epoch}:` : '';
      provides.push({ name: p.name, flags: REL_EQ, evr: `${e}${p.version}-${p.release}` });
    }
    DEP_KINDS.forEach((_, k) => b.addDeps(k, this.depsByKind[k]));
    b.endPackage();
  }
}

/** Streams filelists.xml; calls `onFile(pkgid, path)` for each file. */
export class FilelistsHandler implements XmlHandler {
  private pkgid = '';
  constructor(private readonly onPackage: (pkgid: string, files: string[]) => void) {}
  private files: string[] = [];
  open(name: string, a: Record<string, string>): void {
    if (name === 'package') {
      this.pkgid = a.pkgid ?? '';
      this.files = [];
    }
  }
  close(name: string, text: string): void {
    if (name === 'file') this.files.push(text);
    else if (name === 'package') this.onPackage(this.pkgid, this.files);
  }
}

/**
 * Build the file index of a repository: an index with the same package numbering as `primary` whose only
 * dependencies are the file provides (so the same whatprovides lookup answers file dependencies).
 */
export async function buildFilesIndex(
  chunks: AsyncIterable<Uint8Array>,
  primary: RepoIndex,
  meta: IndexMeta,
): Promise<RepoIndex> {
  const byPkgid = new Map<string, number>();
  for (let i = 0; i < primary.packageCount; i++) {
    const cs = primary.checksum(i);
    byPkgid.set(cs.slice(cs.indexOf(':') + 1), i);
  }
  const filesOf: (string[] | undefined)[] = new Array(primary.packageCount);
  const sc = new XmlScanner(
    new FilelistsHandler((pkgid, files) => {
      const i = byPkgid.get(pkgid);
      if (i !== undefined) filesOf[i] = files;
    }),
  );
  for await (const c of chunks) sc.writeBytes(c);
  sc.end();
  const b = new RepoIndexBuilder();
  for (let i = 0; i < primary.packageCount; i++) {
    b.beginPackage({ name: '', epoch: 0, version: '', release: '', arch: '', checksum: '', location: '' });
    b.addDeps(KIND.provides, (filesOf[i] ?? []).map((f) => ({ name: f, flags: 0 })));
    b.endPackage();
  }
  return b.finish(meta);
}

/** comps (group) XML. */
export class CompsHandler implements XmlHandler {
  readonly comps: Comps = { groups: [], environments: [] };
  private group: CompsGroup | undefined;
  private env: CompsEnvironment | undefined;
  private inOptionList = false;
  private pending: Partial<CompsGroupPackage> | undefined;
  private langAttr = false;

  open(name: string, a: Record<string, string>): void {
    switch (name) {
      case 'group':
        this.group = { id: '', name: '', packages: [] };
        break;
      case 'environment':
        this.env = { id: '', name: '', groups: [], optionalGroups: [] };
        break;
      case 'optionlist':
        this.inOptionList = true;
        break;
      case 'packagereq':
        this.pending = {
          type: (a.type as CompsGroupPackage['type']) ?? 'mandatory',
          requires: a.requires || undefined,
          basearchonly: a.basearchonly === 'true' || undefined,
        };
        break;
      case 'name':
      case 'description':
        this.langAttr = 'xml:lang' in a;
        break;
    }
  }

  close(name: string, text: string): void {
    const target = this.group ?? this.env;
    switch (name) {
      case 'id':
        if (target) target.id = text.trim();
        break;
      case 'name':
        if (target && !this.langAttr) target.name = text;
        break;
      case 'description':
        if (target && !this.langAttr) target.description = text;
        break;
      case 'packagereq':
        if (this.group && this.pending) {
          const p: CompsGroupPackage = { name: text.trim(), type: this.pending.type ?? 'mandatory' };
          if (this.pending.requires) p.requires = this.pending.requires;
          if (this.pending.basearchonly) p.basearchonly = true;
          this.group.packages.push(p);
        }
        this.pending = undefined;
        break;
      case 'groupid':
        if (this.env) (this.inOptionList ? this.env.optionalGroups : this.env.groups).push(text.trim());
        break;
      case 'optionlist':
        this.inOptionList = false;
        break;
      case 'group':
        if (this.group && !this.env) this.comps.groups.push(this.group);
        this.group = undefined;
        break;
      case 'environment':
        if (this.env) this.comps.environments.push(this.env);
        this.env = undefined;
        break;
    }
  }
}

export function parseComps(xml: string | Uint8Array): Comps {
  const h = new CompsHandler();
  const sc = new XmlScanner(h);
  if (typeof xml === 'string') sc.write(xml);
  else sc.writeBytes(xml);
  sc.end();
  return h.comps;
}

export interface RepomdRecord {
  type: string;
  location: string;
  checksum: { type: string; value: string };
  openChecksum?: { type: string; value: string };
  size?: number;
}
export interface Repomd {
  revision?: string;
  records: Record<string, RepomdRecord>;
}

export function parseRepomd(xml: string): Repomd {
  const out: Repomd = { records: {} };
  let rec: Partial<RepomdRecord> & { csType?: string; ocsType?: string } = {};
  const sc = new XmlScanner({
    open(name, a) {
      if (name === 'data') rec = { type: a.type };
      else if (name === 'location' && rec.type) rec.location = a.href;
      else if (name === 'checksum') rec.csType = a.type;
      else if (name === 'open-checksum') rec.ocsType = a.type;
    },
    close(name, text) {
      if (name === 'revision') out.revision = text.trim();
      else if (name === 'checksum' && rec.type) rec.checksum = { type: rec.csType ?? 'sha256', value: text.trim() };
      else if (name === 'open-checksum' && rec.type) rec.openChecksum = { type: rec.ocsType ?? 'sha256', value: text.trim() };
      else if (name === 'size' && rec.type) rec.size = Number(text);
      else if (name === 'data' && rec.type && rec.location && rec.checksum) {
        out.records[rec.type] = {
          type: rec.type,
          location: rec.location,
          checksum: rec.checksum,
          openChecksum: rec.openChecksum,
          size: rec.size,
        };
        rec = {};
      }
    },
  });
  sc.write(xml);
  sc.end();
  if (!out.records.primary) throw new Error('repomd.xml has no primary record');
  return out;
}

/** metalink 3.0 (Fedora's default): the repomd.xml checksums and the mirror URLs, best preference first. */
export interface Metalink {
  hashes: { type: string; value: string }[];
  urls: string[];
}

export function parseMetalink(xml: string): Metalink {
  const out: Metalink = { hashes: [], urls: [] };
  const urls: { url: string; pref: number; order: number }[] = [];
  let inRepomd = false;
  let depth = 0;
  let fileDepth = -1;
  let hashType = '';
  let urlAttrs: Record<string, string> = {};
  const sc = new XmlScanner({
    open(name, a) {
      depth++;
      if (name === 'file' && a.name === 'repomd.xml') {
        inRepomd = true;
        fileDepth = depth;
      }
      if (name === 'hash') hashType = a.type ?? '';
      if (name === 'url') urlAttrs = { ...a };
    },
    close(name, text) {
      if (inRepomd && name === 'hash' && hashType) out.hashes.push({ type: hashType, value: text.trim() });
      if (inRepomd && name === 'url') {
        const proto = urlAttrs.protocol ?? '';
        const u = text.trim();
        if ((proto === 'http' || proto === 'https' || /^https?:/.test(u)) && u) {
          urls.push({ url: u, pref: Number(urlAttrs.preference ?? 0), order: urls.length });
        }
      }
      if (name === 'file' && depth === fileDepth) inRepomd = false;
      depth--;
    },
  });
  sc.write(xml);
  sc.end();
  urls.sort((x, y) => y.pref - x.pref || x.order - y.order);
  // Each URL points at .../repodata/repomd.xml; the repository base is two levels up.
  out.urls = urls.map((u) => u.url.replace(/\/?repodata\/repomd\.xml$/, '').replace(/\/+$/, ''));
  return out;
}
