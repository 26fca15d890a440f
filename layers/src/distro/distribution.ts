/** The distribution port: what an image type offers the services (validate, prepare, package sets, generate). */
import type { Blueprint } from '../blueprint/blueprint.ts';
import type { PackageSetRequest, RepositoryConfig, ResolvedPackage } from '../packages/package-set.ts';
import type { Manifest } from '../manifest/manifest.ts';

export type BootMode = 'none' | 'legacy' | 'uefi' | 'hybrid';

/** Everything needed to turn one image request into a manifest. */
export interface ManifestRequest {
  distribution: string;
  architecture: string;
  imageType: string;
  /** Bytes; 0 = the image type's default size. */
  size: number;
  blueprint: Blueprint;
  /** Replaces the distribution's default repositories when given. */
  repositories?: RepositoryConfig[];
  /** Extra repositories (API `customizations.payload_repositories` / custom repos used for depsolving). */
  extraRepositories?: RepositoryConfig[];
  /** Seed for all random values (UUIDs, salts): same seed + same packages → byte-identical manifest. */
  seed: string;
  /** How ValidationError fields are named: after the Image Builder API (`customizations.users[0]`) or the blueprint. */
  fieldStyle?: 'api' | 'blueprint';
}

export interface GeneratedManifest {
  manifest: Manifest;
  /** Pipelines to pass to `osbuild --export`. */
  exports: string[];
  /** Pipelines worth `--checkpoint` (build root, os tree) for the runner's cache. */
  checkpoints: string[];
  /** Name of the exported file inside `<output-directory>/<export>/`. */
  filename: string;
  mimeType: string;
}

/**
 * A request checked and prepared once (passwords hashed, partitions laid out, UUIDs drawn from the seed): the one
 * input of packageSets() and generate(), so the costly part of manifest generation runs once per compose.
 */
export interface PreparedManifest {
  readonly request: ManifestRequest;
  /** The image type that prepared it: only that one can declare its package sets and generate its manifest. */
  readonly imageType: ImageType;
}

/**
 * An image type generates a manifest in two phases, as osbuild/images does: prepare(request) once → packageSets() to
 * depsolve → generate() with the depsolved packages.
 */
export interface ImageType {
  /** Image Builder API name (e.g. guest-image). */
  name: string;
  /** Other accepted names (upstream names, API aliases such as ami, vhd). */
  aliases: readonly string[];
  filename: string;
  mimeType: string;
  defaultSize: number;
  bootMode: BootMode;
  /** Checks the request against what this image type supports, cheaply (no password hashing); throws ValidationError naming the field. */
  validate(request: ManifestRequest): void;
  /** Validates and prepares the request: the costly, seed-determined part, run once per manifest. */
  prepare(request: ManifestRequest): PreparedManifest;
  /** Package sets to depsolve (e.g. build, os); empty when the image needs no packages. */
  packageSets(prepared: PreparedManifest): Record<string, PackageSetRequest>;
  /** `gpgKeys`: the armored keys behind the repositories' key URLs (Depsolver.fetchGpgKeys), by URL. */
  generate(prepared: PreparedManifest, packages: Record<string, ResolvedPackage[]>, gpgKeys?: Readonly<Record<string, string>>): GeneratedManifest;
}

export interface Architecture {
  name: string;
  imageTypes: readonly ImageType[];
  repositories: readonly RepositoryConfig[];
}

export interface Distribution {
  name: string;
  description: string;
  releasever: string;
  architectures: readonly Architecture[];
}
