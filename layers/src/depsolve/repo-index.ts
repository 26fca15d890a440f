/**
 * The compact, serializable index of one repository revision: packages, their dependencies and lookup tables, all in
 * typed arrays over one buffer so that a stored index loads without parsing (strings are decoded on demand).
 */
import { hashBytes } from './byte-string-table.ts';
import { DERIVED_LOCATION, DIGEST_BYTES, RAW_DIGEST, SOURCE_NAME, derivedLocation } from './index-compaction.ts';
import { DEP_EVR_BLOCK, DEP_HAS_EVR, DEP_NAME_SHIFT, KIND_WIDE, SOLE_PROVIDER, hashSlot, packAllocated, packSections, unpackSections, type PackedSections } from './index-format.ts';
import {
  DEP_FLAG_MASK, DEP_KINDS, KIND, P_ARCH, P_BASE, P_CHECKSUM, P_EPOCH, P_LICENSE, P_LOCATION, P_NAME, P_RELEASE, P_SOURCERPM, P_STRIDE, P_SUMMARY,
  P_VERSION, SUPPLEMENTING_META, type Comps, type IndexMeta, type PackageInfo,
} from './index-schema.ts';
import type { Evr } from './rpm-version.ts';
import { sliceDecoder, type SliceDecoder } from './slice-decoder.ts';

// The schema is part of this module's interface: its readers import both from here.
export * from './index-schema.ts';

const textEncoder = new TextEncoder();

/** Read side of an index. */
export class RepoIndex {
  readonly meta: IndexMeta;
  readonly packageCount: number;
  readonly stringCount: number;
  private readonly strBytes: Uint8Array;
  private readonly strOff: Uint32Array;
  private readonly strHash: Uint32Array;
  private readonly strCache: (string | undefined)[];
  /** strBytes decoded by slice (slice-decoder.ts). */
  private readonly strText: SliceDecoder;
  readonly pkgs: Uint32Array;
  /** Raw sha256 digests, DIGEST_BYTES a package (see RAW_DIGEST). */
  private readonly digests: Uint8Array;
  /** digests decoded by slice: a view made per package cost a cold process ~8 µs each, 2,000 packages 17 ms. */
  private digestBytes?: SliceDecoder;
  /** First dependency of package i; the next entry is its end. */
  private readonly depBase: Uint32Array;
  /** Start of kind k (1..7) of package i at [i * K + k], relative to depBase[i]; [i * K] is KIND_WIDE when in depKindWide. */
  private readonly depKind: Uint8Array;
  /** Rows of (package, starts of kinds 1..7) for the packages with more than 255 dependencies, by package. */
  private readonly depKindWide: Uint32Array;
  /** One word a dependency (index-format.ts); read with depName, depFlags, depEvr. */
  private readonly depWords: Uint32Array;
  /** Version ids of the versioned dependencies, in dependency order; depEvrRank counts them every DEP_EVR_BLOCK. */
  private readonly depEvrs: Uint32Array;
  private readonly depEvrRank: Uint32Array;
  /** Providers of the names numbered below wp.length: SOLE_PROVIDER | package, or an offset of (count, packages) in wpList. */
  private readonly wp: Uint32Array;
  private readonly wpList: Uint32Array;
  /** 0..packageCount-1: the one-provider lists are views of it (built on first use). */
  private identity?: Uint32Array;
  /** (name, package) pairs sorted by name: conflicts and obsoletes are rare, a full CSR would waste megabytes. */
  private readonly wcPairs: Uint32Array;
  private readonly woPairs: Uint32Array;
  private scratch = new Uint8Array(1024);
  private readonly withKind: (Uint32Array | undefined)[] = [];
  private obsoleted?: Set<number>;
  private bytesHeld = 0;
  /** Strings looked up so far (solvers ask for the same names again and again). */
  private readonly looked = new Map<string, number>();

  /** The one buffer a freshly built index's sections live in (serialize then writes the header before them, no copy). */
  private readonly packed?: PackedSections;

  constructor(sections: Record<string, Uint8Array | Uint16Array | Uint32Array> | PackedSections, meta: IndexMeta) {
    this.meta = meta;
    if (isPacked(sections)) {
      this.packed = sections;
      sections = sections.sections;
    }
    this.strBytes = sections.strBytes as Uint8Array;
    this.strOff = sections.strOff as Uint32Array;
    this.strHash = sections.strHash as Uint32Array;
    this.pkgs = sections.pkgs as Uint32Array;
    this.digests = sections.digests as Uint8Array;
    this.depWords = sections.depWords as Uint32Array;
    this.depEvrs = sections.depEvrs as Uint32Array;
    this.depEvrRank = sections.depEvrRank as Uint32Array;
    this.depBase = sections.depBase as Uint32Array;
    this.depKind = sections.depKind as Uint8Array;
    this.depKindWide = sections.depKindWide as Uint32Array;
    this.wp = sections.wp as Uint32Array;
    this.wpList = sections.wpList as Uint32Array;
    this.wcPairs = sections.wcPairs as Uint32Array;
    this.woPairs = sections.woPairs as Uint32Array;
    this.packageCount = this.pkgs.length / P_STRIDE;
    this.stringCount = this.strOff.length - 1;
    this.strCache = new Array(this.stringCount);
    this.strText = sliceDecoder(this.strBytes);
  }

