/**
 * A byte-level parser for primary.xml: it cuts the stream at `</package>`, finds the few elements the index needs
 * with Buffer.indexOf and interns names straight from the bytes, creating almost no JavaScript strings. This is what
 * makes a 100+ MB primary.xml index in a couple of seconds with bounded memory.
 */
import { decodeEntities } from './xml-scanner.ts';
import {
  DEP_KINDS,
  DEP_PRE,
  DEP_RICH,
  KIND,
  P_ARCH,
  P_BASE,
  P_CHECKSUM,
  P_EPOCH,
  P_LICENSE,
  P_LOCATION,
  P_NAME,
  P_RELEASE,
  P_SIZE,
  P_SOURCERPM,
  P_STRIDE,
  P_SUMMARY,
  P_VERSION,
  REL_EQ,
  REL_GT,
  REL_LT,
  type IndexMeta,
  type RepoIndex,
} from './repo-index.ts';
import { RepoIndexBuilder } from './repo-index-builder.ts';

const B = (s: string) => Buffer.from(s, 'latin1');
const PKG_START = B('<package');
const PKG_END = B('</package>');
const A_EPOCH = B(' epoch="');
const A_VER = B(' ver="');
const A_REL = B(' rel="');
const A_TYPE = B(' type="');
const A_HREF = B(' href="');
const A_BASE = B(' xml:base="');
const A_PACKAGE = B(' package="');
const A_PACKAGES = B(' packages="');

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUOTE = 0x22;
const AMP = 0x26;

/** Element names, by name → handler code. */
const T_NAME = 1;
const T_ARCH = 2;
const T_VERSION = 3;
const T_CHECKSUM = 4;
const T_SUMMARY = 5;
const T_LOCATION = 6;
const T_SIZE = 7;
const T_LICENSE = 8;
const T_SOURCERPM = 9;
const T_ENTRY = 10;
const T_FILE = 11;
const T_SECTION = 100; // + kind

// Most frequent first: rpm:entry and file make up most tags.
const TAGS = new Map<string, number>([
  ['rpm:entry', T_ENTRY],
  ['file', T_FILE],
  ['name', T_NAME],
  ['arch', T_ARCH],
  ['version', T_VERSION],
  ['checksum', T_CHECKSUM],
  ['summary', T_SUMMARY],
  ['location', T_LOCATION],
  ['size', T_SIZE],
  ['rpm:license', T_LICENSE],
  ['rpm:sourcerpm', T_SOURCERPM],
  ...DEP_KINDS.map((k) => [`rpm:${k}`, T_SECTION + KIND[k]] as [string, number]),
]);
// Lookup by (length, first byte, last byte) then exact compare.
const TAG_LIST = [...TAGS].map(([name, code]) => ({ bytes: B(name), code }));

function tagCode(buf: Buffer, at: number, len: number): number {
  for (const t of TAG_LIST) {
    const b = t.bytes;
    if (b.length !== len || b[0] !== buf[at] || b[len - 1] !== buf[at + len - 1]) continue;
    let j = 1;
    while (j < len - 1 && b[j] === buf[at + j]) j++;
    if (j >= len - 1) return t.code;
  }
  return 0;
}

/** EQ, LT, GT, LE, GE as bytes → REL_* bits; -1 when unknown. */
function flagCode(buf: Buffer, a: number, b: number): number {
  if (b - a !== 2) return -1;
  const x = buf[a];
  const y = buf[a + 1];
  if (x === 0x45 && y === 0x51) return REL_EQ;
  if (x === 0x4c && y === 0x54) return REL_LT;
  if (x === 0x47 && y === 0x54) return REL_GT;
  if (x === 0x4c && y === 0x45) return REL_LT | REL_EQ;
  if (x === 0x47 && y === 0x45) return REL_GT | REL_EQ;
  return -1;
}

export class PrimaryParseError extends Error {}

export class PrimaryByteParser {
  readonly builder = new RepoIndexBuilder();
  declaredCount = -1;
  private carry: Buffer | undefined;
  private sawHeader = false;
  private readonly fields = new Uint32Array(P_STRIDE);
  /** Per-kind dependency triples of the current package (primary lists suggests before recommends). */
  private readonly kindDeps: number[][] = DEP_KINDS.map(() => []);
  private scratch = Buffer.alloc(4096);

  push(chunk: Uint8Array): void {
    const incoming = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let buf = incoming;
    if (this.carry) {
      // Only the package cut by the chunk boundary is copied, not the whole chunk.
      const cut = incoming.indexOf(PKG_END);
      if (cut < 0 || this.carry.indexOf(PKG_START) < 0) buf = Buffer.concat([this.carry, incoming]);
      else {
        const joined = Buffer.concat([this.carry, incoming.subarray(0, cut + PKG_END.length)]);
        this.carry = undefined;
        this.scanPackages(joined, true);
        buf = incoming.subarray(cut + PKG_END.length);
      }
    }
    this.scanPackages(buf, false);
  }

