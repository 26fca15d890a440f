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
  flagCode, tagCode
} from './primary-tags.ts';
import { richDepParses } from './dependency.ts';
import { decodeEntities } from './xml-scanner.ts';
import {
  DEP_KINDS, DEP_PRE, DEP_RICH, KIND, P_ARCH, P_BASE, P_CHECKSUM, P_EPOCH, P_LICENSE, P_LOCATION, P_NAME, P_RELEASE,
  P_SIZE, P_SOURCERPM, P_STRIDE, P_SUMMARY, P_VERSION, REL_EQ, type IndexMeta, type RepoIndex
} from './repo-index.ts';
import { RepoIndexBuilder } from './repo-index-builder.ts';

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
  /** Value ranges of the current package (see R_*), start -1 when absent. */
  private readonly ranges = new Int32Array(R_COUNT * 2);
  /** ranges[R_x * 2 ..] as [start, end] views, made once. */
  private readonly views = Array.from({ length: R_COUNT }, (_, r) => this.ranges.subarray(r * 2, r * 2 + 2));
  /** hashBytes of the last rpm:entry name scanned by entryAttrs, and whether it holds an entity. */
  private nameHash = 0;
  private nameAmp = false;
  /** Rich dependency texts checked so far, by string id: do they parse? */
  private readonly richChecked = new Map<number, boolean>();

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

  private readonly entry = new Int32Array(12);

  /** Where the tag entryAttrs read ends (its '>'). */
  private entryEnd = 0;

  /**
   * One pass over an rpm:entry tag's attributes, from `from` to the tag's '>' (set in entryEnd; quotes honoured): value
   * ranges of name, flags, epoch, ver, rel, pre (start -1 when absent) at [0,1], [2,3], [4,5], [6,7], [8,9], [10,11].
   */
  private entryAttrs(buf: Buffer, from: number, to: number): Int32Array {
    const r = this.entry;
    r.fill(-1);
    let k = from;
    for (;;) {
      if (k >= to) throw new PrimaryParseError('unterminated tag');
      const c = buf[k];
      if (c === GT) break;
      if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === SLASH) {
        k++;
        continue;
      }
      const nameStart = k;
      while (k < to && buf[k] !== 0x3d /* = */ && buf[k] !== GT) k++;
      const nameLen = k - nameStart;
      const q = buf[k + 1];
      if (buf[k] !== 0x3d || (q !== QUOTE && q !== 0x27)) throw new PrimaryParseError('malformed attribute in rpm:entry');
      const vs = k + 2;
      let ve = vs;
      if (nameLen === 4 && buf[nameStart] === 0x6e /* name: hashed as it is scanned */) {
        let h = 0x811c9dc5;
        let amp = false;
        for (let c = buf[ve]; ve < to && c !== q; c = buf[++ve]) {
          h = Math.imul(h ^ c, 0x01000193);
          if (c === AMP) amp = true;
        }
        this.nameHash = h >>> 0;
        this.nameAmp = amp;
      } else while (ve < to && buf[ve] !== q) ve++;
      if (ve >= to) throw new PrimaryParseError('unterminated attribute');
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
    this.entryEnd = k;
    return r;
  }

  /** An rpm:entry of dependency kind `section`, its attributes read from `from` (see entryAttrs). */
  private addEntry(buf: Buffer, from: number, to: number, section: number): void {
    const at = this.entryAttrs(buf, from, to);
    if (at[0] < 0) throw new PrimaryParseError('rpm:entry without name');
    let flags = 0;
    let evr = 0;
    if (at[2] >= 0) {
      flags = flagCode(buf, at[2], at[3]);
      if (flags < 0) throw new PrimaryParseError(`unknown dependency flags "${buf.toString('latin1', at[2], at[3])}"`);
      evr = this.internEvr(buf, at);
    }
    if (at[10] >= 0 && (buf[at[10]] === 0x31 || buf[at[10]] === 0x74)) flags |= DEP_PRE;
    const st = this.builder.strings;
    const name = at[1] <= at[0] ? 0 : this.nameAmp ? st.intern(decodeEntities(buf.toString('utf8', at[0], at[1]))) : st.internHashed(buf, at[0], at[1], this.nameHash);
    // As libsolv's repo_rpmmd: a name in parentheses without flags is a rich dependency, dropped when it does not parse.
    if (buf[at[0]] === 0x28 /* ( */ && at[2] < 0) {
      if (!this.richParses(name, buf, at[0], at[1])) return;
      flags |= DEP_RICH;
    }
    this.kindDeps[section].push(name, flags, evr);
  }

  /** Does the rich dependency interned as `name` parse (once per distinct text)? */
  private richParses(name: number, buf: Buffer, from: number, to: number): boolean {
    let ok = this.richChecked.get(name);
    if (ok === undefined) {
      const text = buf.toString('utf8', from, to);
      ok = richDepParses(this.nameAmp ? decodeEntities(text) : text);
      this.richChecked.set(name, ok);
    }
    return ok;
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

  /** Intern `[epoch:]ver[-rel]` (epoch 0 omitted) composed from attribute ranges (at[4..9] of entryAttrs), hashed as it is copied. */
  private internEvr(buf: Buffer, at: Int32Array): number {
    const e0 = at[4];
    const e1 = at[5];
    const v0 = at[6];
    const v1 = at[7];
    const r0 = at[8];
    const r1 = at[9];
    if (v0 < 0) return 0;
    const need = v1 - v0 + (r0 >= 0 ? r1 - r0 + 1 : 0) + (e0 >= 0 ? e1 - e0 + 1 : 0);
    if (this.scratch.length < need) this.scratch = Buffer.alloc(need * 2);
    const sc = this.scratch;
    let n = 0;
    let h = 0x811c9dc5;
    let amp = false;
    let c = 0;
    if (e0 >= 0 && e1 > e0 && !(e1 - e0 === 1 && buf[e0] === 0x30)) {
      for (let k = e0; k < e1; k++) {
        sc[n++] = c = buf[k];
        h = Math.imul(h ^ c, 0x01000193);
        if (c === AMP) amp = true;
      }
      sc[n++] = 0x3a;
      h = Math.imul(h ^ 0x3a, 0x01000193);
    }
    for (let k = v0; k < v1; k++) {
      sc[n++] = c = buf[k];
      h = Math.imul(h ^ c, 0x01000193);
      if (c === AMP) amp = true;
    }
    if (r0 >= 0) {
      sc[n++] = 0x2d;
      h = Math.imul(h ^ 0x2d, 0x01000193);
      for (let k = r0; k < r1; k++) {
        sc[n++] = c = buf[k];
        h = Math.imul(h ^ c, 0x01000193);
        if (c === AMP) amp = true;
      }
    }
    if (amp) return this.builder.strings.intern(decodeEntities(sc.toString('utf8', 0, n)));
    return this.builder.strings.internHashed(sc, 0, n, h >>> 0);
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
    for (let k = 0; k < this.kindDeps.length; k++) this.kindDeps[k].length = 0;
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
          this.addEntry(buf, lt + 10, to, section);
          i = this.entryEnd + 1;
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
          if (section >= 0) this.addEntry(buf, ne, to, section);
          break;
        case T_FILE:
          this.kindDeps[KIND.provides].push(this.internText(buf, gt + 1, textTo), 0, 0);
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
    const prov = this.kindDeps[KIND.provides];
    let self = false;
    for (let k = 0; k < prov.length; k += 3) if (prov[k] === f[P_NAME] && (prov[k + 1] & 7) === REL_EQ) self = true;
    if (!self) {
      const str = (id: number) => Buffer.from(st.arena.subarray(st.offsets[id], st.offsets[id + 1])).toString('utf8');
      prov.push(f[P_NAME], REL_EQ, st.intern(`${f[P_EPOCH] ? `${f[P_EPOCH]}:` : ''}${str(f[P_VERSION])}-${str(f[P_RELEASE])}`));
    }
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