  /** Approximate memory held: the sections plus the comps; what the in-memory index cache budgets by. */
  get byteSize(): number {
    if (this.bytesHeld) return this.bytesHeld;
    const arrays = Object.values(this.sections());
    this.bytesHeld = arrays.reduce((n, a) => n + a.byteLength, 0) + this.stringCount * 8 + (this.meta.comps ? JSON.stringify(this.meta.comps).length * 2 : 0);
    return this.bytesHeld;
  }

  str(id: number): string {
    let s = this.strCache[id];
    if (s === undefined) {
      s = this.strText.utf8Slice(this.strOff[id], this.strOff[id + 1]);
      this.strCache[id] = s;
    }
    return s;
  }

  /** The string id of `s`, or -1 when the index does not contain it. */
  lookup(s: string): number {
    let id = this.looked.get(s);
    if (id === undefined) {
      id = this.lookupBytes(s);
      if (this.looked.size > 100_000) this.looked.clear();
      this.looked.set(s, id);
    }
    return id;
  }

  private lookupBytes(s: string): number {
    const n = s.length;
    if (this.scratch.length < n * 3) this.scratch = new Uint8Array(n * 3 + 16);
    const sc = this.scratch;
    // An ASCII string's UTF-8 bytes are its char codes: copied and hashed in one pass, without a native encode call (a
    // cold process looks up a thousand group names).
    let h = 0x811c9dc5;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      sc[i] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    if (i === n) return this.probe(h >>> 0, n);
    const written = textEncoder.encodeInto(s, sc).written ?? 0;
    return this.probe(hashBytes(sc, 0, written), written);
  }

  /** The id of the string whose `n` bytes are in scratch and whose hash is `hash`, or -1. */
  private probe(hash: number, n: number): number {
    const size = this.strHash.length;
    let slot = hashSlot(hash, size);
    for (;;) {
      const e = this.strHash[slot];
      if (e === 0) return -1;
      const a = this.strOff[e - 1];
      if (this.strOff[e] - a === n) {
        let k = 0;
        while (k < n && this.strBytes[a + k] === this.scratch[k]) k++;
        if (k === n) return e - 1;
      }
      slot = slot + 1 === size ? 0 : slot + 1;
    }
  }

  field(pkg: number, f: number): number {
    return this.pkgs[pkg * P_STRIDE + f];
  }

  fieldStr(pkg: number, f: number): string {
    return this.str(this.pkgs[pkg * P_STRIDE + f]);
  }

  /** String id of the package's architecture (few distinct values: callers cache by it). */
  archId(pkg: number): number {
    return this.field(pkg, P_ARCH);
  }

  name(pkg: number): string {
    return this.fieldStr(pkg, P_NAME);
  }

  arch(pkg: number): string {
    return this.fieldStr(pkg, P_ARCH);
  }

  evr(pkg: number): Evr {
    return { epoch: this.field(pkg, P_EPOCH), version: this.fieldStr(pkg, P_VERSION), release: this.fieldStr(pkg, P_RELEASE) };
  }

  /** What fetching and describing the package needs. */
  info(pkg: number): PackageInfo {
    return this.infoWith(pkg, this.name(pkg), this.fieldStr(pkg, P_VERSION), this.fieldStr(pkg, P_RELEASE), this.arch(pkg));
  }

  /**
   * info() given the package's name, version, release and arch already decoded (a caller holding them saves a cold
   * process a dozen look-ups per package: results turn ~2,000 packages into descriptions).
   */
  infoWith(pkg: number, name: string, version: string, release: string, arch: string): PackageInfo {
    const row = pkg * P_STRIDE;
    const loc = this.pkgs[row + P_LOCATION];
    const src = this.pkgs[row + P_SOURCERPM];
    return {
      checksum: this.checksum(pkg),
      location: loc === DERIVED_LOCATION ? derivedLocation(name, version, release, arch) : this.str(loc),
      base: this.str(this.pkgs[row + P_BASE]),
      summary: this.str(this.pkgs[row + P_SUMMARY]),
      license: this.str(this.pkgs[row + P_LICENSE]),
      sourcerpm: src & SOURCE_NAME ? `${this.str(src & ~SOURCE_NAME)}-${version}-${release}.src.rpm` : this.str(src),
    };
  }

