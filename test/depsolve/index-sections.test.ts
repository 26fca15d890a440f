/** The stored index's dependency and provider tables read back exactly what the builder was given, after a round trip. */
import { describe, expect, it } from 'vitest';
import { RepoIndexBuilder, type BuilderPackage } from '../../layers/src/depsolve/repo-index-builder.ts';
import { DEP_KINDS, KIND, RepoIndex, SUPPLEMENTING_META } from '../../layers/src/depsolve/repo-index.ts';

interface ModelDep {
  name: string;
  flags: number;
  evr?: string;
}

/** A small deterministic generator (the same repository every run). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pkg = (name: string): BuilderPackage => ({
  name,
  epoch: 0,
  version: '1.0',
  release: '1.fc41',
  arch: 'x86_64',
  checksum: `sha256:${'ab'.repeat(32)}`,
  location: `Packages/${name.charAt(0)}/${name}-1.0-1.fc41.x86_64.rpm`,
});

/** Packages with 0..`most` dependencies a kind: shared names, some versioned, the same name twice in one package. */
function modelRepository(count: number, most: number[], seed: number): ModelDep[][][] {
  const next = random(seed);
  return Array.from({ length: count }, () =>
    DEP_KINDS.map((_, k) =>
      Array.from({ length: Math.floor(next() * (most[k] + 1)) }, () => {
        const versioned = next() < 0.3;
        return { name: `cap${Math.floor(next() * 40)}`, flags: versioned ? 2 + (next() < 0.2 ? 8 : 0) : next() < 0.1 ? 8 : 0, evr: versioned ? `${Math.floor(next() * 9)}.0-1` : undefined };
      }),
    ),
  );
}

function roundTrip(model: ModelDep[][][]): RepoIndex {
  const b = new RepoIndexBuilder();
  model.forEach((kinds, p) => {
    b.beginPackage(pkg(`p${p}`));
    kinds.forEach((deps, k) => deps.length && b.addDeps(k, deps));
    b.endPackage();
  });
  return RepoIndex.deserialize(b.finish({ revision: 'r' }).serialize());
}

function expectSameDeps(idx: RepoIndex, model: ModelDep[][][]): void {
  model.forEach((kinds, p) =>
    kinds.forEach((deps, k) => {
      const [a, z] = idx.depRange(p, k);
      const read = Array.from({ length: z - a }, (_, i) => {
        const evr = idx.depEvr(a + i);
        return { name: idx.str(idx.depName(a + i)), flags: idx.depFlags(a + i), evr: evr ? idx.str(evr) : undefined };
      });
      expect(read, `package ${p} kind ${DEP_KINDS[k]}`).toEqual(deps);
      expect(idx.hasDeps(p, k)).toBe(deps.length > 0);
    }),
  );
  // The one-pass list of packages with a kind (wide rows included) agrees with the model.
  DEP_KINDS.forEach((kind, k) => expect([...idx.packagesWithDeps(k)], kind).toEqual(model.flatMap((kinds, p) => (kinds[k].length ? [p] : []))));
}

