/**
 * One upstream image type for one distribution and architecture, implementing the ImageType port: validation with
 * upstream's rules, the package sets to depsolve and the manifest from the depsolved packages.
 */
import type { GeneratedManifest, ImageType, ManifestRequest, BootMode } from '../distribution.ts';
import type { PackageSetRequest, RepositoryConfig, ResolvedPackage } from '../../packages/package-set.ts';
import type { Manifest, Pipeline } from '../../manifest/manifest.ts';
import type { DefaultRepository, ImageTypeDef, PlatformDef } from '../defs/types.ts';
import { evalWhen, type ConditionTarget } from '../defs/conditions.ts';
import type { DistroDef } from './distros.ts';
import { ValidationError } from '../../errors.ts';
import { validateBlueprint } from '../../blueprint/validate-customizations.ts';
import { SeededRandom } from '../../manifest/rng.ts';
import { cryptSalt, sha512Crypt } from '../../manifest/crypt.ts';
import { SourceCollector } from '../../manifest/sources.ts';
import { buildPackagesFor, newPartitionTable, type FsType, type PartitionTable } from '../../manifest/disk/partition-table.ts';
import type { MountConfiguration } from '../../manifest/disk/disk-stages.ts';
import { buildPipeline } from '../../manifest/pipelines/build.ts';
import { osPipeline, type OSCustomizations, type Platform } from '../../manifest/pipelines/os.ts';
import * as P from '../../manifest/pipelines/image.ts';
import { filesystemRequests, ociConfig, osCustomizations, resolveImageConfig, type ImageConfig } from './image-config.ts';
import { partitionTableFrom } from './partition-tables.ts';

/** Blueprint features this service does not implement yet, even where upstream image types accept them. */
const NOT_IMPLEMENTED: Record<string, string> = {
  'customizations.disk': 'custom partition layouts (customizations.disk) are not implemented by this service yet; use customizations.filesystem',
  containers: 'embedding container images is not implemented by this service yet',
  'customizations.openscap': 'OpenSCAP remediation is not implemented by this service yet',
  modules: 'DNF modules are not implemented by this service yet',
  enabled_modules: 'DNF modules are not implemented by this service yet',
  'customizations.rhsm': 'RHSM configuration only applies to RHEL, which this service does not build',
  'customizations.dnf': 'DNF configuration customizations are not implemented by this service yet',
  'customizations.containers_storage': 'container storage configuration is not implemented by this service yet',
};

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

interface Prepared {
  config: ImageConfig;
  platform: PlatformDef;
  osc: OSCustomizations;
  pt?: PartitionTable;
  mountConfiguration: MountConfiguration;
  environmentServices: string[];
}

const dedupe = (xs: string[]): string[] => [...new Set(xs)];

export const toRepositoryConfig = (r: DefaultRepository): RepositoryConfig => ({
  id: r.name,
  name: r.name,
  ...(r.baseurl ? { baseurl: [r.baseurl] } : {}),
  ...(r.metalink ? { metalink: r.metalink } : {}),
  ...(r.mirrorlist ? { mirrorlist: r.mirrorlist } : {}),
  gpgkeys: r.gpgkeys,
  checkGpg: r.check_gpg,
});

export class GenericImageType implements ImageType {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly filename: string;
  readonly mimeType: string;
  readonly defaultSize: number;
  readonly bootMode: BootMode;
  readonly upstreamName: string;
  readonly exports: readonly string[];
  private readonly target: ConditionTarget;
  private readonly platform: PlatformDef;

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

  private get bootable(): boolean {
    return Boolean(this.spec.def.bootable);
  }

  /** Image size in bytes: the request's or the default, vhd rounded up to whole MiB (Azure requirement). */
  imageSize(request: ManifestRequest): number {
    let size = request.size || this.defaultSize;
    if (this.upstreamName === 'vhd' && size % (1024 * 1024) !== 0) size = Math.ceil(size / (1024 * 1024)) * 1024 * 1024;
    return size;
  }

  validate(request: ManifestRequest): void {
    this.check(request);
  }