  /** `algorithm:hex`, from the raw digest when the index keeps one. */
  checksum(pkg: number): string {
    const v = this.field(pkg, P_CHECKSUM);
    if (!(v & RAW_DIGEST)) return this.str(v);
    const at = pkg * DIGEST_BYTES;
    this.digestBytes ??= sliceDecoder(this.digests);
    return `${this.str(v & ~RAW_DIGEST)}:${this.digestBytes.hexSlice(at, at + DIGEST_BYTES)}`;
  }

  /** Name id of dependency `d`. */
  depName(d: number): number {
    return this.depWords[d] >>> DEP_NAME_SHIFT;
  }
  /** Flags of dependency `d` (REL_*, DEP_PRE, DEP_RICH). */
  depFlags(d: number): number {
    return this.depWords[d] & DEP_FLAG_MASK;
  }
  /** Version string id of dependency `d` (0 = none): its rank among the versioned ones, counted from its block's. */
  depEvr(d: number): number {
    const words = this.depWords;
    if (!(words[d] & DEP_HAS_EVR)) return 0;
    let rank = this.depEvrRank[(d / DEP_EVR_BLOCK) | 0];
    for (let x = d - (d % DEP_EVR_BLOCK); x < d; x++) if (words[x] & DEP_HAS_EVR) rank++;
    return this.depEvrs[rank];
  }

  /** Start of kind `kind` of the package's dependencies, relative to its base (kinds 0..K; K is its count). */
  private kindStart(pkg: number, kind: number): number {
    const K = DEP_KINDS.length;
    if (kind === 0) return 0;
    if (kind === K) return this.depBase[pkg + 1] - this.depBase[pkg];
    if (this.depKind[pkg * K] !== KIND_WIDE) return this.depKind[pkg * K + kind];
    return this.depKindWide[wideRow(this.depKindWide, pkg) * K + kind];
  }

  /** First dependency of one kind of the package (with depEnd: a range without allocating a pair). */
  depStart(pkg: number, kind: number): number {
    const at = pkg * DEP_KINDS.length;
    if (this.depKind[at] !== KIND_WIDE) return this.depBase[pkg] + this.depKind[at + kind];
    return this.depBase[pkg] + this.kindStart(pkg, kind);
  }

  /** End (exclusive) of the package's dependencies of one kind. */
  depEnd(pkg: number, kind: number): number {
    const at = pkg * DEP_KINDS.length;
    if (kind + 1 === DEP_KINDS.length) return this.depBase[pkg + 1];
    if (this.depKind[at] !== KIND_WIDE) return this.depBase[pkg] + this.depKind[at + kind + 1];
    return this.depBase[pkg] + this.kindStart(pkg, kind + 1);
  }

  /** Range [start, end) of the package's dependencies of one kind (indexes for depName, depFlags, depEvr). */
  depRange(pkg: number, kind: number): [number, number] {
    const base = this.depBase[pkg];
    const at = pkg * DEP_KINDS.length;
    // Most packages: slot 0 is 0 (kind 0 starts at the base), the other starts are bytes.
    if (this.depKind[at] !== KIND_WIDE) {
      return [base + this.depKind[at + kind], kind + 1 < DEP_KINDS.length ? base + this.depKind[at + kind + 1] : this.depBase[pkg + 1]];
    }
    return [base + this.kindStart(pkg, kind), base + this.kindStart(pkg, kind + 1)];
  }

  /**
   * Packages with dependencies of this kind, ascending (kept: few kinds are asked for). One pass over the kind
   * starts rather than hasDeps per package: a cold process scans 70,000 packages in a few ms instead of ~15.
   */
  packagesWithDeps(kind: number): Uint32Array {
    let found = this.withKind[kind];
    if (found) return found;
    if (kind === KIND.supplements) {
      const listed = storedPackageList(this.meta[SUPPLEMENTING_META], this.packageCount);
      if (listed) return (this.withKind[kind] = listed);
    }
    const K = DEP_KINDS.length;
    const starts = this.depKind;
    const base = this.depBase;
    const out: number[] = [];
    for (let i = 0, n = this.packageCount; i < n; i++) {
      const at = i * K;
      if (starts[at] === KIND_WIDE) {
        if (this.hasDeps(i, kind)) out.push(i);
        continue;
      }
      const end = kind + 1 < K ? starts[at + kind + 1] : base[i + 1] - base[i];
      if (end > starts[at + kind]) out.push(i);
    }
    this.withKind[kind] = found = Uint32Array.from(out);
    return found;
  }

