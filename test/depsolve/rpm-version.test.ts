import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rangesOverlap, parseDep } from '../../layers/src/depsolve/dependency.ts';
import { REL_EQ, REL_GT, REL_LT } from '../../layers/src/depsolve/repo-index.ts';
import { compareEvr, parseEvr, rpmvercmp } from '../../layers/src/depsolve/rpm-version.ts';
import { rng } from './repo-generator.ts';

// rpm's own test table (tests/rpmvercmp.at), including tilde and caret.
const TABLE: [string, string, number][] = [
  ['1.0', '1.0', 0], ['1.0', '2.0', -1], ['2.0', '1.0', 1], ['2.0.1', '2.0.1', 0], ['2.0', '2.0.1', -1],
  ['2.0.1', '2.0', 1], ['2.0.1a', '2.0.1a', 0], ['2.0.1a', '2.0.1', 1], ['2.0.1', '2.0.1a', -1], ['5.5p1', '5.5p1', 0],
  ['5.5p1', '5.5p2', -1], ['5.5p2', '5.5p1', 1], ['5.5p10', '5.5p10', 0], ['5.5p1', '5.5p10', -1], ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1], ['10.1xyz', '10xyz', 1], ['xyz10', 'xyz10', 0], ['xyz10', 'xyz10.1', -1], ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0], ['xyz.4', '8', -1], ['8', 'xyz.4', 1], ['xyz.4', '2', -1], ['2', 'xyz.4', 1], ['5.5p2', '5.6p1', -1],
  ['5.6p1', '5.5p2', 1], ['5.6p1', '6.5p1', -1], ['6.5p1', '5.6p1', 1], ['6.0.rc1', '6.0', 1], ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1], ['10a2', '10b2', -1], ['1.0aa', '1.0aa', 0], ['1.0a', '1.0aa', -1], ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0], ['10.0001', '10.1', 0], ['10.1', '10.0001', 0], ['10.0001', '10.0039', -1],
  ['10.0039', '10.0001', 1], ['4.999.9', '5.0', -1], ['5.0', '4.999.9', 1], ['20101121', '20101121', 0],
  ['20101121', '20101122', -1], ['20101122', '20101121', 1], ['2_0', '2_0', 0], ['2.0', '2_0', 0], ['2_0', '2.0', 0],
  ['a', 'a', 0], ['a+', 'a+', 0], ['a+', 'a_', 0], ['a_', 'a+', 0], ['+a', '+a', 0], ['+a', '_a', 0], ['_a', '+a', 0],
  ['+_', '+_', 0], ['_+', '+_', 0], ['_+', '_+', 0], ['+', '_', 0], ['_', '+', 0],
  ['1.0~rc1', '1.0~rc1', 0], ['1.0~rc1', '1.0', -1], ['1.0', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc2', '1.0~rc1', 1], ['1.0~rc1~git123', '1.0~rc1~git123', 0], ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0~rc1', '1.0~rc1~git123', 1], ['1.0^', '1.0^', 0], ['1.0^', '1.0', 1], ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0], ['1.0^git1', '1.0', 1], ['1.0', '1.0^git1', -1], ['1.0^git1', '1.0^git2', -1],
  ['1.0^git2', '1.0^git1', 1], ['1.0^git1', '1.01', -1], ['1.01', '1.0^git1', 1], ['1.0^20160101', '1.0^20160101', 0],
  ['1.0^20160101', '1.0.1', -1], ['1.0.1', '1.0^20160101', 1], ['1.0^20160101^git1', '1.0^20160101^git1', 0],
  ['1.0^20160102', '1.0^20160101^git1', 1], ['1.0^20160101^git1', '1.0^20160102', -1], ['1.0~rc1^git1', '1.0~rc1^git1', 0],
  ['1.0~rc1^git1', '1.0~rc1', 1], ['1.0~rc1', '1.0~rc1^git1', -1], ['1.0^git1~pre', '1.0^git1~pre', 0],
  ['1.0^git1', '1.0^git1~pre', 1], ['1.0^git1~pre', '1.0^git1', -1],
];

