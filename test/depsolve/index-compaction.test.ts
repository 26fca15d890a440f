import { describe, expect, it } from 'vitest';
import { RepoIndexBuilder, type BuilderPackage } from '../../layers/src/depsolve/repo-index-builder.ts';
import { RepoIndex } from '../../layers/src/depsolve/repo-index.ts';

const HEX = 'ab'.repeat(32);
const pkg = (over: Partial<BuilderPackage>): BuilderPackage => ({
  name: 'bash',
  epoch: 0,
  version: '5.2.26',
  release: '3.fc41',
  arch: 'x86_64',
  checksum: `sha256:${HEX}`,
  location: 'Packages/b/bash-5.2.26-3.fc41.x86_64.rpm',
  sourcerpm: 'bash-5.2.26-3.fc41.src.rpm',
  summary: 'The GNU Bourne Again shell',
  ...over,
});

describe('stored index compaction', () => {
  const packages: BuilderPackage[] = [
    pkg({}),
    pkg({ name: 'Xorg-common', location: 'Packages/x/Xorg-common-5.2.26-3.fc41.x86_64.rpm', sourcerpm: 'xorg-x11-5.2.26-3.fc41.src.rpm' }),
    pkg({ name: 'sha1', checksum: `sha1:${'cd'.repeat(20)}`, location: 'Packages/sha1-5.2.26-3.fc41.x86_64.rpm' }),
    pkg({ name: 'upper', checksum: `sha256:${HEX.toUpperCase()}`, location: 'other/u.rpm', sourcerpm: 'upper-1.0-1.src.rpm' }),
    pkg({ name: 'nosrc', sourcerpm: '', location: '' }),
    pkg({ name: 'odd', sourcerpm: '-5.2.26-3.fc41.src.rpm', checksum: `sha512:${HEX}` }),
  ];

  it('gives back every checksum, location and source rpm, digests and derived forms included, after a round trip', () => {
    const b = new RepoIndexBuilder();
    for (const p of packages) {
      b.beginPackage(p);
      b.addDeps(0, [{ name: p.name, flags: 2, evr: `${p.version}-${p.release}` }]);
      b.endPackage();
    }
    const built = b.finish({ revision: 'r' });
    const idx = RepoIndex.deserialize(built.serialize());
    packages.forEach((p, i) => {
      const info = idx.info(i);
      expect([idx.name(i), info.checksum, info.location, info.sourcerpm, info.summary]).toEqual([p.name, p.checksum, p.location, p.sourcerpm, p.summary]);
    });
    // Strings nothing refers to any more (checksums, derived locations) are not stored.
    expect(idx.lookup('bash')).toBeGreaterThanOrEqual(0);
    expect(Buffer.from(built.serialize()).includes(Buffer.from(HEX))).toBe(false);
    expect(Buffer.from(built.serialize()).includes(Buffer.from('Packages/x/Xorg'))).toBe(false);
  });

  it('keeps dependency ranges of a package with more than 65,535 dependencies (wide per-kind offsets)', () => {
    const b = new RepoIndexBuilder();
    b.beginPackage(pkg({ name: 'small' }));
    b.addDeps(1, [{ name: 'x', flags: 0 }]);
    b.endPackage();
    b.beginPackage(pkg({ name: 'huge' }));
    b.addDeps(0, Array.from({ length: 70_000 }, (_, i) => ({ name: `/usr/share/f${i}`, flags: 0 })));
    b.addDeps(2, [{ name: 'small', flags: 4, evr: '2' }]);
    b.endPackage();
    const idx = RepoIndex.deserialize(b.finish({ revision: 'r' }).serialize());
    expect(idx.depRange(0, 1)).toEqual([0, 1]);
    expect(idx.depRange(1, 0)).toEqual([1, 70_001]);
    expect(idx.hasDeps(1, 1)).toBe(false);
    const [c] = idx.depRange(1, 2);
    expect([idx.str(idx.depName(c)), idx.depFlags(c), idx.str(idx.depEvr(c))]).toEqual(['small', 4, '2']);
    expect(idx.depRange(1, 7)).toEqual([70_002, 70_002]);
  });

  it('refuses an index stored in the previous format (it is rebuilt, never misread)', () => {
    const b = new RepoIndexBuilder();
    b.beginPackage(pkg({}));
    b.endPackage();
    const blob = b.finish({ revision: 'r' }).serialize();
    new DataView(blob.buffer, blob.byteOffset).setUint32(8, 4, true);
    expect(() => RepoIndex.deserialize(blob)).toThrow(/unsupported depsolve index format 4/);
  });
});
