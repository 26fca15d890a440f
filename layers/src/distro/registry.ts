import type { Architecture, Distribution, ImageType } from './distribution.ts';
import { testDistro } from './test-distro.ts';
import { buildDistribution, REAL_DISTRIBUTIONS } from './generic/distributions.ts';
import { DISTRO_DEFS } from './generic/distros.ts';
import { readRepositoryOverrides } from './repository-overrides.ts';
import { ValidationError } from '../errors.ts';

/**
 * The real distributions and the test distro; a distribution with a `<name>.json` in `IBS_REPOSITORIES_DIR` gets
 * that file's repositories instead of its built-in ones (other files there are ignored, as composer ignores them).
 */
export function loadDistributions(env: Record<string, string | undefined> = process.env): Distribution[] {
  const dir = env.IBS_REPOSITORIES_DIR;
  if (!dir) return [...REAL_DISTRIBUTIONS, testDistro];
  const { overrides } = readRepositoryOverrides(dir, DISTRO_DEFS.map((d) => d.name));
  return [...DISTRO_DEFS.map((def, i) => (overrides.has(def.name) ? buildDistribution(def, overrides.get(def.name)) : REAL_DISTRIBUTIONS[i])), testDistro];
}

let overrideError: unknown;

/** Every distribution the service can build (read once per process: the environment is fixed at start). */
export const DISTRIBUTIONS: readonly Distribution[] = (() => {
  try {
    return loadDistributions();
  } catch (error) {
    // kept for checkDistributions(): an import must not throw, so that entry points can report it as a bad setting
    overrideError = error;
    return [...REAL_DISTRIBUTIONS, testDistro];
  }
})();

/** Throws why IBS_REPOSITORIES_DIR could not be used (a ConfigError); entry points call it at start. */
export function checkDistributions(): void {
  if (overrideError) throw overrideError;
}

export const listDistributions = (): readonly Distribution[] => (checkDistributions(), DISTRIBUTIONS);

export function findDistribution(name: string, field = 'distribution'): Distribution {
  checkDistributions();
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
