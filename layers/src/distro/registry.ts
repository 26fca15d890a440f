import type { Architecture, Distribution, ImageType } from './distribution.ts';
import { testDistro } from './test-distro.ts';
import { REAL_DISTRIBUTIONS } from './generic/distributions.ts';
import { ValidationError } from '../errors.ts';

/** Every distribution the service can build. Real distributions register here next to the test distro. */
export const DISTRIBUTIONS: readonly Distribution[] = [...REAL_DISTRIBUTIONS, testDistro];

export const listDistributions = (): readonly Distribution[] => DISTRIBUTIONS;

export function findDistribution(name: string, field = 'distribution'): Distribution {
  const distro = DISTRIBUTIONS.find((d) => d.name === name);
  if (!distro) {
    throw new ValidationError(field, `unknown distribution "${name}" (allowed: ${DISTRIBUTIONS.map((d) => d.name).join(', ')})`);
  }
  return distro;
}

export function findArchitecture(distro: Distribution, name: string, field = 'architecture'): Architecture {
  const arch = distro.architectures.find((a) => a.name === name);
  if (!arch) {
    throw new ValidationError(
      field,
      `architecture "${name}" is not available for ${distro.name} (allowed: ${distro.architectures.map((a) => a.name).join(', ')})`,
    );
  }
  return arch;
}

/** Resolves API names and aliases (ami → aws, vhd → azure) to the image type. */
export function findImageType(distro: Distribution, arch: Architecture, name: string, field = 'image_type'): ImageType {
  const type = arch.imageTypes.find((t) => t.name === name || t.aliases.includes(name));
  if (!type) {
    throw new ValidationError(
      field,
      `image type "${name}" is not available for ${distro.name}/${arch.name} (allowed: ${arch.imageTypes.map((t) => t.name).join(', ')})`,
    );
  }
  return type;
}
