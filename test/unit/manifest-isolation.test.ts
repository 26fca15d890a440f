/**
 * One manifest never changes the next: the image definitions are shared by every compose of a process (a warm
 * worker serves many organizations), so generation must not write into them.
 */
import { describe, expect, it } from 'vitest';
import { emptyBlueprint, type Blueprint } from '../../layers/src/blueprint/blueprint.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { serializeManifest } from '../../layers/src/manifest/manifest.ts';
import { generateWithFakePackages } from '../manifest/fixtures.ts';

function gcpManifest(distribution: string, blueprint: Blueprint): string {
  const distro = findDistribution(distribution);
  const type = findImageType(distro, findArchitecture(distro, 'x86_64'), 'gcp');
  const request = { distribution, architecture: 'x86_64', imageType: type.name, size: 0, blueprint, seed: 'isolation' };
  return serializeManifest(generateWithFakePackages(type, request).generated.manifest);
}

const repoFiles = (manifest: string, filename: string): number => manifest.split(`"filename": "${filename}"`).length - 1;

describe('manifest isolation', () => {
  it("writes a blueprint's repository files into its own image only, once (gcp: the image config has repositories too)", () => {
    const withRepo = emptyBlueprint();
    withRepo.customizations.repositories = [{ id: 'tenant-a', baseurls: ['https://tenant-a.example.com/repo/'] }];
    const before = gcpManifest('centos-9', emptyBlueprint());
    expect(before).toContain('.repo"'); // the image config's own repository file
    for (let i = 0; i < 3; i++) expect(repoFiles(gcpManifest('centos-9', withRepo), 'tenant-a.repo')).toBe(1);
    // the same distribution family shares its definitions: nothing of tenant-a reaches another compose
    expect(gcpManifest('centos-9', emptyBlueprint())).toBe(before);
    expect(gcpManifest('almalinux-9', emptyBlueprint())).not.toContain('tenant-a');
  });
});
