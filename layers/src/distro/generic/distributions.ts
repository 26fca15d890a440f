/** Builds the Distribution objects (distro × arch × image type) from the upstream definitions. */
import type { Architecture, Distribution } from '../distribution.ts';
import type { RepositoryConfig } from '../../packages/package-set.ts';
import type { DefaultRepository, ImageTypeDef } from '../defs/types.ts';
import { DEFAULT_REPOSITORIES, FEDORA_IMAGE_TYPES, RHEL_10_IMAGE_TYPES, RHEL_9_IMAGE_TYPES } from '../defs/data.ts';
import { DISTRO_DEFS, type DistroDef, type Family } from './distros.ts';
import { GenericImageType, toRepositoryConfig } from './image-type.ts';

export const ARCHITECTURES = ['x86_64', 'aarch64'] as const;

const DEFS: Record<Family, Record<string, ImageTypeDef>> = {
  fedora: FEDORA_IMAGE_TYPES,
  'rhel-9': RHEL_9_IMAGE_TYPES,
  'rhel-10': RHEL_10_IMAGE_TYPES,
};

/** The RHEL image types by API name (osbuild/images names them alike for RHEL 9 and 10). */
const RHEL: readonly [api: string, upstream: string][] = [
  ['guest-image', 'qcow2'],
  ['aws', 'ami'],
  ['azure', 'vhd'],
  ['vsphere', 'vmdk'],
  ['vsphere-ova', 'ova'],
  ['gcp', 'gce'],
  ['oci', 'oci'],
  ['minimal-raw', 'minimal-raw'],
  ['wsl', 'wsl'],
  ['container', 'container'],
  ['tar', 'tar'],
];

/** Image Builder API name → osbuild/images image type, per distribution family. */
export const CATALOG: Record<Family, readonly [api: string, upstream: string][]> = {
  fedora: [
    ['guest-image', 'generic-qcow2'],
    ['aws', 'generic-ami'],
    ['azure', 'generic-vhd'],
    ['vsphere', 'generic-vmdk'],
    ['vsphere-ova', 'generic-ova'],
    ['oci', 'generic-oci'],
    ['minimal-raw', 'minimal-raw-xz'],
    ['wsl', 'generic-wsl'],
    ['container', 'generic-container'],
  ],
  'rhel-9': RHEL,
  // RHEL 10 has no minimal-raw image type upstream
  'rhel-10': RHEL.filter(([api]) => api !== 'minimal-raw'),
};

function architecture(distro: DistroDef, arch: string, byArch: Record<string, DefaultRepository[]>): Architecture {
  const defaults = byArch[arch] ?? [];
  const imageTypes = CATALOG[distro.family]
    .filter(([, upstream]) => DEFS[distro.family][upstream].platforms.some((p) => p.arch === arch))
    .map(([api, upstream]) => new GenericImageType({ apiName: api, upstreamName: upstream, def: DEFS[distro.family][upstream], distro, arch, defaultRepositories: defaults }));
  const repositories: RepositoryConfig[] = defaults.filter((r) => !r.image_type_tags).map(toRepositoryConfig);
  return { name: arch, imageTypes, repositories };
}

/** A distribution with its built-in repositories, or those given (IBS_REPOSITORIES_DIR), by architecture. */
export function buildDistribution(def: DistroDef, repositories = DEFAULT_REPOSITORIES[def.name] ?? {}): Distribution {
  return {
    name: def.name,
    description: def.description,
    releasever: def.releasever,
    architectures: ARCHITECTURES.map((arch) => architecture(def, arch, repositories)),
  };
}

export const REAL_DISTRIBUTIONS: readonly Distribution[] = DISTRO_DEFS.map((def) => buildDistribution(def));
