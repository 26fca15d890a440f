/**
 * A byte-level parser for primary.xml: each chunk is parsed in one pass up to its last `</package>` (the rest waits
 * for the next chunk), the few elements the index needs are picked out and their strings hashed as they are scanned
 * and interned straight from the bytes, creating almost no JavaScript strings. Checksums, locations and source rpms
 * go to the index in their stored forms (primary-stored-forms.ts). This is what makes a 100+ MB primary.xml index in
 * about a second with bounded memory.
 */
import { storedChecksum, storedLocation, storedSourcerpm } from './primary-stored-forms.ts';
import {
  AMP, A_BASE, A_EPOCH, A_HREF, A_PACKAGE, A_PACKAGES, A_REL, A_TYPE, A_VER, GT, LT, PKG_END, PKG_START, QUOTE,
  R_ARCH, R_CKTYPE, R_CKVALUE, R_COUNT, R_HREF, R_NAME, R_REL, R_SRPM, R_TMP, R_VER, SLASH, T_ARCH, T_CHECKSUM,
  T_ENTRY, T_FILE, T_LICENSE, T_LOCATION, T_NAME, T_PACKAGE, T_SECTION, T_SIZE, T_SOURCERPM, T_SUMMARY, T_VERSION,
  PrimaryParseError, tagCode
} from './primary-tags.ts';
import { DependencyEntries } from './primary-entries.ts';
import { decodeEntities } from './xml-scanner.ts';
import {
  DEP_KINDS, KIND, P_ARCH, P_BASE, P_CHECKSUM, P_EPOCH, P_LICENSE, P_LOCATION, P_NAME, P_RELEASE,
  P_SIZE, P_SOURCERPM, P_STRIDE, P_SUMMARY, P_VERSION, REL_EQ, type IndexMeta, type RepoIndex
} from './repo-index.ts';
import { RepoIndexBuilder } from './repo-index-builder.ts';

export class PrimaryByteParser {
  readonly builder = new RepoIndexBuilder();
  declaredCount = -1;
  private carry: Buffer | undefined;
  private sawHeader = false;
  private readonly fields = new Uint32Array(P_STRIDE);
  /** Value ranges of the current package (see R_*), start -1 when absent. */
  private readonly ranges = new Int32Array(R_COUNT * 2);
  /** ranges[R_x * 2 ..] as [start, end] views, made once. */
  private readonly views = Array.from({ length: R_COUNT }, (_, r) => this.ranges.subarray(r * 2, r * 2 + 2));
  /** The current package's rpm:entry dependencies, per kind. */
  private readonly entries = new DependencyEntries(this.builder.strings);

