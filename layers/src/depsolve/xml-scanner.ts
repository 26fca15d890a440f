/**
 * A small streaming XML scanner for repository metadata (repomd, primary, filelists, comps, metalink). It handles
 * elements, attributes, text, entities, CDATA, comments and processing instructions; it does not validate and keeps
 * only the unparsed tail of the input in memory, which is what keeps index building within bounded memory.
 */

export interface XmlHandler {
  /** `attrs` is only valid during the call. */
  open(name: string, attrs: Record<string, string>, selfClosing: boolean): void;
  /** `text` is the element's text when it has no child elements (decoded), else ''. */
  close(name: string, text: string): void;
}

export class XmlSyntaxError extends Error {}

const ENTITY_RE = /&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(ENTITY_RE, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return String.fromCodePoint(code);
    }
    const v = NAMED[e];
    if (v === undefined) throw new XmlSyntaxError(`unknown entity ${m}`);
    return v;
  });
}

export class XmlScanner {
  private buf = '';
  private depth = 0;
  /** Index in buf right after the most recent open tag whose element has had no child yet, else -1. */
  private textFrom = -1;
  private cdata = '';
  private done = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private sawRoot = false;

  constructor(private readonly handler: XmlHandler) {}

  writeBytes(chunk: Uint8Array): void {
    let s: string;
    try {
      s = this.decoder.decode(chunk, { stream: true });
    } catch (e) {
      throw new XmlSyntaxError('invalid UTF-8 in XML', { cause: e });
    }
    this.write(s);
  }

  write(chunk: string): void {
    this.buf = this.buf.length ? this.buf + chunk : chunk;
    this.scan();
  }

  end(): void {
    this.scan();
    if (this.buf.trim().length && this.depth > 0) throw new XmlSyntaxError('unexpected end of XML document');
    if (this.depth !== 0) throw new XmlSyntaxError(`unexpected end of XML document (${this.depth} elements open)`);
    if (!this.sawRoot) throw new XmlSyntaxError('empty XML document');
    this.done = true;
  }

  private scan(): void {
    const s = this.buf;
    const h = this.handler;
    let i = 0;
    const n = s.length;
    for (;;) {
      const lt = s.indexOf('<', i);
      if (lt < 0) break;
      const c = s.charCodeAt(lt + 1);
      if (c !== c) break; // NaN: need more input
      if (c === 47 /* / */) {
        const gt = s.indexOf('>', lt + 2);
        if (gt < 0) break;
        const name = s.slice(lt + 2, gt).trim();
        let text = '';
        if (this.textFrom >= 0) {
          text = s.slice(this.textFrom, lt);
          if (this.cdata) {
            text = this.cdata + text;
            this.cdata = '';
          } else text = decodeEntities(text);
        }
        this.textFrom = -1;
        if (this.depth === 0) throw new XmlSyntaxError(`unexpected closing tag </${name}>`);
        this.depth--;
        h.close(name, text);
        i = gt + 1;
        continue;
      }
      if (c === 33 /* ! */) {
        if (s.startsWith('<!--', lt)) {
          const e = s.indexOf('-->', lt + 4);
          if (e < 0) break;
          i = e + 3;
          continue;
        }
        if (s.startsWith('<![CDATA[', lt)) {
          const e = s.indexOf(']]>', lt + 9);
          if (e < 0) break;
          if (this.textFrom >= 0) {
            this.cdata += decodeEntities(s.slice(this.textFrom, lt)) + s.slice(lt + 9, e);
            this.textFrom = e + 3;
          }
          i = e + 3;
          continue;
        }
        // DOCTYPE: skip to '>' (no internal subsets in repository metadata).
        const e = s.indexOf('>', lt + 2);
        if (e < 0) break;
        i = e + 1;
        continue;
      }
      if (c === 63 /* ? */) {
        const e = s.indexOf('?>', lt + 2);
        if (e < 0) break;
        i = e + 2;
        continue;
      }
      // Open tag: read the name, then attributes honouring quotes.
      let p = lt + 1;
      while (p < n) {
        const d = s.charCodeAt(p);
        if (d === 32 || d === 62 || d === 47 || d === 10 || d === 9 || d === 13) break;
        p++;
      }
      if (p >= n) break;
      const name = s.slice(lt + 1, p);
      if (!name) throw new XmlSyntaxError(`malformed tag near offset ${lt}`);
      const attrs: Record<string, string> = {};
      let complete = false;
      let selfClosing = false;
      for (;;) {
        while (p < n) {
          const d = s.charCodeAt(p);
          if (d !== 32 && d !== 10 && d !== 9 && d !== 13) break;
          p++;
        }
        if (p >= n) break;
        const d = s.charCodeAt(p);
        if (d === 62) {
          complete = true;
          p++;
          break;
        }
        if (d === 47) {
          if (p + 1 >= n) break;
          if (s.charCodeAt(p + 1) !== 62) throw new XmlSyntaxError(`malformed tag <${name}>`);
          complete = true;
          selfClosing = true;
          p += 2;
          break;
        }
        const eq = s.indexOf('=', p);
        if (eq < 0) break;
        const an = s.slice(p, eq).trim();
        let q = eq + 1;
        while (q < n && s.charCodeAt(q) !== 34 && s.charCodeAt(q) !== 39) {
          const w = s.charCodeAt(q);
          if (w !== 32 && w !== 10 && w !== 9 && w !== 13) throw new XmlSyntaxError(`malformed attribute in <${name}>`);
          q++;
        }
        if (q >= n) break;
        const quote = s[q];
        const end = s.indexOf(quote, q + 1);
        if (end < 0) break;
        attrs[an] = decodeEntities(s.slice(q + 1, end));
        p = end + 1;
      }
      if (!complete) break;
      this.sawRoot = true;
      this.textFrom = -1;
      this.cdata = '';
      if (selfClosing) {
        h.open(name, attrs, true);
        h.close(name, '');
      } else {
        this.depth++;
        h.open(name, attrs, false);
        this.textFrom = p;
      }
      i = p;
    }
    // Keep only the unparsed tail; an element's pending text lies in it.
    if (this.textFrom >= 0) {
      this.textFrom -= i;
    }
    this.buf = i === 0 ? s : s.slice(i);
    if (this.buf.length > 64 * 1024 * 1024) throw new XmlSyntaxError('XML token larger than 64 MiB');
  }

  get finished(): boolean {
    return this.done;
  }
}