describe('rpmvercmp', () => {
  it.each(TABLE)('%s vs %s = %d', (a, b, want) => {
    expect(rpmvercmp(a, b)).toBe(want);
  });

  it('compares epoch before version and release', () => {
    expect(compareEvr(parseEvr('1:1.5-1'), parseEvr('2.0-1'))).toBe(1);
    expect(compareEvr(parseEvr('0:2.0-1'), parseEvr('2.0-1'))).toBe(0);
    expect(compareEvr(parseEvr('2.0-2'), parseEvr('2.0-10'))).toBe(-1);
  });

  const rpmPy = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import rpm']).status === 0;
  it.skipIf(!rpmPy)('agrees with rpm.labelCompare on 3000 random version pairs' + (rpmPy ? '' : ' (skipped: python3-rpm missing)'), () => {
    const r = rng(42);
    const alphabet = ['0', '1', '2', '9', '10', '010', 'a', 'b', 'rc', '.', '.', '_', '+', '~', '^', 'git', 'Z'];
    const gen = () => Array.from({ length: 1 + Math.floor(r() * 6) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
    const pairs = Array.from({ length: 3000 }, () => [gen(), gen()]);
    const script = `import rpm, json, sys\nfor a, b in json.load(sys.stdin):\n    print(rpm.labelCompare(('0', a, '1'), ('0', b, '1')))`;
    const out = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(pairs), encoding: 'utf8' });
    expect(out.status).toBe(0);
    const theirs = out.stdout.trim().split('\n').map(Number);
    const mismatches = pairs.filter(([a, b], i) => rpmvercmp(a, b) !== theirs[i]).map(([a, b], i) => `${a} vs ${b}: rpm ${theirs[i]}`);
    expect(mismatches).toEqual([]);
  });
});

describe('dependency ranges', () => {
  const evr = parseEvr;
  it('matches provides against requirement ranges like libsolv', () => {
    expect(rangesOverlap(REL_EQ, evr('1.5-1'), REL_GT | REL_EQ, evr('1.0'))).toBe(true);
    expect(rangesOverlap(REL_EQ, evr('3.1-1'), REL_LT, evr('3.0'))).toBe(false);
    expect(rangesOverlap(REL_EQ, evr('2.5-1'), REL_LT, evr('3.0'))).toBe(true);
    expect(rangesOverlap(REL_EQ, evr('2.0-1'), REL_EQ, evr('2.0'))).toBe(true); // release missing matches any
    expect(rangesOverlap(REL_EQ, evr('2.0-1'), REL_EQ, evr('2.0-2'))).toBe(false);
    expect(rangesOverlap(REL_EQ, evr('1:1.0-1'), REL_GT, evr('2.0'))).toBe(true); // epoch wins
    expect(rangesOverlap(0, undefined, REL_GT, evr('2.0'))).toBe(true); // unversioned provide
    expect(rangesOverlap(REL_GT, evr('1.0'), REL_LT, evr('0.5'))).toBe(false);
    expect(rangesOverlap(REL_GT, evr('1.0'), REL_GT, evr('0.5'))).toBe(true);
  });

  it('parses rich dependencies', () => {
    const d = parseDep('(foo >= 1.0 if bar else (baz or qux))');
    expect(d.kind).toBe('rich');
    if (d.kind !== 'rich') return;
    expect(d.op).toBe('if');
    expect(d.otherwise?.kind).toBe('rich');
    expect(() => parseDep('(a or b and c)')).toThrow();
  });

  it('keeps nested groups\' normalized text and reads only rpm\'s comparison words as operators', () => {
    const d = parseDep('(a or ( b  and  python3dist(c) >= 1 ) or (d if e else f))');
    if (d.kind !== 'rich' || d.left.kind !== 'rich' || d.right.kind !== 'rich') throw new Error(`not nested: ${JSON.stringify(d)}`);
    expect(d.text).toBe('(a or ( b  and  python3dist(c) >= 1 ) or (d if e else f))');
    expect(d.left.right).toMatchObject({ kind: 'rich', op: 'and', text: '(b and python3dist(c) >= 1)' });
    expect(d.right).toMatchObject({ kind: 'rich', op: 'if', text: '(d if e else f)' });
    // A name that is also a property of plain objects is a name, not a comparison ('constructor' once read as one).
    expect(parseDep('(constructor or b)')).toMatchObject({ kind: 'rich', op: 'or', left: { kind: 'simple', name: 'constructor', flags: 0 } });
    expect(() => parseDep('(a constructor 1)')).toThrow('unknown operator "constructor"');
  });
});
