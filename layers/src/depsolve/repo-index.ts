/**
 * The compact, serializable index of one repository revision: packages, their dependencies and lookup tables, all in
 * typed arrays over one buffer so that a stored index loads without parsing (strings are decoded on demand).
 */

export const DEP_KINDS = [
  'provides',
  'requires',
  'conflicts',
  'obsoletes',
  'recommends',
  'suggests',
  'supplements',
  'enhances',
] as const;
export type DepKind = (typeof DEP_KINDS)[number];
export const KIND: Record<DepKind, number> = Object.fromEntries(DEP_KINDS.map((k, i) => [k, i])) as Record<DepKind, number>;

/** Dependency flag bits, as libsolv: GT=1, EQ=2, LT=4; PRE marks Requires(pre/post/...). */
export const REL_GT = 1;
export const REL_EQ = 2;
export const REL_LT = 4;
export const DEP_PRE = 8;
/** The name string is a rich (boolean) dependency expression. */
export const DEP_RICH = 16;

/** Per-package fields (string ids unless noted), stride of the `pkgs` array. */
export const P_NAME = 0;
export const P_EPOCH = 1; // number
export const P_VERSION = 2;
export const P_RELEASE = 3;
export const P_ARCH = 4;
export const P_CHECKSUM = 5; // "algo:hex"
export const P_LOCATION = 6; // href
export const P_BASE = 7; // xml:base, 0 = none
export const P_SUMMARY = 8;
export const P_LICENSE = 9;
export const P_SOURCERPM = 10;
export const P_URL = 11;
export const P_DESCRIPTION = 12;
export const P_SIZE = 13; // number (package size; low 32 bits)
export const P_STRIDE = 14;

const MAGIC = 'IBSDEPIX';
const FORMAT_VERSION = 2;

export interface IndexMeta {
  /** repomd revision checksum the index was built from. */
  revision: string;
  /** Free-form data carried with the index (repository id, filelists location, comps...). */
  [key: string]: unknown;
}

export interface CompsGroupPackage {
  name: string;
  type: 'mandatory' | 'default' | 'optional' | 'conditional';
  requires?: string;
  basearchonly?: boolean;
}
export interface CompsGroup {
  id: string;
  name: string;
  description?: string;
  packages: CompsGroupPackage[];
}
export interface CompsEnvironment {
  id: string;
  name: string;
  description?: string;
  groups: string[];
  optionalGroups: string[];
}
export interface Comps {
  groups: CompsGroup[];
  environments: CompsEnvironment[];
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** FNV-1a over bytes. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Read side of an index. */
export class RepoIndex {
  readonly meta: IndexMeta;
  readonly packageCount: number;
  readonly stringCount: number;
  private readonly strBytes: Uint8Array;
  private readonly strOff: Uint32Array;
  private readonly strHash: Uint32Array;
  private readonly strCache: (string | undefined)[];
  readonly pkgs: Uint32Array;
  /** Start (in dep triples) of kind k of package i at [i * K + k]; the next entry is its end. */
  readonly depStart: Uint32Array;
  readonly deps: Uint32Array; // triples: name, flags, evr (0 = none)
  private readonly wpOff: Uint32Array;
  private readonly wpData: Uint32Array;
  /** (name, package) pairs sorted by name: conflicts and obsoletes are rare, a full CSR would waste megabytes. */
  private readonly wcPairs: Uint32Array;
  private readonly woPairs: Uint32Array;
  private scratch = new Uint8Array(1024);

  constructor(sections: Record<string, Uint8Array | Uint32Array>, meta: IndexMeta) {
    this.meta = meta;
    this.strBytes = sections.strBytes as Uint8Array;
    this.strOff = sections.strOff as Uint32Array;
    this.strHash = sections.strHash as Uint32Array;
    this.pkgs = sections.pkgs as Uint32Array;
    this.deps = sections.deps as Uint32Array;
    this.depStart = sections.depStart as Uint32Array;
    this.wpOff = sections.wpOff as Uint32Array;
    this.wpData = sections.wpData as Uint32Array;
    this.wcPairs = sections.wcPairs as Uint32Array;
    this.woPairs = sections.woPairs as Uint32Array;
    this.packageCount = this.pkgs.length / P_STRIDE;
    this.stringCount = this.strOff.length - 1;
    this.strCache = new Array(this.stringCount);
  }

