/**
 * One upstream image type for one distribution and architecture, implementing the ImageType port in two phases as
 * osbuild/images does: prepare the request once (validation, hashed passwords, partition table), declare the package
 * sets to depsolve, then generate the manifest from the depsolved packages.
 */
import type { GeneratedManifest, ImageType, ManifestRequest, BootMode, PreparedManifest } from '../distribution.ts';
import type { PackageSetRequest, RepositoryConfig, ResolvedPackage } from '../../packages/package-set.ts';
import type { Manifest, Pipeline } from '../../manifest/manifest.ts';
import type { DefaultRepository, ImageTypeDef, PlatformDef } from '../defs/types.ts';
import { evalWhen, type ConditionTarget } from '../defs/conditions.ts';
import type { DistroDef } from './distros.ts';
import { SourceCollector } from '../../manifest/sources.ts';
import { buildPipeline } from '../../manifest/pipelines/build.ts';
import { osPipeline, type Platform } from '../../manifest/pipelines/os.ts';
import { prepareImage, type PreparedImage } from './prepare-image.ts';
import { buildPackageSet, buildRepositories, osPackageSet, osRepositories } from './package-sets.ts';
import { imagePipelines } from './image-pipelines.ts';

export { toRepositoryConfig } from './package-sets.ts';

export interface ImageTypeSpec {
  /** Image Builder API name (guest-image, aws, ...). */
  apiName: string;
  /** osbuild/images name (generic-qcow2, ami, ...). */
  upstreamName: string;
  def: ImageTypeDef;
  distro: DistroDef;
  arch: string;
  defaultRepositories: readonly DefaultRepository[];
}

const dedupe = (xs: string[]): string[] => [...new Set(xs)];

/** Armored keys of the repositories whose packages need signature checks (sorted, like upstream); URLs via `fetched`. */
function gpgKeysFor(packages: readonly ResolvedPackage[], repos: readonly RepositoryConfig[], fetched: Readonly<Record<string, string>> = {}): string[] {
  const byId = new Map(repos.map((r) => [r.id, r]));
  const keys = new Set<string>();
  for (const p of packages) {
    if (!p.checkGpg) continue;
    const repo = byId.get(p.repoId);
    if (!repo?.gpgkeys?.length) throw new Error(`package ${p.name} requires a GPG check but repository "${p.repoId}" has no GPG keys configured`);
    const armored = repo.gpgkeys.map((k) => (k.includes('BEGIN PGP PUBLIC KEY BLOCK') ? k : fetched[k])).filter((k) => k !== undefined);
    if (!armored.length) throw new Error(`package ${p.name} requires a GPG check but the GPG keys of repository "${p.repoId}" were not downloaded (${repo.gpgkeys.join(', ')})`);
    for (const k of armored) keys.add(k);
  }
  return [...keys].sort();
}

export class GenericImageType implements ImageType {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly filename: string;
  readonly mimeType: string;
  readonly defaultSize: number;
  readonly bootMode: BootMode;
  readonly upstreamName: string;
  readonly exports: readonly string[];
  /** Distribution, version and architecture the definitions' conditions are evaluated against. */
  readonly target: ConditionTarget;
  readonly platform: PlatformDef;

  constructor(readonly spec: ImageTypeSpec) {
    const { def, apiName, upstreamName, distro, arch } = spec;
    this.name = apiName;
    this.upstreamName = upstreamName;
    this.aliases = dedupe([upstreamName, ...(def.name_aliases ?? [])]).filter((a) => a !== apiName);
    this.filename = def.filename;
    this.mimeType = def.mime_type;
    this.defaultSize = def.default_size ?? 0;
    this.exports = def.exports;
    this.target = { distroName: distro.conditionName, major: distro.major, minor: distro.minor, arch };
    let platforms = def.platforms;
    for (const cond of Object.values(def.platforms_override?.conditions ?? {})) {
      if (evalWhen(cond.when, this.target)) platforms = cond.override;
    }
    const platform = platforms.find((p) => p.arch === arch);
    if (!platform) throw new Error(`${upstreamName} has no platform for ${arch}`);
    this.platform = {
      ...platform,
      ...(platform.uefi_vendor ? { uefi_vendor: platform.uefi_vendor.replace('{{.DistroVendor}}', distro.vendor) } : {}),
    };
    const uefi = Boolean(this.platform.uefi_vendor);
    const bios = Boolean(this.platform.bios_platform);
    this.bootMode = uefi && bios ? 'hybrid' : uefi ? 'uefi' : bios || this.platform.zipl_support ? 'legacy' : 'none';
  }

  /** Every check of prepare(), without hashing passwords (the API edge validates; the manifest worker prepares). */
  validate(request: ManifestRequest): void {
    prepareImage(this, request, 'skip');
  }

  prepare(request: ManifestRequest): PreparedImage {
    return prepareImage(this, request, 'hash');
  }

  /** The prepared request as this image type made it; another type's (or a hand-made) one is a programming error. */
  private own(prepared: PreparedManifest): PreparedImage {
    if (prepared.imageType !== this) throw new Error(`a manifest prepared by image type ${prepared.imageType.name} was given to ${this.name}`);
    return prepared as PreparedImage;
  }

  packageSets(prepared: PreparedManifest): Record<string, PackageSetRequest> {
    const prep = this.own(prepared);
    return { build: buildPackageSet(prep), os: osPackageSet(prep) };
  }

  generate(prepared: PreparedManifest, packages: Record<string, ResolvedPackage[]>, gpgKeys: Readonly<Record<string, string>> = {}): GeneratedManifest {
    const prep = this.own(prepared);
    const build = packages.build;
    const os = packages.os;
    if (!build?.length) throw new Error('generate() needs the depsolved "build" package set');
    if (!os?.length) throw new Error('generate() needs the depsolved "os" package set');
    const repos = [...osRepositories(prep), ...buildRepositories(prep)];
    const sources = new SourceCollector();
    sources.addPackages(build);
    sources.addPackages(os);

    const platform: Platform = {
      arch: this.spec.arch,
      bootloader: prep.platform.bootloader,
      uefiVendor: prep.platform.uefi_vendor,
      biosPlatform: prep.platform.bios_platform,
    };
    const pipelines: Pipeline[] = [buildPipeline(this.spec.distro.runner, build, gpgKeysFor(build, repos, gpgKeys))];
    pipelines.push(
      osPipeline({
        customizations: prep.osc,
        platform,
        partitionTable: prep.pt,
        mountConfiguration: prep.mountConfiguration,
        transactions: [{ packages: os, gpgkeys: gpgKeysFor(os, repos, gpgKeys) }],
        sources,
        build: 'build',
      }),
    );
    pipelines.push(...imagePipelines(prep, 'build'));
    const manifest: Manifest = { version: '2', pipelines, sources: sources.toSources() };
    return { manifest, exports: [...this.exports], checkpoints: ['build', 'os'], filename: this.filename, mimeType: this.mimeType };
  }
}
