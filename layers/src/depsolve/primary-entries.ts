/**
 * The rpm:entry elements of primary.xml (Provides, Requires, ... of the package being parsed) read straight from the
 * bytes for primary-parser.ts: attributes in one pass, the name hashed as it is scanned, `[epoch:]ver[-rel]` composed
 * and interned without a JavaScript string, rich dependencies checked as libsolv's repo_rpmmd reads them.
 */
import type { ByteStringTable } from './byte-string-table.ts';
import { richDepParses } from './dependency.ts';
import { AMP, GT, PrimaryParseError, QUOTE, SLASH, flagCode } from './primary-tags.ts';
import { DEP_KINDS, DEP_PRE, DEP_RICH } from './repo-index.ts';
import { decodeEntities } from './xml-scanner.ts';

/** The dependencies of the package being parsed, as (name id, flags, evr id) triples per kind. */
export class DependencyEntries {
  /** Per-kind triples (primary lists suggests before recommends). */
  readonly byKind: number[][] = DEP_KINDS.map(() => []);
  /** Where the last tag `add` read ends (its '>'). */
  end = 0;
  private readonly attrRanges = new Int32Array(12);
  private scratch = Buffer.alloc(4096);
  /** hashBytes of the last rpm:entry name scanned by entryAttrs, and whether it holds an entity. */
  private nameHash = 0;
  private nameAmp = false;
  /** Rich dependency texts checked so far, by string id: do they parse? */
  private readonly richChecked = new Map<number, boolean>();

  constructor(private readonly strings: ByteStringTable) {}

  /** Forget the last package's dependencies. */
  clear(): void {
    for (let k = 0; k < this.byKind.length; k++) this.byKind[k].length = 0;
  }

  /**
   * One pass over an rpm:entry tag's attributes, from `from` to the tag's '>' (set in `end`; quotes honoured): value
   * ranges of name, flags, epoch, ver, rel, pre (start -1 when absent) at [0,1], [2,3], [4,5], [6,7], [8,9], [10,11].
   */
  private entryAttrs(buf: Buffer, from: number, to: number): Int32Array {
    const r = this.attrRanges;
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
    this.end = k;
    return r;
  }

  /** An rpm:entry of dependency kind `section`, its attributes read from `from` (see entryAttrs); sets `end`. */
  add(buf: Buffer, from: number, to: number, section: number): void {
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
    const st = this.strings;
    const name = at[1] <= at[0] ? 0 : this.nameAmp ? st.intern(decodeEntities(buf.toString('utf8', at[0], at[1]))) : st.internHashed(buf, at[0], at[1], this.nameHash);
    // As libsolv's repo_rpmmd: a name in parentheses without flags is a rich dependency, dropped when it does not parse.
    if (buf[at[0]] === 0x28 /* ( */ && at[2] < 0) {
      if (!this.richParses(name, buf, at[0], at[1])) return;
      flags |= DEP_RICH;
    }
    this.byKind[section].push(name, flags, evr);
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
    if (amp) return this.strings.intern(decodeEntities(sc.toString('utf8', 0, n)));
    return this.strings.internHashed(sc, 0, n, h >>> 0);
  }
}