  /** Validates and returns the prepared request (one pass: generate() reuses it). */
  private check(request: ManifestRequest): Prepared {
    const bp = request.blueprint;
    if (request.size !== 0 && (!Number.isSafeInteger(request.size) || request.size < 0)) {
      throw new ValidationError('size', `must be a whole number of bytes below 2^53 (got ${request.size})`);
    }
    if (request.size > 0 && !this.bootable && this.spec.def.image_func !== 'disk') {
      // upstream ignores the size for non-disk images; we accept it for compatibility
    }
    validateBlueprint(bp, {
      supportedOptions: this.spec.def.supported_options,
      imageType: this.name,
      apiFieldNames: request.fieldStyle === 'api',
    });
    for (const [option, message] of Object.entries(NOT_IMPLEMENTED)) {
      const [, key] = option.split('.');
      const present = key ? (bp.customizations as Record<string, unknown>)[key] !== undefined : ((bp as unknown as Record<string, unknown[] | undefined>)[option]?.length ?? 0) > 0;
      if (present) throw new ValidationError(option, message);
    }
    if (bp.customizations.kernel?.name && this.spec.def.supported_options.includes('customizations.kernel') && this.prepareConfig().default_kernel_name) {
      throw new ValidationError('customizations.kernel.name', `image type ${this.name} uses a fixed kernel`);
    }
    return this.prepare(request);
  }

  private prepareConfig(): ImageConfig {
    return resolveImageConfig(this.spec.def, this.spec.distro, this.target);
  }

  private basePartitionTable(): PartitionTable | undefined {
    const { def, arch, distro } = this.spec;
    let tables = def.partition_table;
    for (const cond of Object.values(def.partition_tables_override?.conditions ?? {})) {
      if (evalWhen(cond.when, this.target)) tables = cond.override;
    }
    const table = tables?.[arch];
    return table ? partitionTableFrom(table, distro.defaultFsType) : undefined;
  }

  /** Everything derived from the request alone (deterministic from the seed); throws ValidationError on bad input. */
  private prepare(request: ManifestRequest): Prepared {
    const { def, distro } = this.spec;
    const config = this.prepareConfig();
    const rng = new SeededRandom(request.seed);
    const osc = osCustomizations({
      def,
      distro,
      arch: this.spec.arch,
      config,
      blueprint: request.blueprint,
      bootable: this.bootable,
      hashPassword: (password) => sha512Crypt(password, cryptSalt(rng.bytes(16))),
    });
    const environmentServices = def.environment?.services ?? [];
    osc.enabledServices.push(...environmentServices);
    let pt: PartitionTable | undefined;
    if (def.image_func === 'disk') {
      const base = this.basePartitionTable();
      if (!base) throw new Error(`${this.upstreamName} has no partition table for ${this.spec.arch}`);
      const mode = request.blueprint.customizations.partitioning_mode ?? '';
      try {
        pt = newPartitionTable(base, {
          filesystems: filesystemRequests(request.blueprint),
          imageSize: this.imageSize(request),
          mode,
          requiredSizes: def.required_partition_sizes,
          defaultFsType: distro.defaultFsType as FsType,
          rng,
        });
      } catch (err) {
        if (err instanceof ValidationError) throw err;
        const field = /partitioning mode/.test((err as Error).message) ? 'customizations.partitioning_mode' : 'customizations.filesystem';
        throw new ValidationError(field, (err as Error).message, { cause: err });
      }
      if (!Number.isSafeInteger(pt.size)) throw new ValidationError('customizations.filesystem', 'the requested sizes overflow the disk size');
    }
    let mountConfiguration: MountConfiguration = 'fstab';
    if (def.disk_config) {
      let mc = def.disk_config.mount_configuration;
      for (const cond of Object.values(def.disk_config.conditions ?? {})) {
        if (evalWhen(cond.when, this.target) && cond.shallow_merge.mount_configuration) mc = cond.shallow_merge.mount_configuration;
      }
      if (mc === 'units' || mc === 'none' || mc === 'fstab') mountConfiguration = mc;
    }
    return { config, platform: this.platform, osc, pt, mountConfiguration, environmentServices };
  }

  /** Distribution repositories for this image type (request override or defaults, tags honoured). */
  private baseRepositories(request: ManifestRequest): RepositoryConfig[] {
    if (request.repositories?.length) return request.repositories;
    return this.spec.defaultRepositories
      .filter((r) => !r.image_type_tags || r.image_type_tags.includes(this.upstreamName))
      .map(toRepositoryConfig);
  }

  private blueprintRepositories(request: ManifestRequest): RepositoryConfig[] {
    return (request.blueprint.customizations.repositories ?? [])
      .filter((r) => r.install_from)
      .map((r) => ({
        id: r.id,
        ...(r.name ? { name: r.name } : {}),
        ...(r.baseurls?.length ? { baseurl: r.baseurls } : {}),
        ...(r.metalink ? { metalink: r.metalink } : {}),
        ...(r.mirrorlist ? { mirrorlist: r.mirrorlist } : {}),
        gpgkeys: r.gpgkeys ?? [],
        checkGpg: r.gpgcheck ?? false,
        checkRepoGpg: r.repo_gpgcheck ?? false,
        ...(r.sslverify !== undefined ? { sslverify: r.sslverify } : {}),
        ...(r.priority !== undefined ? { priority: r.priority } : {}),
      }));
  }

