/** A built index lives in the one buffer it is stored as: serializing it writes the header, it copies no section. */
import { describe, expect, it } from 'vitest';
import { HEADER_ROOM, packSections, unpackSections } from '../../layers/src/depsolve/index-format.ts';
import { RepoIndexBuilder } from '../../layers/src/depsolve/repo-index-builder.ts';
import { KIND, RepoIndex } from '../../layers/src/depsolve/repo-index.ts';

function built(packages: number): RepoIndex {
  const b = new RepoIndexBuilder();
  for (let p = 0; p < packages; p++) {
    b.beginPackage({ name: `p${p}`, epoch: 0, version: '1.0', release: '1', arch: 'x86_64', checksum: `sha256:${'cd'.repeat(32)}`, location: `Packages/p/p${p}-1.0-1.x86_64.rpm` });
    b.addDeps(KIND.provides, [{ name: `cap${p % 7}`, flags: 0 }]);
    b.addDeps(KIND.requires, [{ name: `cap${(p + 1) % 7}`, flags: 2, evr: '1.0' }]);
    if (p % 5 === 0) b.addDeps(KIND.conflicts, [{ name: `p${p + 1}`, flags: 0 }]);
    b.endPackage();
  }
  return b.finish({ revision: 'r' });
}

/** The bytes packSections (the stored format) makes of the same sections and meta. */
function repacked(bytes: Uint8Array): Uint8Array {
  const { sections, meta } = unpackSections(new Uint8Array(bytes));
  return packSections(sections, meta);
}

describe('packed index sections', () => {
  it('serializes a built index as a view of the buffer its sections are read from, byte for byte the stored format', () => {
    const idx = built(200);
    const bytes = idx.serialize();
    expect(bytes.buffer).toBe(idx.pkgs.buffer);
    expect(bytes.byteOffset % 8).toBe(0);
    expect(Buffer.compare(bytes, repacked(bytes))).toBe(0);
    const back = RepoIndex.deserialize(bytes);
    expect(back.packageCount).toBe(200);
    expect(back.providersOf(back.lookup('cap3'))).toEqual(idx.providersOf(idx.lookup('cap3')));
    expect(back.conflictersOf(back.lookup('p6'))).toEqual([5]);
  });

  it('writes the meta as it is when serialized (comps set after the build), a shorter header after a longer one included', () => {
    const idx = built(20);
    idx.meta.comps = { groups: [{ id: 'core', name: 'x'.repeat(5000) }] };
    expect(RepoIndex.deserialize(idx.serialize()).meta.comps).toEqual(idx.meta.comps);
    delete idx.meta.comps;
    const bytes = idx.serialize();
    expect(RepoIndex.deserialize(bytes).meta.comps).toBeUndefined();
    expect(Buffer.compare(bytes, repacked(bytes))).toBe(0);
  });

  it('copies into a new buffer when the header outgrows the room left for it', () => {
    const idx = built(20);
    idx.meta.comps = { groups: [{ id: 'core', name: 'x'.repeat(HEADER_ROOM) }] };
    const bytes = idx.serialize();
    expect(bytes.buffer).not.toBe(idx.pkgs.buffer);
    expect(Buffer.compare(bytes, repacked(bytes))).toBe(0);
    expect(RepoIndex.deserialize(bytes).meta.comps).toEqual(idx.meta.comps);
  });
});