  private scanPackages(buf: Buffer, whole: boolean): void {
    let pos = 0;
    if (!this.sawHeader) {
      const first = buf.indexOf(PKG_START);
      const headerEnd = first < 0 ? buf.length : first;
      const m = buf.indexOf(A_PACKAGES);
      if (m >= 0 && m < headerEnd) {
        const e = buf.indexOf(QUOTE, m + A_PACKAGES.length);
        this.declaredCount = Number(buf.toString('latin1', m + A_PACKAGES.length, e));
        // Fedora-like metadata has about 8 distinct strings (250 bytes) per package; a bad count only costs memory.
        const n = Math.min(Math.max(this.declaredCount, 0) || 0, 200_000);
        this.builder.strings.reserve(n * 8, n * 256);
      }
      if (first >= 0) this.sawHeader = true;
    }
    for (;;) {
      const end = buf.indexOf(PKG_END, pos);
      if (end < 0) break;
      let start = buf.indexOf(PKG_START, pos);
      // Skip <packager> and the like: a package element is `<package` followed by space or '>'.
      while (start >= 0 && start < end && buf[start + 8] !== 0x20 && buf[start + 8] !== GT) start = buf.indexOf(PKG_START, start + 1);
      if (start < 0 || start > end) throw new PrimaryParseError('</package> without <package>');
      this.parsePackage(buf, start, end);
      pos = end + PKG_END.length;
    }
    if (whole) return;
    const rest = buf.length - pos;
    if (rest > 64 * 1024 * 1024) throw new PrimaryParseError('package element larger than 64 MiB');
    // Copy the tail so the big chunk is not retained.
    this.carry = rest > 0 ? Buffer.from(buf.subarray(pos)) : undefined;
  }

  end(): void {
    const tail = this.carry ? this.carry.toString('utf8') : '';
    if (tail.includes('<package')) throw new PrimaryParseError('unexpected end of primary metadata inside a package');
    if (!this.sawHeader && this.builder.packageCount === 0 && !/<metadata[\s>]/.test(tail)) throw new PrimaryParseError('not primary metadata');
    if (!/<\/metadata>\s*$/.test(tail)) throw new PrimaryParseError('unexpected end of primary metadata (no </metadata>)');
  }

  private intern(buf: Buffer, a: number, b: number): number {
    if (b <= a) return 0;
    // A bounded JS loop: indexOf would scan on past `b` to the next '&' and costs a native call per string.
    let amp = a;
    while (amp < b && buf[amp] !== AMP) amp++;
    if (amp < b) return this.builder.strings.intern(decodeEntities(buf.toString('utf8', a, b)));
    return this.builder.strings.internBytes(buf, a, b);
  }

  private readonly entry = new Int32Array(12);