  str(id: number): string {
    let s = this.strCache[id];
    if (s === undefined) {
      s = textDecoder.decode(this.strBytes.subarray(this.strOff[id], this.strOff[id + 1]));
      this.strCache[id] = s;
    }
    return s;
  }

  /** The string id of `s`, or -1 when the index does not contain it. */
  lookup(s: string): number {
    if (this.scratch.length < s.length * 3) this.scratch = new Uint8Array(s.length * 3 + 16);
    const { written } = textEncoder.encodeInto(s, this.scratch);
    const n = written ?? 0;
    const mask = this.strHash.length - 1;
    let slot = hashBytes(this.scratch, 0, n) & mask;
    for (;;) {
      const e = this.strHash[slot];
      if (e === 0) return -1;
      const id = e - 1;
      const a = this.strOff[id];
      const b = this.strOff[id + 1];
      if (b - a === n) {
        let same = true;
        for (let i = 0; i < n; i++) {
          if (this.strBytes[a + i] !== this.scratch[i]) {
            same = false;
            break;
          }
        }
        if (same) return id;
      }
      slot = (slot + 1) & mask;
    }
  }

  field(pkg: number, f: number): number {
    return this.pkgs[pkg * P_STRIDE + f];
  }

  fieldStr(pkg: number, f: number): string {
    return this.str(this.pkgs[pkg * P_STRIDE + f]);
  }

  /** Range [start, end) of the package's dependency triples of one kind. */
  depRange(pkg: number, kind: number): [number, number] {
    const at = pkg * DEP_KINDS.length + kind;
    return [this.depStart[at], this.depStart[at + 1]];
  }

  /** Does the package have dependencies of this kind? */
  hasDeps(pkg: number, kind: number): boolean {
    const at = pkg * DEP_KINDS.length + kind;
    return this.depStart[at + 1] > this.depStart[at];
  }

  private csr(off: Uint32Array, data: Uint32Array, nameId: number): Uint32Array {
    if (nameId < 0 || nameId >= this.stringCount) return EMPTY;
    return data.subarray(off[nameId], off[nameId + 1]);
  }

  /** Packages with a Provides (or a file in primary) named `nameId`. */
  providersOf(nameId: number): Uint32Array {
    return this.csr(this.wpOff, this.wpData, nameId);
  }
  /** Packages with a Conflicts on the name `nameId`. */
  conflictersOf(nameId: number): number[] {
    return pairsOf(this.wcPairs, nameId);
  }
  /** Packages with an Obsoletes on the name `nameId`. */
  obsoletersOf(nameId: number): number[] {
    return pairsOf(this.woPairs, nameId);
  }

  comps(): Comps | undefined {
    return this.meta.comps as Comps | undefined;
  }

  serialize(): Uint8Array {
    const sections: Record<string, Uint8Array | Uint32Array> = {
      strBytes: this.strBytes,
      strOff: this.strOff,
      strHash: this.strHash,
      pkgs: this.pkgs,
      deps: this.deps,
      wpOff: this.wpOff,
      wpData: this.wpData,
      wcPairs: this.wcPairs,
      woPairs: this.woPairs,
      depStart: this.depStart,
    };
    return packSections(sections, this.meta);
  }

