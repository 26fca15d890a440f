/** The write side of a repository index: packages and their dependencies added as the metadata streams by. */
import type { PackageNevra } from '../packages/package-set.ts';
import { ByteStringTable } from './byte-string-table.ts';
import { compactIndexStrings } from './index-compaction.ts';
import { DEP_FLAG_BITS, DEP_FLAG_MASK, DEP_KINDS, KIND, P_EPOCH, P_SIZE, P_STRIDE, RepoIndex, STRING_FIELDS, type IndexMeta } from './repo-index.ts';

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
    const { strBytes, strOff, hashes, digests } = compactIndexStrings(this.strings, pkgs, this.count, depTriples);
    const nStr = strOff.length - 1;
    // Only dependency names are looked up (providers, conflicts, obsoletes and package names, which every package
    // provides): the hash leaves out versions, checksums, locations, summaries... (lookup finds no id for them).
    const named = new Uint8Array(nStr);
    let nNamed = 0;
    for (let d = 0; d < depTriples.length; d += 3) {
      if (named[depTriples[d]] === 0) nNamed++;
      named[depTriples[d]] = 1;
    }
    let size = 1;
    while (size < nNamed * 1.5) size <<= 1;
    const strHash = new Uint32Array(size);
    const mask = size - 1;
    for (let i = 0; i < nStr; i++) {
      if (named[i] === 0) continue;
      // The interning table already holds each string's hashBytes value.
      let slot = hashes[i] & mask;
      while (strHash[slot] !== 0) slot = (slot + 1) & mask;
      strHash[slot] = i + 1;
    }

    const deps = depTriples;
    if (nStr >= 2 ** (32 - DEP_FLAG_BITS)) throw new Error(`too many strings for a depsolve index (${nStr})`);
    this.depStart.push(deps.length / 3);
    const depStart = this.depStart.done();
    const n = this.count;
    const K = DEP_KINDS.length;
    // Reverse tables by dependency name: who provides / conflicts / obsoletes.
    const reverse = (kind: number): [Uint32Array, Uint32Array] => {
      const counts = new Uint32Array(nStr + 1);
      for (let p = 0; p < n; p++) {
        let last = -1;
        for (let d = depStart[p * K + kind]; d < depStart[p * K + kind + 1]; d++) {
          const name = deps[d * 3];
          if (name !== last) counts[name]++;
          last = name;
        }
      }
      const start = new Uint32Array(nStr + 1);
      let acc = 0;
      for (let i = 0; i < nStr; i++) {
        start[i] = acc;
        acc += counts[i];
      }
      start[nStr] = acc;
      const data = new Uint32Array(acc);
      const fill = start.slice(0, nStr);
      for (let p = 0; p < n; p++) {
        let last = -1;
        for (let d = depStart[p * K + kind]; d < depStart[p * K + kind + 1]; d++) {
          const name = deps[d * 3];
          // Consecutive duplicates are skipped; a package may still appear twice for non-adjacent same names.
          if (name !== last && (data[fill[name] - 1] !== p || fill[name] === start[name])) data[fill[name]++] = p;
          last = name;
        }
      }
      // Compact away the slots left unused by duplicate suppression.
      return compactCsr(start, fill, data);
    };
    const [wpOff, wpData] = reverse(KIND.provides);
    const pairs = (kind: number): Uint32Array => {
      const list: [number, number][] = [];
      for (let p = 0; p < n; p++) {
        for (let d = depStart[p * K + kind]; d < depStart[p * K + kind + 1]; d++) list.push([deps[d * 3], p]);
      }
      list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const out = new Uint32Array(list.length * 2);
      list.forEach(([name, p], i) => {
        out[i * 2] = name;
        out[i * 2 + 1] = p;
      });
      return out;
    };
    const wcPairs = pairs(KIND.conflicts);
    const woPairs = pairs(KIND.obsoletes);
    const sections: Record<string, Uint8Array | Uint16Array | Uint32Array> = {
      strBytes,
      strOff,
      strHash,
      pkgs,
      digests,
      deps: packDeps(deps),
      wpOff,
      wpData,
      wcPairs,
      woPairs,
      ...splitDepStart(depStart, n),
    };
    return new RepoIndex(sections, meta);
  }
}

/** Absolute per-(package, kind) starts as a per-package base and per-kind offsets from it (u16 when they fit). */
function splitDepStart(depStart: Uint32Array, count: number): { depBase: Uint32Array; depKind: Uint16Array | Uint32Array } {
  const K = DEP_KINDS.length;
  const depBase = new Uint32Array(count + 1);
  let widest = 0;
  for (let p = 0; p <= count; p++) {
    depBase[p] = depStart[p * K];
    if (p < count) widest = Math.max(widest, depStart[p * K + K - 1] - depStart[p * K]);
  }
  const depKind = widest > 0xffff ? new Uint32Array(count * K) : new Uint16Array(count * K);
  for (let i = 0; i < count * K; i++) depKind[i] = depStart[i] - depBase[Math.floor(i / K)];
  return { depBase, depKind };
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

function compactCsr(start: Uint32Array, fill: Uint32Array, data: Uint32Array): [Uint32Array, Uint32Array] {
  const n = fill.length;
  const off = new Uint32Array(n + 1);
  let used = 0;
  for (let i = 0; i < n; i++) used += fill[i] - start[i];
  if (used === data.length) return [start, data];
  const out = new Uint32Array(used);
  let o = 0;
  for (let i = 0; i < n; i++) {
    off[i] = o;
    out.set(data.subarray(start[i], fill[i]), o);
    o += fill[i] - start[i];
  }
  off[n] = o;
  return [off, out];
}
