/** The write side of a repository index: packages and their dependencies added as the metadata streams by. */
import type { PackageNevra } from '../packages/package-set.ts';
import { ByteStringTable } from './byte-string-table.ts';
import { compactIndexStrings } from './index-compaction.ts';
import { emitSections } from './index-sections.ts';
import { DEP_FLAG_BITS, DEP_FLAG_MASK, DEP_KINDS, P_EPOCH, P_SIZE, P_STRIDE, RepoIndex, STRING_FIELDS, type IndexMeta } from './repo-index.ts';

/** Growable Uint32 array. */
class U32Builder {
  a = new Uint32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Uint32Array {
    return this.a.slice(0, this.n);
  }
}

/** A package as the metadata parsers hand it to the builder. */
export interface BuilderPackage extends PackageNevra {
  checksum: string;
  location: string;
  base?: string;
  summary?: string;
  license?: string;
  sourcerpm?: string;
  url?: string;
  description?: string;
  size?: number;
}

/** Write side: packages are added one at a time as the XML streams by. */
export class RepoIndexBuilder {
  readonly strings = new ByteStringTable();
  private readonly pkgs = new U32Builder();
  private readonly deps = new U32Builder();
  private readonly depStart = new U32Builder();
  private count = 0;
  private currentKind = -1;

  intern(s: string | undefined): number {
    return this.strings.intern(s);
  }

  /** Start a package from already interned fields (P_* order, length P_STRIDE). */
  beginPackageIds(fields: ArrayLike<number>): void {
    for (let i = 0; i < P_STRIDE; i++) this.pkgs.push(fields[i]);
    this.count++;
    this.currentKind = -1;
  }

  /** Start a package; its dependencies must then be added kind by kind, in DEP_KINDS order. */
  beginPackage(p: BuilderPackage): void {
    const fields = new Array<number>(P_STRIDE).fill(0);
    for (const [key, f] of Object.entries(STRING_FIELDS) as [keyof typeof STRING_FIELDS, number][]) fields[f] = this.intern(p[key]);
    fields[P_EPOCH] = p.epoch;
    fields[P_SIZE] = (p.size ?? 0) >>> 0;
    this.beginPackageIds(fields);
  }

  /** Add dependencies of one kind (kinds in ascending order; each kind at most once per package). */
  addDeps(kind: number, deps: { name: string; flags: number; evr?: string }[]): void {
    this.advanceKind(kind);
    for (const d of deps) this.addDepIds(this.intern(d.name), d.flags, this.intern(d.evr));
  }

  /** Start the dependencies of one kind (then addDepIds). */
  startKind(kind: number): void {
    this.advanceKind(kind);
  }

  addDepIds(name: number, flags: number, evr: number): void {
    this.deps.push(name);
    this.deps.push(flags);
    this.deps.push(evr);
  }

  private advanceKind(kind: number): void {
    if (kind <= this.currentKind) throw new Error('dependency kinds must be added in order');
    for (let k = this.currentKind + 1; k <= kind; k++) this.depStart.push(this.deps.n / 3);
    this.currentKind = kind;
  }

  endPackage(): void {
    if (this.currentKind < DEP_KINDS.length - 1) this.advanceKind(DEP_KINDS.length - 1);
  }

  get packageCount(): number {
    return this.count;
  }

  finish(meta: IndexMeta): RepoIndex {
    const depTriples = this.deps.done();
    const pkgs = this.pkgs.done();
    const strings = compactIndexStrings(this.strings, pkgs, this.count, depTriples);
    this.depStart.push(depTriples.length / 3);
    return new RepoIndex(emitSections({ strings, pkgs, count: this.count, deps: packDeps(depTriples), depStart: this.depStart.done() }), meta);
  }
}

/** (name, flags, evr) triples as the stored (name << DEP_FLAG_BITS | flags, evr) pairs. */
function packDeps(triples: Uint32Array): Uint32Array {
  const out = new Uint32Array((triples.length / 3) * 2);
  for (let d = 0, o = 0; d < triples.length; d += 3, o += 2) {
    if (triples[d + 1] > DEP_FLAG_MASK) throw new Error(`dependency flags out of range: ${triples[d + 1]}`);
    out[o] = ((triples[d] << DEP_FLAG_BITS) | triples[d + 1]) >>> 0;
    out[o + 1] = triples[d + 2];
  }
  return out;
}
