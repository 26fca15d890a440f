/** Dependencies: simple (`name [op evr]`) and rich/boolean (`(a or b)`, `(a if b else c)`, ...), as rpm writes them. */
import { DEP_PRE, DEP_RICH, REL_EQ, REL_GT, REL_LT } from './repo-index.ts';
import { compareEvrForMatch, parseEvr, type Evr } from './rpm-version.ts';

export interface SimpleDep {
  kind: 'simple';
  name: string;
  /** REL_* bits; 0 = unversioned. */
  flags: number;
  evr?: Evr;
  evrText?: string;
  pre?: boolean;
}

export type RichOp = 'and' | 'or' | 'if' | 'unless' | 'with' | 'without';
export interface RichDep {
  kind: 'rich';
  op: RichOp;
  left: Dep;
  right: Dep;
  /** `else` branch of `if`/`unless`. */
  otherwise?: Dep;
  text: string;
}
export type Dep = SimpleDep | RichDep;

const OPS: Record<string, number> = {
  '=': REL_EQ,
  '==': REL_EQ,
  '<': REL_LT,
  '<=': REL_LT | REL_EQ,
  '=<': REL_LT | REL_EQ,
  '>': REL_GT,
  '>=': REL_GT | REL_EQ,
  '=>': REL_GT | REL_EQ,
};

export function flagsToOp(flags: number): string {
  switch (flags & 7) {
    case REL_EQ:
      return '=';
    case REL_LT:
      return '<';
    case REL_LT | REL_EQ:
      return '<=';
    case REL_GT:
      return '>';
    case REL_GT | REL_EQ:
      return '>=';
    default:
      return '';
  }
}

export function simpleDep(name: string, flags: number, evrText?: string): SimpleDep {
  const rel = flags & 7;
  const d: SimpleDep = { kind: 'simple', name, flags: rel };
  if (rel && evrText !== undefined) {
    d.evrText = evrText;
    d.evr = parseEvr(evrText);
  }
  if (flags & DEP_PRE) d.pre = true;
  return d;
}

/** Build a dependency from an index triple. */
export function depFromIndex(name: string, flags: number, evr: string | undefined): Dep {
  if (flags & DEP_RICH) return parseRichDep(name);
  return simpleDep(name, flags, evr);
}

/** Parse a dependency as written on the command line or in a spec file (`foo >= 1.0`, `(a or b)`). */
export function parseDep(text: string): Dep {
  const t = text.trim();
  if (t.startsWith('(')) return parseRichDep(t);
  const m = /^(\S+)\s*(<=|>=|==|=<|=>|<|>|=)\s*(\S+)$/.exec(t);
  if (m) return simpleDep(m[1], OPS[m[2]], m[3]);
  return simpleDep(t, 0);
}

export function formatDep(d: Dep): string {
  if (d.kind === 'rich') return d.text;
  return d.flags ? `${d.name} ${flagsToOp(d.flags)} ${d.evrText ?? ''}` : d.name;
}

export class RichDepSyntaxError extends Error {}

/** Does a rich dependency's text parse? libsolv drops one that does not (repo_rpmmd's adddep), so the index does too. */
export function richDepParses(text: string): boolean {
  try {
    parseRichDep(text);
    return true;
  } catch (error) {
    if (error instanceof RichDepSyntaxError) return false;
    throw error;
  }
}

export function parseRichDep(text: string): Dep {
  return new RichDepParser(text).parse();
}

const OPWORDS = new Set(['and', 'or', 'if', 'else', 'unless', 'with', 'without']);

/**
 * A recursive-descent parser over a rich dependency's tokens. Methods on one object, not closures made per call: a cold
 * process parses a thousand rich dependencies (Supplements, Requires) before the JIT has compiled anything.
 */
class RichDepParser {
  private readonly tokens: string[];
  private pos = 0;

  constructor(private readonly text: string) {
    this.tokens = richTokens(text);
  }

  parse(): Dep {
    const d = this.group();
    if (this.pos !== this.tokens.length) throw new RichDepSyntaxError(`trailing text in rich dependency "${this.text}"`);
    if (d.kind === 'rich') d.text = this.text;
    return d;
  }

  private next(): string {
    const t = this.tokens[this.pos++];
    if (t === undefined) throw new RichDepSyntaxError(`unexpected end of rich dependency "${this.text}"`);
    return t;
  }

