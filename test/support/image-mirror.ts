/**
 * A local mirror a real distribution's image builds from in tests (with the osbuild test double): every package the
 * image type asks for, without dependencies, and stand-in RPM files whose bytes the repository checksums match.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type GenGroup, type GenPackage, pkgLocation, writeRepo } from '../depsolve/repo-generator.ts';

/** Stand-in RPMs: their bytes are the NEVRA string the generator's pkgId (the checksum in primary.xml) hashes. */
export function writeRpms(dir: string, packages: GenPackage[]): void {
  for (const p of packages) {
    const file = join(dir, pkgLocation(p));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${p.name}-${p.epoch ?? 0}:${p.version}-${p.release}.${p.arch}`);
  }
}

/**
 * A repository in `dir` with every name the distribution's image type asks for (x86_64) and `extra` names; every @group
 * with one member; summaries are `<name> (<label>)`. Returns its repomd.xml (what a metalink stand-in checksums).
 */
export async function writeImageMirror(dir: string, distribution: string, imageType: string, extra: string[] = [], label = 'mirror'): Promise<Buffer> {
  // imported here: the registry reads IBS_REPOSITORIES_DIR when first loaded, which tests set before
  const { findArchitecture, findDistribution, findImageType } = await import('../../layers/src/distro/registry.ts');
  const { emptyBlueprint } = await import('../../layers/src/blueprint/blueprint.ts');
  const distro = findDistribution(distribution);
  const type = findImageType(distro, findArchitecture(distro, 'x86_64'), imageType);
  const sets = type.packageSets(type.prepare({ distribution: distro.name, architecture: 'x86_64', imageType: type.name, size: 0, blueprint: emptyBlueprint(), seed: 's' }));
  const names = new Set<string>(extra);
  const groups = new Map<string, GenGroup>();
  for (const spec of Object.values(sets).flatMap((s) => s.include)) {
    if (spec.startsWith('@')) {
      groups.set(spec.slice(1), { id: spec.slice(1), packages: [{ name: `${spec.slice(1)}-member`, type: 'mandatory' }] });
      names.add(`${spec.slice(1)}-member`);
    } else if (!/[*?[\]/]/.test(spec)) names.add(spec);
  }
  const release = `1.${distro.name.replace(/^fedora-/, 'fc')}`;
  const packages: GenPackage[] = [...names].sort().map((name) => ({ name, version: '1.0', release, arch: 'x86_64', summary: `${name} (${label})` }));
  const repomd = writeRepo(dir, { packages, groups: [...groups.values()] });
  writeRpms(dir, packages);
  return repomd;
}
