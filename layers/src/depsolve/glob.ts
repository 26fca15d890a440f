/**
 * Shell globs as dnf matches them: `fnmatch(3)` for package names, versions, architectures and excludes (libdnf), and
 * Python's `fnmatch` (case-insensitive) for comps group and environment patterns.
 */

/** Does the text hold a glob character? (dnf's `is_glob_pattern`: any of `*`, `?`, `[`.) */
export function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

export interface GlobOptions {
  /** Match case-insensitively. */
  ignoreCase?: boolean;
  /**
   * Python's fnmatch instead of fnmatch(3): a backslash is literal and `[^...]` is a set containing `^` (only `[!...]`
   * negates).
   */
  python?: boolean;
}

const escapeRe = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** The glob as an anchored RegExp. An unterminated `[` is a literal `[`, as in both fnmatch implementations. */
export function globToRegExp(glob: string, opts: GlobOptions = {}): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && !opts.python && i + 1 < glob.length) re += escapeRe(glob[++i]);
    else if (c === '[') {
      const set = bracket(glob, i, !!opts.python);
      if (set) {
        re += set.re;
        i = set.end;
      } else re += '\\[';
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, opts.ignoreCase ? 'i' : '');
}

/** A bracket expression starting at `glob[start]` (`[`), or undefined when it is not terminated. */
function bracket(glob: string, start: number, python: boolean): { re: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (glob[i] === '!' || (!python && glob[i] === '^')) {
    negate = true;
    i++;
  }
  let body = '';
  // A `]` right after the opening (or the negation) is a member, not the end.
  let first = true;
  for (; i < glob.length; i++) {
    const c = glob[i];
    if (c === ']' && !first) return { re: `[${negate ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '\\' && !python && i + 1 < glob.length) body += escapeRe(glob[++i]);
    else if (c === '-' && body && glob[i + 1] !== ']' && i + 1 < glob.length) body += '-';
    else body += escapeRe(c);
  }
  return undefined;
}