  private operand(): Dep {
    if (this.tokens[this.pos] === '(') return this.group();
    const name = this.next();
    if (OPWORDS.has(name) || name === ')') throw new RichDepSyntaxError(`unexpected "${name}" in "${this.text}"`);
    const op = this.tokens[this.pos];
    if (op !== undefined && Object.hasOwn(OPS, op)) {
      this.pos++;
      return simpleDep(name, OPS[op], this.next());
    }
    return simpleDep(name, 0);
  }

  private group(): Dep {
    const start = this.pos;
    if (this.next() !== '(') throw new RichDepSyntaxError(`expected "(" in "${this.text}"`);
    let left = this.operand();
    const op = this.tokens[this.pos];
    if (op === ')') {
      this.pos++;
      return left;
    }
    if (op === 'if' || op === 'unless') {
      this.pos++;
      const right = this.operand();
      let otherwise: Dep | undefined;
      if (this.tokens[this.pos] === 'else') {
        this.pos++;
        otherwise = this.operand();
      }
      if (this.next() !== ')') throw new RichDepSyntaxError(`expected ")" in "${this.text}"`);
      return { kind: 'rich', op, left, right, otherwise, text: this.tokensText(start) };
    }
    if (op !== 'and' && op !== 'or' && op !== 'with' && op !== 'without') {
      throw new RichDepSyntaxError(`unknown operator "${op}" in "${this.text}"`);
    }
    while (this.tokens[this.pos] === op) {
      this.pos++;
      const right = this.operand();
      left = { kind: 'rich', op, left, right, text: '' };
    }
    if (this.next() !== ')') throw new RichDepSyntaxError(`expected ")" (operators cannot be mixed without parentheses) in "${this.text}"`);
    // The outermost group's text is the whole dependency's (parse sets it): only nested groups are rebuilt.
    if (left.kind === 'rich' && start > 0) left.text = this.tokensText(start);
    return left;
  }

  /** A nested group's text, normalized: tokens from `start` to here joined by spaces, none inside parentheses. */
  private tokensText(start: number): string {
    let out = '';
    for (let k = start; k < this.pos; k++) {
      const t = this.tokens[k];
      if (k > start && t !== ')' && !this.tokens[k - 1].endsWith('(')) out += ' ';
      out += t;
    }
    return out;
  }
}

/** Is char code c whitespace as /\s/ reads it? */
function isSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  return c > 127 && /\s/.test(String.fromCharCode(c));
}

/**
 * The tokens of a rich dependency as libsolv's parser reads them (pool_parserpmrichdep.c): `(`, `)`, and words. A word
 * runs to whitespace, a comma, or a `)` it did not open itself, so names with parentheses stay whole:
 * `(python3dist(foo) >= 1 with python3dist(foo) < 2)`.
 */
function richTokens(text: string): string[] {
  const tokens: string[] = [];
  for (let p = 0; p < text.length; ) {
    const c = text.charCodeAt(p);
    if (isSpace(c)) {
      p++;
    } else if (c === 40 /* ( */ || c === 41 /* ) */) {
      tokens.push(c === 40 ? '(' : ')');
      p++;
    } else {
      const start = p;
      let open = 0;
      for (; p < text.length; p++) {
        const w = text.charCodeAt(p);
        if (isSpace(w) || w === 44 /* , */ || (w === 41 && open-- <= 0)) break;
        if (w === 40) open++;
      }
      if (p === start) p++; // a lone comma: libsolv stops there too; skipped, the grammar then fails on what follows
      else tokens.push(text.slice(start, p));
    }
  }
  return tokens;
}

/**
 * Does a Provides (`pflags`, `pevr`) satisfy a dependency range (`flags`, `evr`)? libsolv's pool_match_flags_evr with
 * rpm's release matching; an unversioned provide satisfies every range.
 */
export function rangesOverlap(pflags: number, pevr: Evr | undefined, flags: number, evr: Evr | undefined): boolean {
  if (!flags) return true;
  if (!pflags) return true;
  if (!pevr || !evr) return true;
  if (flags === 7 || pflags === 7) return true;
  if ((pflags & flags & (REL_LT | REL_GT)) !== 0) return true;
  const c = compareEvrForMatch(pevr, evr);
  if (c < 0) return (flags & REL_LT) !== 0 || (pflags & REL_GT) !== 0;
  if (c > 0) return (flags & REL_GT) !== 0 || (pflags & REL_LT) !== 0;
  return (flags & pflags & REL_EQ) !== 0;
}

/** Does a package's own EVR fall in a range (obsoletes matching)? */
export function evrInRange(pkgEvr: Evr, flags: number, evr: Evr | undefined): boolean {
  return rangesOverlap(REL_EQ, pkgEvr, flags, evr);
}