  private osRepositories(request: ManifestRequest): RepositoryConfig[] {
    return [...this.baseRepositories(request), ...(request.extraRepositories ?? []), ...this.blueprintRepositories(request)].filter(
      (r) => !r.packageSets?.length || r.packageSets.includes('os'),
    );
  }

  private buildRepositories(request: ManifestRequest): RepositoryConfig[] {
    return this.baseRepositories(request).filter((r) => !r.packageSets?.length || r.packageSets.includes('build'));
  }

  private osPackageSet(request: ManifestRequest, prep: Prepared): PackageSetRequest {
    const { def } = this.spec;
    const include: string[] = [];
    const exclude: string[] = [];
    const platformPackages = Object.keys(prep.platform.packages ?? {})
      .sort()
      .flatMap((k) => prep.platform.packages![k]);
    include.push(...platformPackages);
    if (prep.osc.kernelName) include.push(prep.osc.kernelName);
    include.push(...(def.environment?.packages ?? []));
    if (prep.pt) include.push(...buildPackagesFor(prep.pt));
    for (const set of def.package_sets?.os ?? []) {
      include.push(...(set.include ?? []));
      exclude.push(...(set.exclude ?? []));
      for (const cond of Object.values(set.conditions ?? {})) {
        if (!evalWhen(cond.when, this.target)) continue;
        include.push(...(cond.append?.include ?? []));
        exclude.push(...(cond.append?.exclude ?? []));
      }
    }
    // upstream depsolves these in their own transactions so base excludes cannot drop them; we merge and un-exclude
    const explicit: string[] = [];
    if (prep.osc.chrony) explicit.push('chrony');
    if (prep.osc.selinux) explicit.push(`selinux-policy-${prep.osc.selinux}`);
    if (prep.osc.users.length || prep.osc.groups.length) explicit.push('shadow-utils', 'pam', 'passwd');
    if (prep.osc.firewall) explicit.push('firewalld');
    const bp = request.blueprint;
    for (const p of bp.packages) explicit.push(p.version && p.version !== '*' ? `${p.name}-${p.version}` : p.name);
    for (const g of bp.groups) explicit.push(`@${g.name}`);
    include.push(...explicit);
    const explicitNames = new Set(explicit);
    const installWeakDeps = prep.config.install_weak_deps === undefined ? true : Boolean(prep.config.install_weak_deps);
    return {
      include: dedupe(include),
      exclude: dedupe(exclude).filter((e) => !explicitNames.has(e)),
      repositories: this.osRepositories(request),
      installWeakDeps,
    };
  }

  private buildPackageSet(request: ManifestRequest, prep: Prepared): PackageSetRequest {
    const osBuild: string[] = [];
    for (const k of Object.keys(prep.platform.build_packages ?? {}).sort()) osBuild.push(...prep.platform.build_packages![k]);
    if (prep.pt) osBuild.push(...buildPackagesFor(prep.pt));
    osBuild.push('rpm');
    if (prep.osc.selinux) osBuild.push('policycoreutils', `selinux-policy-${prep.osc.selinux}`);
    if (prep.osc.cloudInit.length) osBuild.push('python3-pyyaml');
    if (prep.osc.dnfConfig || prep.osc.wslBootSystemd !== undefined || prep.osc.wslDistribution) osBuild.push('python3-iniparse');
    if (prep.osc.users.length || prep.osc.groups.length) osBuild.push('shadow-utils');
    const include = ['selinux-policy-targeted', 'coreutils', 'xz', ...this.spec.distro.runnerBuildPackages, ...osBuild];
    const { def } = this.spec;
    if (def.image_func === 'disk') {
      include.push(...osBuild); // the raw image pipeline needs what the os pipeline needs
      const format = prep.platform.image_format;
      if (format === 'qcow2' || format === 'vhd' || format === 'vmdk' || format === 'ova') include.push('qemu-img');
      if (format === 'ova' || format === 'gce') include.push('tar');
    } else {
      include.push('tar'); // archive (tar) and oci-archive pipelines
    }
    if (def.compression === 'xz') include.push('xz');
    if (def.compression === 'zstd') include.push('zstd');
    return { include: dedupe(include), exclude: [], repositories: this.buildRepositories(request), installWeakDeps: true };
  }

  packageSets(request: ManifestRequest): Record<string, PackageSetRequest> {
    const prep = this.prepare(request);
    return { build: this.buildPackageSet(request, prep), os: this.osPackageSet(request, prep) };
  }