describe('stored index sections', () => {
  it('reads back every dependency, flags and version of each kind (versions kept apart from the names)', () => {
    const model = modelRepository(300, [12, 20, 2, 2, 5, 1, 2, 1], 7);
    expectSameDeps(roundTrip(model), model);
  });

  it('reads back the per-kind ranges of packages with more than 255 dependencies next to small ones', () => {
    const model = modelRepository(40, [3, 4, 1, 1, 2, 1, 1, 1], 11);
    model[5][0] = Array.from({ length: 300 }, (_, i) => ({ name: `/usr/share/doc/f${i}`, flags: 0 }));
    model[5][1] = [{ name: 'cap1', flags: 4, evr: '2.0-1' }];
    model[6][3] = Array.from({ length: 400 }, (_, i) => ({ name: `old${i}`, flags: 2, evr: `${i}` }));
    model[39][7] = Array.from({ length: 256 }, (_, i) => ({ name: `e${i}`, flags: 0 }));
    expectSameDeps(roundTrip(model), model);
  });

  it('lists the packages with Supplements in the metadata at build; an older index (none) or a damaged list is scanned', () => {
    const model = modelRepository(120, [2, 1, 1, 1, 2, 1, 1, 1], 5);
    model[7][KIND.supplements] = [];
    const want = model.flatMap((kinds, p) => (kinds[KIND.supplements].length ? [p] : []));
    expect(want.length).toBeGreaterThan(10);
    const b = new RepoIndexBuilder();
    model.forEach((kinds, p) => {
      b.beginPackage(pkg(`p${p}`));
      kinds.forEach((deps, k) => deps.length && b.addDeps(k, deps));
      b.endPackage();
    });
    const bytes = b.finish({ revision: 'r' }).serialize();
    const stored = RepoIndex.deserialize(bytes);
    expect(stored.meta[SUPPLEMENTING_META]).toEqual(want);
    expect([...stored.packagesWithDeps(KIND.supplements)]).toEqual(want);
    // The same sections under other metadata: none (an index built before the list), or lists that are not one.
    const sections = (stored as unknown as { sections(): Record<string, Uint8Array | Uint32Array> }).sections();
    for (const listed of [undefined, 'x', [3, 2], [0, 1, 120], [-1], [1.5], [...want.slice(1)]]) {
      const idx = new RepoIndex(sections, { revision: 'r', [SUPPLEMENTING_META]: listed });
      const read = [...idx.packagesWithDeps(KIND.supplements)];
      // A well-formed list is taken as it is (the index's own, written at build); anything else is scanned.
      expect(read, JSON.stringify(listed)).toEqual(Array.isArray(listed) && listed.length === want.length - 1 ? want.slice(1) : want);
    }
  });

  it('decodes UTF-8 strings back as they were given (summaries, dependency names)', () => {
    const b = new RepoIndexBuilder();
    b.beginPackage({ ...pkg('naïve'), summary: 'Ünïcode ☃ summary — 日本語' });
    b.addDeps(0, [{ name: 'naïve', flags: 0 }, { name: 'ünï(x86-64)', flags: 2, evr: '1.0-ß' }]);
    b.endPackage();
    const idx = RepoIndex.deserialize(b.finish({ revision: 'r' }).serialize());
    expect([idx.name(0), idx.info(0).summary, idx.str(idx.depName(1)), idx.str(idx.depEvr(1))]).toEqual(['naïve', 'Ünïcode ☃ summary — 日本語', 'ünï(x86-64)', '1.0-ß']);
    expect([...idx.providersOf(idx.lookup('ünï(x86-64)'))]).toEqual([0]);
  });

  it('finds every dependency name by its text, ASCII or not, and misses near misses (other lengths, one byte off)', () => {
    const b = new RepoIndexBuilder();
    b.beginPackage({ ...pkg('naïve'), summary: 'Ünïcode ☃ summary' });
    b.addDeps(0, [{ name: 'ünï(x86-64)', flags: 0 }, ...Array.from({ length: 300 }, (_, i) => ({ name: `lib${i}.so.${i % 7}()(64bit)`, flags: 0 }))]);
    b.endPackage();
    const idx = RepoIndex.deserialize(b.finish({ revision: 'r' }).serialize());
    // The look-up table holds dependency names.
    for (const name of ['ünï(x86-64)', ...Array.from({ length: 300 }, (_, i) => `lib${i}.so.${i % 7}()(64bit)`)]) expect(idx.str(idx.lookup(name)), name).toBe(name);
    for (const miss of ['lib1.so.1()(64bit', 'lib1.so.1()(64bit)x', 'Lib1.so.1()(64bit)', 'naive', 'ünï(x86-64']) expect(idx.lookup(miss), miss).toBe(-1);
  });

  it('lists each name’s providers once each, ascending, whether one package provides it or many', () => {
    const model = modelRepository(200, [6, 0, 0, 0, 0, 0, 0, 0], 3);
    const idx = roundTrip(model);
    for (let c = 0; c < 40; c++) {
      const want = model.flatMap((kinds, p) => (kinds[0].some((d) => d.name === `cap${c}`) ? [p] : []));
      const id = idx.lookup(`cap${c}`);
      expect(id >= 0 ? [...idx.providersOf(id)] : [], `cap${c}`).toEqual(want);
    }
    expect(idx.lookup('no-such-name')).toBe(-1);
    expect([...idx.providersOf(-1)]).toEqual([]);
  });
});