  /**
   * One pass over an rpm:entry tag's attributes: value ranges of name, flags, epoch, ver, rel, pre (start -1 when
   * absent) at [0,1], [2,3], [4,5], [6,7], [8,9], [10,11].
   */
  private entryAttrs(buf: Buffer, from: number, gt: number): Int32Array {
    const r = this.entry;
    r.fill(-1);
    let k = from;
    while (k < gt) {
      const c = buf[k];
      if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === SLASH) {
        k++;
        continue;
      }
      const nameStart = k;
      while (k < gt && buf[k] !== 0x3d /* = */) k++;
      const nameLen = k - nameStart;
      const q = buf[k + 1];
      const vs = k + 2;
      let ve = vs;
      while (ve < gt && buf[ve] !== q) ve++;
      if (ve >= gt) throw new PrimaryParseError('unterminated attribute');
      let slot = -1;
      const c0 = buf[nameStart];
      if (nameLen === 4 && c0 === 0x6e /* name */) slot = 0;
      else if (nameLen === 5 && c0 === 0x66 /* flags */) slot = 2;
      else if (nameLen === 5 && c0 === 0x65 /* epoch */) slot = 4;
      else if (nameLen === 3 && c0 === 0x76 /* ver */) slot = 6;
      else if (nameLen === 3 && c0 === 0x72 /* rel */) slot = 8;
      else if (nameLen === 3 && c0 === 0x70 /* pre */) slot = 10;
      if (slot >= 0) {
        r[slot] = vs;
        r[slot + 1] = ve;
      }
      k = ve + 1;
    }
    return r;
  }

  /** [start, end) of an attribute's value inside the tag [lt, gt), or start = -1. */
  private attr(buf: Buffer, lt: number, gt: number, name: Buffer): [number, number] {
    // Bounded search: an absent attribute must not scan the rest of the buffer.
    const first = name[1];
    const n = name.length;
    let at = -1;
    for (let k = lt; k + n <= gt; k++) {
      if (buf[k + 1] !== first || buf[k] !== 0x20) continue;
      let j = 2;
      while (j < n && buf[k + j] === name[j]) j++;
      if (j === n) {
        at = k;
        break;
      }
    }
    if (at < 0) return [-1, -1];
    const s = at + n;
    let e = s;
    while (e < gt && buf[e] !== QUOTE) e++;
    if (e >= gt) throw new PrimaryParseError('unterminated attribute');
    return [s, e];
  }

  /** Intern `[epoch:]ver[-rel]` (epoch 0 omitted) composed from attribute ranges. */
  private internEvr(buf: Buffer, e: [number, number], v: [number, number], r: [number, number]): number {
    if (v[0] < 0) return 0;
    const need = v[1] - v[0] + (r[0] >= 0 ? r[1] - r[0] + 1 : 0) + (e[0] >= 0 ? e[1] - e[0] + 1 : 0);
    if (this.scratch.length < need) this.scratch = Buffer.alloc(need * 2);
    const sc = this.scratch;
    let n = 0;
    const hasEpoch = e[0] >= 0 && e[1] > e[0] && !(e[1] - e[0] === 1 && buf[e[0]] === 0x30);
    let amp = false;
    if (hasEpoch) {
      for (let k = e[0]; k < e[1]; k++) amp = (sc[n++] = buf[k]) === AMP || amp;
      sc[n++] = 0x3a;
    }
    for (let k = v[0]; k < v[1]; k++) amp = (sc[n++] = buf[k]) === AMP || amp;
    if (r[0] >= 0) {
      sc[n++] = 0x2d;
      for (let k = r[0]; k < r[1]; k++) amp = (sc[n++] = buf[k]) === AMP || amp;
    }
    if (amp) return this.builder.strings.intern(decodeEntities(sc.toString('utf8', 0, n)));
    return this.builder.strings.internBytes(sc, 0, n);
  }

  private parsePackage(buf: Buffer, start: number, end: number): void {
    const f = this.fields;
    f.fill(0);
    for (const d of this.kindDeps) d.length = 0;
    let section = -1;
    let i = start + 1;
    let checksumType: [number, number] = [-1, -1];
    // Plain loops rather than Buffer#indexOf: the spans are short and each indexOf is a native call.
    for (;;) {
      let lt = i;
      while (lt < end && buf[lt] !== LT) lt++;
      if (lt >= end) break;
      let gt = lt;
      while (gt < end && buf[gt] !== GT) gt++;
      if (gt >= end) throw new PrimaryParseError('unterminated tag');
      const c1 = buf[lt + 1];
      if (c1 === SLASH) {
        if (section >= 0 && buf[lt + 2] === 0x72 /* r */ && buf[lt + 6] !== 0x65 /* not rpm:entry */) section = -1;
        i = gt + 1;
        continue;
      }
      if (c1 === 0x21 /* ! */ || c1 === 0x3f /* ? */) {
        i = gt + 1;
        continue;
      }
      let ne: number;
      let code: number;
      if (c1 === 0x72 && buf[lt + 4] === 0x3a && buf[lt + 5] === 0x65 && buf[lt + 10] === 0x20 && buf[lt + 9] === 0x79) {
        // Fast path for the most common tag, `<rpm:entry `.
        ne = lt + 10;
        code = T_ENTRY;
      } else {
        ne = lt + 1;
        for (;;) {
          const c = buf[ne];
          if (c === 0x20 || c === GT || c === SLASH || c === 0x0a || c === 0x09 || c === 0x0d) break;
          ne++;
        }
        code = tagCode(buf, lt + 1, ne - lt - 1);
      }
      i = gt + 1;
      if (code === 0) continue;
      if (code >= T_SECTION) {
        section = code - T_SECTION;
        continue;
      }
      const selfClosing = buf[gt - 1] === SLASH;
      let textEnd = gt + 1;
      if (!selfClosing) while (textEnd < end && buf[textEnd] !== LT) textEnd++;
      switch (code) {
        case T_ENTRY: {
          if (section < 0) break;
          const at = this.entryAttrs(buf, ne, gt);
          if (at[0] < 0) throw new PrimaryParseError('rpm:entry without name');
          let flags = 0;
          let evr = 0;
          if (at[2] >= 0) {
            flags = flagCode(buf, at[2], at[3]);
            if (flags < 0) throw new PrimaryParseError(`unknown dependency flags "${buf.toString('latin1', at[2], at[3])}"`);
            evr = this.internEvr(buf, [at[4], at[5]], [at[6], at[7]], [at[8], at[9]]);
          }
          if (at[10] >= 0 && (buf[at[10]] === 0x31 || buf[at[10]] === 0x74)) flags |= DEP_PRE;
          if (buf[at[0]] === 0x28 /* ( */) flags |= DEP_RICH;
          this.kindDeps[section].push(this.intern(buf, at[0], at[1]), flags, evr);
          break;
        }
        case T_FILE:
          this.kindDeps[KIND.provides].push(this.intern(buf, gt + 1, textEnd), 0, 0);
          break;
        case T_NAME:
          f[P_NAME] = this.intern(buf, gt + 1, textEnd);
          break;
        case T_ARCH:
          f[P_ARCH] = this.intern(buf, gt + 1, textEnd);
          break;
        case T_VERSION: {
          const e = this.attr(buf, lt, gt, A_EPOCH);
          f[P_EPOCH] = e[0] >= 0 ? Number(buf.toString('latin1', e[0], e[1])) || 0 : 0;
          const v = this.attr(buf, lt, gt, A_VER);
          const r = this.attr(buf, lt, gt, A_REL);
          f[P_VERSION] = v[0] >= 0 ? this.intern(buf, v[0], v[1]) : 0;
          f[P_RELEASE] = r[0] >= 0 ? this.intern(buf, r[0], r[1]) : 0;
          break;
        }
        case T_CHECKSUM: {
          checksumType = this.attr(buf, lt, gt, A_TYPE);
          const t = checksumType[0] >= 0 ? buf.toString('latin1', checksumType[0], checksumType[1]) : 'sha256';
          f[P_CHECKSUM] = this.builder.strings.intern(`${t}:${buf.toString('latin1', gt + 1, textEnd).trim()}`);
          break;
        }
        case T_SUMMARY:
          f[P_SUMMARY] = this.intern(buf, gt + 1, textEnd);
          break;
        case T_LOCATION: {
          const h = this.attr(buf, lt, gt, A_HREF);
          if (h[0] >= 0) f[P_LOCATION] = this.intern(buf, h[0], h[1]);
          const b = this.attr(buf, lt, gt, A_BASE);
          if (b[0] >= 0) f[P_BASE] = this.intern(buf, b[0], b[1]);
          break;
        }
        case T_SIZE: {
          const p = this.attr(buf, lt, gt, A_PACKAGE);
          if (p[0] >= 0) f[P_SIZE] = Number(buf.toString('latin1', p[0], p[1])) >>> 0;
          break;
        }
        case T_LICENSE:
          f[P_LICENSE] = this.intern(buf, gt + 1, textEnd);
          break;
        case T_SOURCERPM:
          f[P_SOURCERPM] = this.intern(buf, gt + 1, textEnd);
          break;
      }
    }
    if (!f[P_NAME] || !f[P_ARCH]) throw new PrimaryParseError('package without name or arch');
    // libsolv adds the package's own `name = evr` provide when the metadata lacks it.
    const prov = this.kindDeps[KIND.provides];
    let self = false;
    for (let k = 0; k < prov.length; k += 3) if (prov[k] === f[P_NAME] && (prov[k + 1] & 7) === REL_EQ) self = true;
    if (!self) {
      const st = this.builder.strings;
      const str = (id: number) => Buffer.from(st.arena.subarray(st.offsets[id], st.offsets[id + 1])).toString('utf8');
      prov.push(f[P_NAME], REL_EQ, st.intern(`${f[P_EPOCH] ? `${f[P_EPOCH]}:` : ''}${str(f[P_VERSION])}-${str(f[P_RELEASE])}`));
    }
    const b = this.builder;
    b.beginPackageIds(f);
    for (let k = 0; k < DEP_KINDS.length; k++) {
      const d = this.kindDeps[k];
      b.startKind(k);
      for (let j = 0; j < d.length; j += 3) b.addDepIds(d[j], d[j + 1], d[j + 2]);
    }
    b.endPackage();
  }
}

/** Parse a whole primary.xml stream of byte chunks into an index. */
export async function buildIndexFromPrimaryBytes(chunks: AsyncIterable<Uint8Array>, meta: IndexMeta): Promise<RepoIndex> {
  const p = new PrimaryByteParser();
  for await (const c of chunks) p.push(c);
  p.end();
  if (p.declaredCount >= 0 && p.declaredCount !== p.builder.packageCount) {
    throw new PrimaryParseError(`primary metadata declares ${p.declaredCount} packages but lists ${p.builder.packageCount}`);
  }
  return p.builder.finish(meta);
}