  /** Does the package have dependencies of this kind? */
  hasDeps(pkg: number, kind: number): boolean {
    return this.kindStart(pkg, kind + 1) > this.kindStart(pkg, kind);
  }

  /** Packages with a Provides (or a file in primary) named `nameId`, ascending. */
  providersOf(nameId: number): Uint32Array {
    if (nameId < 0 || nameId >= this.wp.length) return EMPTY;
    const v = this.wp[nameId];
    if (v & SOLE_PROVIDER) {
      const p = v & ~SOLE_PROVIDER;
      this.identity ??= identityOf(this.packageCount);
      return this.identity.subarray(p, p + 1);
    }
    return this.wpList.subarray(v + 1, v + 1 + this.wpList[v]);
  }
  /** How many packages providersOf(nameId) holds (with providerAt: no view made, which costs a cold process). */
  providerCount(nameId: number): number {
    if (nameId < 0 || nameId >= this.wp.length) return 0;
    const v = this.wp[nameId];
    return v & SOLE_PROVIDER ? 1 : this.wpList[v];
  }

  /** The k-th package of providersOf(nameId). */
  providerAt(nameId: number, k: number): number {
    const v = this.wp[nameId];
    return v & SOLE_PROVIDER ? v & ~SOLE_PROVIDER : this.wpList[v + 1 + k];
  }

  /** Packages with a Conflicts on the name `nameId`. */
  conflictersOf(nameId: number): number[] {
    return pairsOf(this.wcPairs, nameId);
  }
  /** Does some package have an Obsoletes on the name `nameId`? (A set of the few such names, made on first use.) */
  hasObsoleters(nameId: number): boolean {
    if (!this.obsoleted) {
      this.obsoleted = new Set();
      for (let i = 0; i < this.woPairs.length; i += 2) this.obsoleted.add(this.woPairs[i]);
    }
    return this.obsoleted.has(nameId);
  }

  /** Packages with an Obsoletes on the name `nameId`. */
  obsoletersOf(nameId: number): number[] {
    return pairsOf(this.woPairs, nameId);
  }

  comps(): Comps | undefined {
    return this.meta.comps as Comps | undefined;
  }

  private sections(): Record<string, Uint8Array | Uint16Array | Uint32Array> {
    const { strBytes, strOff, strHash, pkgs, digests, depWords, depEvrs, depEvrRank, wp, wpList, wcPairs, woPairs, depBase, depKind, depKindWide } = this;
    return { strBytes, strOff, strHash, pkgs, digests, depWords, depEvrs, depEvrRank, wp, wpList, wcPairs, woPairs, depBase, depKind, depKindWide };
  }

  /** The stored bytes; of a built index, a view of its own buffer (a later serialize rewrites the header in place). */
  serialize(): Uint8Array {
    return this.packed ? packAllocated(this.packed, this.meta) : packSections(this.sections(), this.meta);
  }

  static deserialize(buf: Uint8Array): RepoIndex {
    const { sections, meta, headerBytes } = unpackSections(buf);
    const idx = new RepoIndex(sections, meta as IndexMeta);
    // As byteSize counts, from the sizes at hand: re-serializing the comps to measure them cost a load ~5 ms.
    idx.bytesHeld = buf.byteLength + idx.stringCount * 8 + headerBytes * 2;
    return idx;
  }
}

const EMPTY = new Uint32Array(0);

function isPacked(s: Record<string, Uint8Array | Uint16Array | Uint32Array> | PackedSections): s is PackedSections {
  return s.buffer instanceof ArrayBuffer && !ArrayBuffer.isView(s.buffer);
}

/** A package list from the metadata if it is one (ascending package numbers below `count`), else undefined. */
function storedPackageList(v: unknown, count: number): Uint32Array | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = new Uint32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const p: unknown = v[i];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= count || (i > 0 && p <= out[i - 1])) return undefined;
    out[i] = p;
  }
  return out;
}

function identityOf(n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Row of `pkg` in depKindWide (rows of DEP_KINDS.length words, the package first, ascending). */
function wideRow(wide: Uint32Array, pkg: number): number {
  const K = DEP_KINDS.length;
  let lo = 0;
  let hi = wide.length / K;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (wide[mid * K] < pkg) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Packages paired with `nameId` in a (name, package) list sorted by name. */
function pairsOf(pairs: Uint32Array, nameId: number): number[] {
  let lo = 0;
  let hi = pairs.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pairs[mid * 2] < nameId) lo = mid + 1;
    else hi = mid;
  }
  const out: number[] = [];
  for (let i = lo; i < pairs.length / 2 && pairs[i * 2] === nameId; i++) if (out[out.length - 1] !== pairs[i * 2 + 1]) out.push(pairs[i * 2 + 1]);
  return out;
}
