/**
 * The package details port: what a repository's primary.xml says about each package beyond what the solver needs
 * (description, home page, build time, licence). Weldr's `projects/*` answers need them; the solve index does not
 * keep them, so a separate, lazily built source provides them.
 */
import type { PackageNevra, RepositoryConfig } from './package-set.ts';

/** One package (one build) of a repository, as primary.xml describes it. */
export interface PackageDetails extends PackageNevra {
  summary: string;
  description: string;
  /** `<url>`: the project's home page ('' when the package has none). */
  url: string;
  /** `<time build=...>` in seconds since the epoch (0 when absent). */
  buildTime: number;
  /** `<rpm:license>` ('' when absent). */
  license: string;
}

export interface PackageDetailsQuery {
  repositories: RepositoryConfig[];
  architecture: string;
  releasever: string;
}

/** Every available package (all builds) of the repositories, for the architecture, in repository order. */
export interface PackageDetailsSource {
  listPackages(query: PackageDetailsQuery): Promise<PackageDetails[]>;
}
