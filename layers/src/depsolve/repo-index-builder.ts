/** The write side of a repository index: packages and their dependencies added as the metadata streams by. */
import type { PackageNevra } from '../packages/package-set.ts';
import { ByteStringTable } from './byte-string-table.ts';
import { compactIndexStrings, DIGEST_BYTES, type CompactStrings } from './index-compaction.ts';
import { emitSections } from './index-sections.ts';
import { DEP_FLAG_BITS, DEP_FLAG_MASK, DEP_KINDS, KIND, P_EPOCH, P_SIZE, P_STRIDE, RepoIndex, STRING_FIELDS, SUPPLEMENTING_META, type IndexMeta } from './repo-index.ts';

/** Growable Uint32 array: pre-sized when the count is known, grown by half (the index copies the values it keeps). */
class U32Builder {
  a = new Uint32Array(1024);
  n = 0;
  reserve(size: number): void {
    if (size > this.a.length) this.resize(size);
  }
  push(v: number): void {
    if (this.n === this.a.length) this.resize(Math.ceil(this.a.length * 1.5));
    this.a[this.n++] = v;
  }
  private resize(size: number): void {
    const b = new Uint32Array(size);
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
  /** The values as a view (no copy, whatever the slack): emitSections copies what it keeps. */
  view(): Uint32Array {
    return this.a.subarray(0, this.n);
  }
  /** Let go of the array (the builder is finished). */
  release(): void {
    this.a = new Uint32Array(0);
    this.n = 0;
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

/**
 * Write side: packages are added one at a time as the XML streams by. Dependencies are kept as the stored
 * (name << DEP_FLAG_BITS | flags, evr) pairs from the start.
 */
export class RepoIndexBuilder {
  readonly strings = new ByteStringTable();
  private readonly pkgs = new U32Builder();
  private readonly deps = new U32Builder();
  private readonly depStart = new U32Builder();
  private count = 0;
  private currentKind = -1;
  /**
   * Set by parsers that hand over checksums, locations and source rpms in their stored forms (index-compaction.ts:
   * RAW_DIGEST with the digest written through digestAt, DERIVED_LOCATION, SOURCE_NAME) and intern only strings the
   * index refers to: finish then takes the string table as it is, without the compaction pass.
   */
  private storedForms = false;
  private digests = new Uint8Array(0);

  intern(s: string | undefined): number {
    return this.strings.intern(s);
  }

  /** Pre-size for about `packages` packages (from the metadata's declared count; a wrong count only costs memory). */
  reserve(packages: number): void {
    const n = Math.min(Math.max(packages, 0) || 0, 200_000);
    this.pkgs.reserve(n * P_STRIDE);
    this.depStart.reserve(n * DEP_KINDS.length + 1);
    // Fedora's primary: about 12 dependencies (provides, requires, files...) a package.
    this.deps.reserve(n * 24);
    if (this.storedForms && n * DIGEST_BYTES > this.digests.length) this.growDigests(n * DIGEST_BYTES);
  }

  /** See storedForms. */
  useStoredForms(): void {
    this.storedForms = true;
  }

  /** Where the next package's raw digest goes in the array digestArray() returns (stored forms only). */
  digestAt(): number {
    const at = this.count * DIGEST_BYTES;
    if (at + DIGEST_BYTES > this.digests.length) this.growDigests(Math.max(1024, Math.ceil(this.digests.length * 1.5)));
    return at;
  }

  digestArray(): Uint8Array {
    return this.digests;
  }

  private growDigests(size: number): void {
    const b = new Uint8Array(size);
    b.set(this.digests);
    this.digests = b;
  }

  /** Start a package from already interned fields (P_* order, length P_STRIDE). */
  beginPackageIds(fields: ArrayLike<number>): void {
    for (let i = 0; i < P_STRIDE; i++) this.pkgs.push(fields[i]);
    this.count++;
    this.currentKind = -1;
  }

  /** Start a package; its dependencies must then be added kind by kind, in DEP_KINDS order. */
  beginPackage(p: BuilderPackage): void {
    if (this.storedForms) throw new Error('beginPackage takes plain fields, not stored forms');
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
    if (flags > DEP_FLAG_MASK) throw new Error(`dependency flags out of range: ${flags}`);
    if (name >= 2 ** (32 - DEP_FLAG_BITS)) throw new Error(`too many strings for a depsolve index (${name})`);
    this.deps.push(((name << DEP_FLAG_BITS) | flags) >>> 0);
    this.deps.push(evr);
  }

  private advanceKind(kind: number): void {
    if (kind <= this.currentKind) throw new Error('dependency kinds must be added in order');
    for (let k = this.currentKind + 1; k <= kind; k++) this.depStart.push(this.deps.n / 2);
    this.currentKind = kind;
  }

  endPackage(): void {
    if (this.currentKind < DEP_KINDS.length - 1) this.advanceKind(DEP_KINDS.length - 1);
  }

  get packageCount(): number {
    return this.count;
  }

  finish(meta: IndexMeta): RepoIndex {
    this.depStart.push(this.deps.n / 2);
    // Views, never trimmed copies: emitSections copies every array into the index's buffer.
    const pkgs = this.pkgs.view();
    const st = this.strings;
    let strings: CompactStrings;
    let deps: Uint32Array;
    if (this.storedForms) {
      st.release();
      strings = { strBytes: st.arena.subarray(0, st.used), strOff: st.offsets.subarray(0, st.count + 1), hashes: st.hashList(), digests: this.digests.subarray(0, this.count * DIGEST_BYTES) };
      deps = this.deps.view();
    } else {
      ({ strings, deps } = compactStrings(st, pkgs, this.count, this.deps.view()));
      st.release();
    }
    // The builder lets go of its arrays: emitSections drops the dependency pairs as soon as they are packed.
    this.deps.release();
    this.pkgs.release();
    const built = { strings, pkgs, count: this.count, deps, depStart: this.depStart.view() };
    deps = new Uint32Array(0);
    const index = new RepoIndex(emitSections(built), { ...meta });
    this.depStart.release();
    // The few packages with Supplements, listed in the metadata (found by the index's own scan, once, here): a cold
    // process reads the list instead of scanning every package.
    index.meta[SUPPLEMENTING_META] = [...index.packagesWithDeps(KIND.supplements)];
    return index;
  }
}

/** compactIndexStrings over the stored pairs (it rewrites (name, flags, evr) triples). */
function compactStrings(st: ByteStringTable, pkgs: Uint32Array, count: number, pairs: Uint32Array): { strings: CompactStrings; deps: Uint32Array } {
  const triples = unpackDeps(pairs);
  return { strings: compactIndexStrings(st, pkgs, count, triples), deps: packDeps(triples) };
}

/** Stored pairs as (name, flags, evr) triples (what compactIndexStrings rewrites). */
function unpackDeps(pairs: Uint32Array): Uint32Array {
  const out = new Uint32Array((pairs.length / 2) * 3);
  for (let d = 0, o = 0; d < pairs.length; d += 2, o += 3) {
    out[o] = pairs[d] >>> DEP_FLAG_BITS;
    out[o + 1] = pairs[d] & DEP_FLAG_MASK;
    out[o + 2] = pairs[d + 1];
  }
  return out;
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