  /** Armored keys of the repositories whose packages need signature checks (sorted, like upstream). */
  private gpgKeysFor(packages: readonly ResolvedPackage[], repos: readonly RepositoryConfig[]): string[] {
    const byId = new Map(repos.map((r) => [r.id, r]));
    const keys = new Set<string>();
    for (const p of packages) {
      if (!p.checkGpg) continue;
      const repo = byId.get(p.repoId);
      if (!repo?.gpgkeys?.length) throw new Error(`package ${p.name} requires a GPG check but repository "${p.repoId}" has no GPG keys configured`);
      for (const k of repo.gpgkeys) if (k.includes('BEGIN PGP PUBLIC KEY BLOCK')) keys.add(k);
    }
    return [...keys].sort();
  }

  generate(request: ManifestRequest, packages: Record<string, ResolvedPackage[]>): GeneratedManifest {
    const prep = this.check(request);
    const build = packages.build;
    const os = packages.os;
    if (!build?.length) throw new Error('generate() needs the depsolved "build" package set');
    if (!os?.length) throw new Error('generate() needs the depsolved "os" package set');
    const repos = [...this.osRepositories(request), ...this.buildRepositories(request)];
    const sources = new SourceCollector();
    sources.addPackages(build);
    sources.addPackages(os);

    const platform: Platform = {
      arch: this.spec.arch,
      bootloader: prep.platform.bootloader,
      uefiVendor: prep.platform.uefi_vendor,
      biosPlatform: prep.platform.bios_platform,
    };
    const pipelines: Pipeline[] = [buildPipeline(this.spec.distro.runner, build, this.gpgKeysFor(build, repos))];
    pipelines.push(
      osPipeline({
        customizations: prep.osc,
        platform,
        partitionTable: prep.pt,
        mountConfiguration: prep.mountConfiguration,
        transactions: [{ packages: os, gpgkeys: this.gpgKeysFor(os, repos) }],
        sources,
        build: 'build',
      }),
    );
    pipelines.push(...this.imagePipelines(prep, 'build'));
    const manifest: Manifest = { version: '2', pipelines, sources: sources.toSources() };
    return { manifest, exports: [...this.exports], checkpoints: ['build', 'os'], filename: this.filename, mimeType: this.mimeType };
  }

  private imagePipelines(prep: Prepared, build: string): Pipeline[] {
    const { def } = this.spec;
    const out: Pipeline[] = [];
    const finalName = def.filename;
    const compressed = Boolean(def.compression);
    let last: P.FilePipeline;
    if (def.image_func === 'disk') {
      const format = prep.platform.image_format;
      const rawName = format === 'gce' ? 'disk.raw' : format === 'raw' && !compressed ? finalName : 'disk.img';
      const raw = P.rawImagePipeline(build, 'os', prep.pt!, rawName, prep.platform.bios_platform);
      out.push(raw.pipeline);
      const name = (fallback: string): string => (compressed ? fallback : finalName);
      switch (format) {
        case 'raw':
          last = raw;
          break;
        case 'qcow2':
          last = P.qcow2Pipeline(build, raw, name('image.qcow2'), prep.platform.qcow2_compat || undefined);
          out.push(last.pipeline);
          break;
        case 'vhd':
          last = P.vpcPipeline(build, raw, name('image.vhd'));
          out.push(last.pipeline);
          break;
        case 'vmdk':
          last = P.vmdkPipeline(build, raw, name('image.vmdk'));
          out.push(last.pipeline);
          break;
        case 'ova': {
          const vmdk = P.vmdkPipeline(build, raw, 'image.vmdk');
          out.push(vmdk.pipeline, P.ovfPipeline(build, vmdk));
          const base = finalName.replace(/\.[^.]*$/, '');
          last = P.tarPipeline(build, 'archive', 'ovf', { filename: finalName, format: 'ustar', paths: [`${base}.ovf`, `${base}.mf`, `${base}.vmdk`] });
          out.push(last.pipeline);
          break;
        }
        case 'gce':
          last = P.tarPipeline(build, 'archive', 'image', {
            filename: finalName,
            format: 'oldgnu',
            'root-node': 'omit',
            acls: false,
            selinux: false,
            xattrs: false,
          });
          out.push(last.pipeline);
          break;
        default:
          throw new Error(`image format ${format} is not supported`);
      }
    } else if (def.image_func === 'tar') {
      last = P.tarPipeline(build, 'archive', 'os', { filename: compressed ? 'image.tar' : finalName, 'numeric-owner': true });
      out.push(last.pipeline);
    } else if (def.image_func === 'container') {
      last = P.containerPipeline(build, 'os', this.spec.arch, finalName, ociConfig(prep.config));
      out.push(last.pipeline);
    } else {
      throw new Error(`image function ${def.image_func} is not supported`);
    }
    if (def.compression) out.push(P.compressionPipeline(build, def.compression, last, finalName).pipeline);
    return out;
  }
}
