/**
 * Phase one of manifest generation: everything derived from the request alone (validation with upstream's rules,
 * image config, OS customizations with hashed passwords, the partition table and its UUIDs), deterministic from the
 * seed. It runs once per manifest; validation alone runs it without hashing.
 */
import type { ManifestRequest, PreparedManifest } from '../distribution.ts';
import type { PlatformDef } from '../defs/types.ts';
import { evalWhen } from '../defs/conditions.ts';
import { ValidationError } from '../../errors.ts';
import { validateBlueprint } from '../../blueprint/validate-customizations.ts';
import { SeededRandom } from '../../manifest/rng.ts';
import { cryptSalt, sha512Crypt } from '../../manifest/crypt.ts';
import { newPartitionTable, type FsType, type PartitionTable } from '../../manifest/disk/partition-table.ts';
import type { MountConfiguration } from '../../manifest/disk/disk-stages.ts';
import type { OSCustomizations } from '../../manifest/pipelines/os.ts';
import { filesystemRequests, osCustomizations, resolveImageConfig, type ImageConfig, type PasswordHasher } from './image-config.ts';
import { partitionTableFrom } from './partition-tables.ts';
import type { GenericImageType } from './image-type.ts';

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

/** The prepared request of a GenericImageType: what packageSets() and generate() read. */
export interface PreparedImage extends PreparedManifest {
  readonly imageType: GenericImageType;
  config: ImageConfig;
  platform: PlatformDef;
  osc: OSCustomizations;
  pt?: PartitionTable;
  mountConfiguration: MountConfiguration;
}

/**
 * Plain-text passwords are hashed (SHA-512 crypt, 5000 rounds, salt from the seed) when preparing a manifest, and
 * left alone when only validating: the hash is costly and validation discards it.
 */
export type PasswordHashing = 'hash' | 'skip';

/** Image size in bytes: the request's or the default, vhd rounded up to whole MiB (Azure requirement). */
export function imageSizeOf(type: GenericImageType, request: ManifestRequest): number {
  let size = request.size || type.defaultSize;
  if (type.upstreamName === 'vhd' && size % (1024 * 1024) !== 0) size = Math.ceil(size / (1024 * 1024)) * 1024 * 1024;
  return size;
}

/** Validates the request and prepares it; throws ValidationError naming the field on bad input. */
export function prepareImage(type: GenericImageType, request: ManifestRequest, hashing: PasswordHashing): PreparedImage {
  const { def, distro, arch } = type.spec;
  const config = resolveImageConfig(def, distro, type.target);
  checkRequest(type, request, config);
  const rng = new SeededRandom(request.seed);
  const hashPassword: PasswordHasher = hashing === 'hash' ? (password) => sha512Crypt(password, cryptSalt(rng.bytes(16))) : (password) => password;
  const bootable = Boolean(def.bootable);
  const osc = osCustomizations({ def, distro, arch, config, blueprint: request.blueprint, bootable, hashPassword });
  osc.enabledServices.push(...(def.environment?.services ?? []));
  let pt: PartitionTable | undefined;
  if (def.image_func === 'disk') pt = partitionTableOf(type, request, rng);
  return { request, imageType: type, config, platform: type.platform, osc, pt, mountConfiguration: mountConfigurationOf(type) };
}

/** What the schema and the customization validators cannot see: sizes, unimplemented features, fixed kernels. */
function checkRequest(type: GenericImageType, request: ManifestRequest, config: ImageConfig): void {
  const bp = request.blueprint;
  const { def } = type.spec;
  if (request.size !== 0 && (!Number.isSafeInteger(request.size) || request.size < 0)) {
    throw new ValidationError('size', `must be a whole number of bytes below 2^53 (got ${request.size})`);
  }
  // upstream ignores the size for non-disk images; we accept it for compatibility
  validateBlueprint(bp, { supportedOptions: def.supported_options, imageType: type.name, apiFieldNames: request.fieldStyle === 'api' });
  for (const [option, message] of Object.entries(NOT_IMPLEMENTED)) {
    const [, key] = option.split('.');
    const present = key ? (bp.customizations as Record<string, unknown>)[key] !== undefined : ((bp as unknown as Record<string, unknown[] | undefined>)[option]?.length ?? 0) > 0;
    if (present) throw new ValidationError(option, message);
  }
  if (bp.customizations.kernel?.name && def.supported_options.includes('customizations.kernel') && config.default_kernel_name) {
    throw new ValidationError('customizations.kernel.name', `image type ${type.name} uses a fixed kernel`);
  }
}

function basePartitionTable(type: GenericImageType): PartitionTable | undefined {
  const { def, arch, distro } = type.spec;
  let tables = def.partition_table;
  for (const cond of Object.values(def.partition_tables_override?.conditions ?? {})) {
    if (evalWhen(cond.when, type.target)) tables = cond.override;
  }
  const table = tables?.[arch];
  return table ? partitionTableFrom(table, distro.defaultFsType) : undefined;
}

/** The image's partition table with the blueprint's file systems, sized for the image. */
function partitionTableOf(type: GenericImageType, request: ManifestRequest, rng: SeededRandom): PartitionTable {
  const { def, distro, arch } = type.spec;
  const base = basePartitionTable(type);
  if (!base) throw new Error(`${type.upstreamName} has no partition table for ${arch}`);
  let pt: PartitionTable;
  try {
    pt = newPartitionTable(base, {
      filesystems: filesystemRequests(request.blueprint),
      imageSize: imageSizeOf(type, request),
      mode: request.blueprint.customizations.partitioning_mode ?? '',
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
  return pt;
}

function mountConfigurationOf(type: GenericImageType): MountConfiguration {
  const diskConfig = type.spec.def.disk_config;
  if (!diskConfig) return 'fstab';
  let mc = diskConfig.mount_configuration;
  for (const cond of Object.values(diskConfig.conditions ?? {})) {
    if (evalWhen(cond.when, type.target) && cond.shallow_merge.mount_configuration) mc = cond.shallow_merge.mount_configuration;
  }
  return mc === 'units' || mc === 'none' || mc === 'fstab' ? mc : 'fstab';
}
