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
  const tokens = richTokens(text);
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const next = (): string => {
    const t = tokens[pos++];
    if (t === undefined) throw new RichDepSyntaxError(`unexpected end of rich dependency "${text}"`);
    return t;
  };
  const OPWORDS = new Set(['and', 'or', 'if', 'else', 'unless', 'with', 'without']);

  function parseOperand(): Dep {
    if (peek() === '(') return parseGroup();
    const name = next();
    if (OPWORDS.has(name) || name === ')') throw new RichDepSyntaxError(`unexpected "${name}" in "${text}"`);
    const op = peek();
    if (op !== undefined && OPS[op] !== undefined) {
      next();
      return simpleDep(name, OPS[op], next());
    }
    return simpleDep(name, 0);
  }

  function parseGroup(): Dep {
    const start = pos;
    if (next() !== '(') throw new RichDepSyntaxError(`expected "(" in "${text}"`);
    let left = parseOperand();
    let op = peek();
    if (op === ')') {
      next();
      return left;
    }
    if (op === 'if' || op === 'unless') {
      next();
      const right = parseOperand();
      let otherwise: Dep | undefined;
      if (peek() === 'else') {
        next();
        otherwise = parseOperand();
      }
      if (next() !== ')') throw new RichDepSyntaxError(`expected ")" in "${text}"`);
      return { kind: 'rich', op, left, right, otherwise, text: tokensText(start, pos) };
    }
    if (op !== 'and' && op !== 'or' && op !== 'with' && op !== 'without') {
      throw new RichDepSyntaxError(`unknown operator "${op}" in "${text}"`);
    }
    const theOp = op as RichOp;
    while (peek() === theOp) {
      next();
      const right = parseOperand();
      left = { kind: 'rich', op: theOp, left, right, text: '' };
    }
    if (next() !== ')') throw new RichDepSyntaxError(`expected ")" (operators cannot be mixed without parentheses) in "${text}"`);
    if (left.kind === 'rich') left.text = tokensText(start, pos);
    return left;
  }

  function tokensText(a: number, b: number): string {
    return tokens.slice(a, b).join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
  }

  const d = parseGroup();
  if (pos !== tokens.length) throw new RichDepSyntaxError(`trailing text in rich dependency "${text}"`);
  if (d.kind === 'rich') d.text = text;
  return d;
}

/**
 * The tokens of a rich dependency as libsolv's parser reads them (pool_parserpmrichdep.c): `(`, `)`, and words. A word
 * runs to whitespace, a comma, or a `)` it did not open itself, so names with parentheses stay whole:
 * `(python3dist(foo) >= 1 with python3dist(foo) < 2)`.
 */
function richTokens(text: string): string[] {
  const tokens: string[] = [];
  for (let p = 0; p < text.length; ) {
    const c = text[p];
    if (/\s/.test(c)) {
      p++;
    } else if (c === '(' || c === ')') {
      tokens.push(c);
      p++;
    } else {
      const start = p;
      let open = 0;
      for (; p < text.length; p++) {
        const w = text[p];
        if (/\s/.test(w) || w === ',' || (w === ')' && open-- <= 0)) break;
        if (w === '(') open++;
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