  static deserialize(buf: Uint8Array): RepoIndex {
    const { sections, meta } = unpackSections(buf);
    return new RepoIndex(sections, meta as IndexMeta);
  }
}

const EMPTY = new Uint32Array(0);

/** Layout: MAGIC(8) | u32 version | u32 headerLen | header JSON | pad to 8 | sections (each 8-aligned). */
export function packSections(sections: Record<string, Uint8Array | Uint32Array>, meta: unknown): Uint8Array {
  const entries = Object.entries(sections);
  const table: { name: string; type: 'u8' | 'u32'; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, arr] of entries) {
    table.push({ name, type: arr instanceof Uint32Array ? 'u32' : 'u8', offset, length: arr.length });
    offset += align8(arr.byteLength);
  }
  const header = textEncoder.encode(JSON.stringify({ meta, sections: table }));
  const headStart = 16;
  const dataStart = align8(headStart + header.length);
  const out = new Uint8Array(dataStart + offset);
  out.set(textEncoder.encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, FORMAT_VERSION, true);
  dv.setUint32(12, header.length, true);
  out.set(header, headStart);
  entries.forEach(([, arr], i) => {
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), dataStart + table[i].offset);
  });
  return out;
}

export function unpackSections(input: Uint8Array): { sections: Record<string, Uint8Array | Uint32Array>; meta: unknown } {
  // Typed array views need 4-byte alignment of the underlying offset.
  const buf = input.byteOffset % 8 === 0 ? input : new Uint8Array(input);
  if (buf.length < 16 || textDecoder.decode(buf.subarray(0, 8)) !== MAGIC) throw new Error('not a depsolve index blob');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== FORMAT_VERSION) throw new Error(`unsupported depsolve index format ${version}`);
  const headerLen = dv.getUint32(12, true);
  const header = JSON.parse(textDecoder.decode(buf.subarray(16, 16 + headerLen))) as {
    meta: unknown;
    sections: { name: string; type: 'u8' | 'u32'; offset: number; length: number }[];
  };
  const dataStart = align8(16 + headerLen);
  const sections: Record<string, Uint8Array | Uint32Array> = {};
  for (const s of header.sections) {
    const at = buf.byteOffset + dataStart + s.offset;
    if (dataStart + s.offset + s.length * (s.type === 'u32' ? 4 : 1) > buf.length) throw new Error('truncated depsolve index blob');
    sections[s.name] = s.type === 'u32' ? new Uint32Array(buf.buffer, at, s.length) : new Uint8Array(buf.buffer, at, s.length);
  }
  return { sections, meta: header.meta };
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

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

export interface BuilderPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
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
 * Interns byte strings without creating JavaScript strings: an arena plus an open-addressing hash table whose slots
 * hold (id + 1, hash, arena offset, length), so a probe reads one cache line before touching the arena.
 */
export class ByteStringTable {
  arena = new Uint8Array(1 << 20);
  used = 0;
  offsets = new Uint32Array(1 << 16);
  private hashes = new Uint32Array(1 << 16);
  count = 0;
  /** At slot * 4: id + 1 (0 = empty), hash, arena offset, length. */
  private table = new Uint32Array(4 << 18);
  private mask = (1 << 18) - 1;
  // A Buffer like the parser's input, so internBytes sees one array type (monomorphic, faster).
  private scratch = Buffer.alloc(256);

  constructor() {
    this.internBytes(this.scratch, 0, 0); // id 0 = ''
  }

