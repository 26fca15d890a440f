/** Generates our manifest for a reference manifest's distro/arch/type from its package set, and diffs them. */
import { emptyBlueprint, type Blueprint } from '../../layers/src/blueprint/blueprint.ts';
import { blueprintFromObject } from '../../layers/src/blueprint/parse-blueprint.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import type { GeneratedManifest } from '../../layers/src/distro/distribution.ts';
import type { Manifest, Stage } from '../../layers/src/manifest/manifest.ts';
import { packagesOf, readReference, referenceRepositories, type ReferenceFile } from './reference-fixtures.ts';

/** Reference distro → the distribution we build from the same definitions family. */
const DISTRO_MAP: Record<string, string> = {
  'centos-10': 'centos-10',
  'rhel-10.0': 'centos-10',
  'rhel-9.5': 'centos-9',
  'fedora-39': 'fedora-43',
};

export const SUPPORTED_REFERENCES = [
  'manifest-db/centos_10-x86_64-qcow2-empty.json',
  'manifest-db/centos_10-x86_64-ami-empty.json',
  'manifest-db/centos_10-x86_64-tar-empty.json',
  'manifest-db/centos_10-x86_64-vhd-empty.json',
  'manifest-db/centos_10-x86_64-wsl-empty.json',
  'manifest-db/fedora_39-x86_64-container-empty.json',
  'manifest-db/rhel_10.0-x86_64-oci-empty.json',
  'manifest-db/rhel_9.5-x86_64-gce-empty.json',
  'manifest-db/rhel_9.5-x86_64-minimal_raw-empty.json',
  'manifest-db/rhel_9.5-x86_64-qcow2-all_customizations.json',
  'images-2023/fedora_39-x86_64-qcow2-boot.json',
  'images-2023/fedora_39-x86_64-ami-boot.json',
  'images-2023/fedora_39-x86_64-container-boot.json',
  'images-2023/fedora_39-x86_64-minimal_raw-boot.json',
  'images-2023/fedora_39-x86_64-vmdk-boot.json',
];

/** References we do not compare, and why. */
export const UNSUPPORTED_REFERENCES: Record<string, string> = {
  'manifest-db/rhel_9.5-x86_64-image_installer-empty.json': 'installer ISOs are not in this service\'s image type list',
  'images-2023/fedora_38-ppc64le-qcow2-all_customizations.json': 'ppc64le is not a supported architecture',
};

export interface Generated {
  ref: ReferenceFile;
  distro: string;
  ours: GeneratedManifest;
}

export function generateForReference(file: string, blueprint?: Blueprint): Generated {
  const ref = readReference(file);
  const distro = DISTRO_MAP[ref.distro];
  if (!distro) throw new Error(`no distribution for ${ref.distro}`);
  const d = findDistribution(distro);
  const arch = findArchitecture(d, ref.arch);
  const type = findImageType(d, arch, ref.imageType.replace('_', '-'));
  const bp = blueprint ?? (ref.blueprint ? blueprintFromObject(ref.blueprint).blueprint : emptyBlueprint());
  const ours = type.generate(
    type.prepare({ distribution: distro, architecture: ref.arch, imageType: type.name, size: 0, blueprint: bp, seed: `reference:${file}`, repositories: referenceRepositories(ref.manifest) }),
    { build: packagesOf(ref.manifest, 'build'), os: packagesOf(ref.manifest, 'os') },
  );
  return { ref, distro, ours };
}

export const stageTypes = (m: Manifest, pipeline: string): string[] => m.pipelines.find((p) => p.name === pipeline)?.stages.map((s) => s.type) ?? [];

export const findStages = (m: Manifest, pipeline: string, type: string): Stage[] =>
  m.pipelines.find((p) => p.name === pipeline)?.stages.filter((s) => s.type === type) ?? [];