  constructor() {
    this.builder.useStoredForms();
  }

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
        // Fedora-like metadata has about 4.5 distinct strings (100 bytes) a package the index keeps (checksums,
        // locations and source rpms are not interned); a bad count only costs memory.
        const n = Math.min(Math.max(this.declaredCount, 0) || 0, 200_000);
        this.builder.strings.reserve(n * 5, n * 100, n * 4.5);
        this.builder.reserve(n);
      }
      if (first >= 0) this.sawHeader = true;
    }
    const last = buf.lastIndexOf(PKG_END);
    if (last >= pos) {
      this.parsePackages(buf, pos, last + PKG_END.length);
      pos = last + PKG_END.length;
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

  /** The [start, end) of an attribute's value inside the tag [lt, gt) into ranges[slot] (start -1 when absent). */
  private attrRange(buf: Buffer, lt: number, gt: number, name: Buffer, slot: number): void {
    // Bounded search: an absent attribute must not scan the rest of the buffer.
    const first = name[1];
    const n = name.length;
    const rg = this.ranges;
    rg[slot * 2] = rg[slot * 2 + 1] = -1;
    for (let k = lt; k + n <= gt; k++) {
      if (buf[k + 1] !== first || buf[k] !== 0x20) continue;
      let j = 2;
      while (j < n && buf[k + j] === name[j]) j++;
      if (j < n) continue;
      let e = k + n;
      while (e < gt && buf[e] !== QUOTE) e++;
      if (e >= gt) throw new PrimaryParseError('unterminated attribute');
      rg[slot * 2] = k + n;
      rg[slot * 2 + 1] = e;
      return;
    }
  }

  /** A tag's text: [from, the next '<'), hashed and interned in one pass; sets textEnd. */
  private textEnd = 0;
  private internText(buf: Buffer, from: number, end: number): number {
    let k = from;
    let h = 0x811c9dc5;
    let amp = false;
    for (let c = buf[k]; k < end && c !== LT; c = buf[++k]) {
      h = Math.imul(h ^ c, 0x01000193);
      if (c === AMP) amp = true;
    }
    this.textEnd = k;
    if (k === from) return 0;
    if (amp) return this.builder.strings.intern(decodeEntities(buf.toString('utf8', from, k)));
    return this.builder.strings.internHashed(buf, from, k, h >>> 0);
  }

  /** A tag's text range [from, the next '<') into ranges[slot]. */
  private textRange(buf: Buffer, from: number, end: number, slot: number): void {
    let k = from;
    while (k < end && buf[k] !== LT) k++;
    this.ranges[slot * 2] = from;
    this.ranges[slot * 2 + 1] = k;
  }

  /** Reset the per-package state at `<package>`. */
  private startPackage(): void {
    this.fields.fill(0);
    this.ranges.fill(-1);
    this.entries.clear();
  }

  /** One pass over [from, to), which ends with a `</package>`: tags outside packages are skipped. */
  private parsePackages(buf: Buffer, from: number, to: number): void {
    const f = this.fields;
    const rg = this.ranges;
    let inPackage = false;
    let section = -1;
    let i = from;
    // Plain loops rather than Buffer#indexOf: the spans are short and each indexOf is a native call.
    for (;;) {
      let lt = i;
      while (lt < to && buf[lt] !== LT) lt++;
      if (lt >= to) break;
      const c1 = buf[lt + 1];
      if (c1 === SLASH) {
        if (buf[lt + 2] === 0x70 /* p */ && buf[lt + 9] === GT && buf[lt + 8] === 0x65 && buf[lt + 3] === 0x61 && buf[lt + 4] === 0x63) {
          // </package>
          if (!inPackage) throw new PrimaryParseError('</package> without <package>');
          this.finishPackage(buf);
          inPackage = false;
          section = -1;
          i = lt + 10;
          continue;
        }
        if (section >= 0 && buf[lt + 2] === 0x72 /* r */ && buf[lt + 6] !== 0x65 /* not rpm:entry */) section = -1;
        i = lt + 2;
        while (i < to && buf[i] !== GT) i++;
        i++;
        continue;
      }
      let ne: number;
      let code: number;
      if (c1 === 0x72 && buf[lt + 4] === 0x3a && buf[lt + 5] === 0x65 && buf[lt + 10] === 0x20 && buf[lt + 9] === 0x79) {
        // Fast path for the most common tag, `<rpm:entry `: its attributes are read in the same pass as its end.
        if (inPackage && section >= 0) {
          this.entries.add(buf, lt + 10, to, section);
          i = this.entries.end + 1;
          continue;
        }
        ne = lt + 10;
        code = T_ENTRY;
      } else if (c1 === 0x21 /* ! */ || c1 === 0x3f /* ? */) {
        ne = lt + 2;
        code = 0;
      } else {
        ne = lt + 1;
        for (;;) {
          const c = buf[ne];
          if (c === 0x20 || c === GT || c === SLASH || c === 0x0a || c === 0x09 || c === 0x0d) break;
          ne++;
        }
        code = tagCode(buf, lt + 1, ne - lt - 1);
      }
      let gt = ne;
      while (gt < to && buf[gt] !== GT) gt++;
      if (gt >= to) throw new PrimaryParseError('unterminated tag');
      i = gt + 1;
      if (code === T_PACKAGE) {
        if (!inPackage) this.startPackage();
        inPackage = true;
        continue;
      }
      if (code === 0 || !inPackage) continue;
      if (code >= T_SECTION) {
        section = code - T_SECTION;
        continue;
      }
      // The text of an element (up to the next '<'), or nothing for a self-closing one.
      const textTo = buf[gt - 1] === SLASH ? gt + 1 : to;
      switch (code) {
        case T_ENTRY:
          // Not after `<rpm:entry ` (say a tab after the name): the same handling.
          if (section >= 0) this.entries.add(buf, ne, to, section);
          break;
        case T_FILE:
          this.entries.byKind[KIND.provides].push(this.internText(buf, gt + 1, textTo), 0, 0);
          break;
        case T_NAME:
          this.textRange(buf, gt + 1, textTo, R_NAME);
          break;
        case T_ARCH:
          this.textRange(buf, gt + 1, textTo, R_ARCH);
          break;
        case T_VERSION: {
          this.attrRange(buf, lt, gt, A_EPOCH, R_TMP);
          const e0 = rg[R_TMP * 2];
          const e1 = rg[R_TMP * 2 + 1];
          f[P_EPOCH] = e0 < 0 ? 0 : e1 - e0 === 1 && buf[e0] >= 0x30 && buf[e0] <= 0x39 ? buf[e0] - 0x30 : Number(buf.toString('latin1', e0, e1)) || 0;
          this.attrRange(buf, lt, gt, A_VER, R_VER);
          this.attrRange(buf, lt, gt, A_REL, R_REL);
          break;
        }
        case T_CHECKSUM:
          this.attrRange(buf, lt, gt, A_TYPE, R_CKTYPE);
          this.textRange(buf, gt + 1, textTo, R_CKVALUE);
          break;
        case T_SUMMARY:
          f[P_SUMMARY] = this.internText(buf, gt + 1, textTo);
          break;
        case T_LOCATION:
          this.attrRange(buf, lt, gt, A_HREF, R_HREF);
          this.attrRange(buf, lt, gt, A_BASE, R_TMP);
          if (rg[R_TMP * 2] >= 0) f[P_BASE] = this.intern(buf, rg[R_TMP * 2], rg[R_TMP * 2 + 1]);
          break;
        case T_SIZE:
          this.attrRange(buf, lt, gt, A_PACKAGE, R_TMP);
          if (rg[R_TMP * 2] >= 0) f[P_SIZE] = Number(buf.toString('latin1', rg[R_TMP * 2], rg[R_TMP * 2 + 1])) >>> 0;
          break;
        case T_LICENSE:
          f[P_LICENSE] = this.internText(buf, gt + 1, textTo);
          break;
        case T_SOURCERPM:
          this.textRange(buf, gt + 1, textTo, R_SRPM);
          break;
      }
    }
    if (inPackage) throw new PrimaryParseError('unexpected end of primary metadata inside a package');
  }

  /** The package's fields from the ranges collected, its self-provide, and the package handed to the builder. */
  private finishPackage(buf: Buffer): void {
    const f = this.fields;
    const rg = this.ranges;
    const v = this.views;
    const b = this.builder;
    const st = b.strings;
    f[P_NAME] = rg[R_NAME * 2] < 0 ? 0 : this.intern(buf, rg[R_NAME * 2], rg[R_NAME * 2 + 1]);
    f[P_ARCH] = rg[R_ARCH * 2] < 0 ? 0 : this.intern(buf, rg[R_ARCH * 2], rg[R_ARCH * 2 + 1]);
    if (!f[P_NAME] || !f[P_ARCH]) throw new PrimaryParseError('package without name or arch');
    f[P_VERSION] = rg[R_VER * 2] < 0 ? 0 : this.intern(buf, rg[R_VER * 2], rg[R_VER * 2 + 1]);
    f[P_RELEASE] = rg[R_REL * 2] < 0 ? 0 : this.intern(buf, rg[R_REL * 2], rg[R_REL * 2 + 1]);
    f[P_CHECKSUM] = storedChecksum(st, buf, v[R_CKTYPE], v[R_CKVALUE], b.digestArray(), b.digestAt());
    f[P_LOCATION] = storedLocation(st, buf, v[R_HREF], v[R_NAME], v[R_VER], v[R_REL], v[R_ARCH]);
    f[P_SOURCERPM] = storedSourcerpm(st, buf, v[R_SRPM], v[R_VER], v[R_REL]);
    // libsolv adds the package's own `name = evr` provide when the metadata lacks it.
    const prov = this.entries.byKind[KIND.provides];
    let self = false;
    for (let k = 0; k < prov.length; k += 3) if (prov[k] === f[P_NAME] && (prov[k + 1] & 7) === REL_EQ) self = true;
    if (!self) {
      const str = (id: number) => Buffer.from(st.arena.subarray(st.offsets[id], st.offsets[id + 1])).toString('utf8');
      prov.push(f[P_NAME], REL_EQ, st.intern(`${f[P_EPOCH] ? `${f[P_EPOCH]}:` : ''}${str(f[P_VERSION])}-${str(f[P_RELEASE])}`));
    }
    b.beginPackageIds(f);
    for (let k = 0; k < DEP_KINDS.length; k++) {
      const d = this.entries.byKind[k];
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
