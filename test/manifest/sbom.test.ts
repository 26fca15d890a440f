import { describe, expect, it } from 'vitest';
import { generateSpdx, rpmPurl } from '../../layers/src/sbom/spdx.ts';
import type { ResolvedPackage } from '../../layers/src/packages/package-set.ts';
import { hasReferences, packagesOf, readReference } from './reference-fixtures.ts';

const pkg = (over: Partial<ResolvedPackage>): ResolvedPackage => ({
  name: 'bash',
  epoch: 0,
  version: '5.2.26',
  release: '4.fc43',
  arch: 'x86_64',
  checksum: `sha256:${'ab'.repeat(32)}`,
  remoteLocation: 'https://example.com/bash.rpm',
  repoId: 'fedora',
  ...over,
});

describe('SPDX 2.3 SBOM', () => {
  const input = {
    name: 'fedora-43-x86_64-guest-image',
    distro: { id: 'fedora', version: '43' },
    documentId: 'compose-1',
    created: '2026-01-01T00:00:00Z',
    packages: [
      pkg({ license: 'GPL-3.0-or-later', summary: 'The GNU Bourne Again shell', sourceRpm: 'bash-5.2.26-4.fc43.src.rpm' }),
      pkg({ name: 'glibc', epoch: 2, checksum: `sha256:${'cd'.repeat(32)}`, license: 'LGPLv2+ and GPLv2+ with exceptions' }),
      pkg({}), // duplicate of bash (same checksum) listed by two pipelines
    ],
  };

  it('describes the image and contains each package once', () => {
    const doc = generateSpdx(input);
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.dataLicense).toBe('CC0-1.0');
    expect(doc.packages.map((p) => p.name)).toEqual(['fedora-43-x86_64-guest-image', 'bash', 'glibc']);
    expect(doc.relationships).toHaveLength(3);
    expect(doc.relationships[0]).toEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' });
    for (const p of doc.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(new Set(doc.packages.map((p) => p.SPDXID)).size).toBe(doc.packages.length);
  });

  it('records version, checksum, download location, license and purl', () => {
    const doc = generateSpdx(input);
    const bash = doc.packages.find((p) => p.name === 'bash')!;
    expect(bash.versionInfo).toBe('5.2.26-4.fc43');
    expect(bash.checksums).toEqual([{ algorithm: 'SHA256', checksumValue: 'ab'.repeat(32) }]);
    expect(bash.licenseDeclared).toBe('GPL-3.0-or-later');
    expect(bash.externalRefs![0].referenceLocator).toBe('pkg:rpm/fedora/bash@5.2.26-4.fc43?arch=x86_64&distro=fedora-43');
    const glibc = doc.packages.find((p) => p.name === 'glibc')!;
    expect(glibc.versionInfo).toBe('2:5.2.26-4.fc43');
    expect(glibc.licenseDeclared).toBe('NOASSERTION'); // not an SPDX expression: kept as a comment
    expect(glibc.comment).toContain('LGPLv2+');
    expect(rpmPurl(pkg({ epoch: 2 }), { id: 'centos', version: '10' })).toContain('epoch=2');
  });

  it('is deterministic for the same input and document id', () => {
    expect(JSON.stringify(generateSpdx(input))).toBe(JSON.stringify(generateSpdx({ ...input, packages: [...input.packages].reverse() })));
    expect(generateSpdx({ ...input, documentId: 'compose-2' }).documentNamespace).not.toBe(generateSpdx(input).documentNamespace);
  });

  it.skipIf(!hasReferences)(hasReferences ? 'covers a real ~450 package set' : 'covers a real package set (skipped: ../shared/reference/reference-manifests not found)', () => {
    const ref = readReference('images-2023/fedora_39-x86_64-qcow2-boot.json');
    const packages = packagesOf(ref.manifest, 'os');
    const doc = generateSpdx({ ...input, packages });
    expect(doc.packages.length).toBe(new Set(packages.map((p) => p.checksum)).size + 1);
    expect(doc.packages.find((p) => p.name === 'kernel')?.versionInfo).toMatch(/^6\./);
  });
});