  internBytes(src: Uint8Array, start: number, end: number): number {
    const len = end - start;
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      h ^= src[i];
      h = Math.imul(h, 0x01000193);
    }
    h >>>= 0;
    const table = this.table;
    const mask = this.mask;
    let slot = h & mask;
    for (;;) {
      const t = slot * 4;
      const e = table[t];
      if (e === 0) break;
      if (table[t + 1] === h && table[t + 3] === len) {
        const a = table[t + 2];
        const arena = this.arena;
        let j = 0;
        while (j < len && arena[a + j] === src[start + j]) j++;
        if (j === len) return e - 1;
      }
      slot = (slot + 1) & mask;
    }
    // New string.
    const id = this.count;
    if (this.used + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + len));
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    // A plain loop: short strings, and subarray() on a Buffer allocates an object per call.
    const arena = this.arena;
    const at = this.used;
    for (let j = 0; j < len; j++) arena[at + j] = src[start + j];
    if (id + 2 > this.offsets.length) {
      const bigger = new Uint32Array(this.offsets.length * 2);
      bigger.set(this.offsets);
      this.offsets = bigger;
      const hs = new Uint32Array(this.offsets.length);
      hs.set(this.hashes);
      this.hashes = hs;
    }
    this.hashes[id] = h;
    this.offsets[id] = at;
    this.used = at + len;
    this.offsets[id + 1] = this.used;
    this.count++;
    const t = slot * 4;
    table[t] = id + 1;
    table[t + 1] = h;
    table[t + 2] = at;
    table[t + 3] = len;
    if (this.count * 2 > mask + 1) this.grow();
    return id;
  }

  /** FNV-1a hash of string `id` (as hashBytes computes it). */
  hashOf(id: number): number {
    return this.hashes[id];
  }

  /** Pre-size for about `strings` strings of `bytes` bytes in all, sparing the doubling copies and rehashes. */
  reserve(strings: number, bytes: number): void {
    if (bytes > this.arena.length) {
      const bigger = new Uint8Array(bytes);
      bigger.set(this.arena.subarray(0, this.used));
      this.arena = bigger;
    }
    if (strings + 2 > this.offsets.length) {
      const offs = new Uint32Array(strings + 2);
      offs.set(this.offsets.subarray(0, this.count + 1));
      this.offsets = offs;
      const hs = new Uint32Array(strings + 2);
      hs.set(this.hashes.subarray(0, this.count));
      this.hashes = hs;
    }
    let size = this.mask + 1;
    while (size < strings * 2) size *= 2;
    if (size > this.mask + 1) this.rehash(size);
  }

  intern(s: string | undefined): number {
    if (!s) return 0;
    if (this.scratch.length < s.length * 3) this.scratch = Buffer.alloc(s.length * 3 + 16);
    const written = this.scratch.write(s, 0, 'utf8');
    return this.internBytes(this.scratch, 0, written);
  }

  private grow(): void {
    this.rehash((this.mask + 1) * 2);
  }

  private rehash(size: number): void {
    const table = new Uint32Array(size * 4);
    const mask = size - 1;
    const offs = this.offsets;
    for (let id = 0; id < this.count; id++) {
      const h = this.hashes[id];
      let slot = h & mask;
      while (table[slot * 4] !== 0) slot = (slot + 1) & mask;
      const t = slot * 4;
      table[t] = id + 1;
      table[t + 1] = h;
      table[t + 2] = offs[id];
      table[t + 3] = offs[id + 1] - offs[id];
    }
    this.table = table;
    this.mask = mask;
  }
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
    fields[P_NAME] = this.intern(p.name);
    fields[P_EPOCH] = p.epoch;
    fields[P_VERSION] = this.intern(p.version);
    fields[P_RELEASE] = this.intern(p.release);
    fields[P_ARCH] = this.intern(p.arch);
    fields[P_CHECKSUM] = this.intern(p.checksum);
    fields[P_LOCATION] = this.intern(p.location);
    fields[P_BASE] = this.intern(p.base);
    fields[P_SUMMARY] = this.intern(p.summary);
    fields[P_LICENSE] = this.intern(p.license);
    fields[P_SOURCERPM] = this.intern(p.sourcerpm);
    fields[P_URL] = this.intern(p.url);
    fields[P_DESCRIPTION] = this.intern(p.description);
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
    const st = this.strings;
    const nStr = st.count;
    const strBytes = st.arena.slice(0, st.used);
    const strOff = st.offsets.slice(0, nStr + 1);
    let size = 1;
    while (size < nStr * 1.5) size <<= 1;
    const strHash = new Uint32Array(size);
    const mask = size - 1;
    for (let i = 0; i < nStr; i++) {
      // The interning table already holds each string's hashBytes value.
      let slot = st.hashOf(i) & mask;
      while (strHash[slot] !== 0) slot = (slot + 1) & mask;
      strHash[slot] = i + 1;
    }

    const deps = this.deps.done();
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
    const sections: Record<string, Uint8Array | Uint32Array> = {
      strBytes,
      strOff,
      strHash,
      pkgs: this.pkgs.done(),
      deps,
      wpOff,
      wpData,
      wcPairs,
      woPairs,
      depStart,
    };
    return new RepoIndex(sections, meta);
  }
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
