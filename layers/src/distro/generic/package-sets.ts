/**
 * The package sets a prepared image declares for depsolving (build root and os tree) and the repositories each is
 * resolved from, with upstream's rules: platform and image type packages, conditions, blueprint packages and groups.
 */
import type { ManifestRequest } from '../distribution.ts';
import type { PackageSetRequest, RepositoryConfig } from '../../packages/package-set.ts';
import type { DefaultRepository } from '../defs/types.ts';
import { evalWhen } from '../defs/conditions.ts';
import { buildPackagesFor } from '../../manifest/disk/partition-table.ts';
import type { PreparedImage } from './prepare-image.ts';

const dedupe = (xs: string[]): string[] => [...new Set(xs)];

/** The object without its undefined fields (a repository config names only what is set). */
const withoutUnset = <T extends object>(x: T): T => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;

export const toRepositoryConfig = (r: DefaultRepository): RepositoryConfig => ({
  id: r.name,
  name: r.name,
  ...(r.baseurl ? { baseurl: [r.baseurl] } : {}),
  ...(r.metalink ? { metalink: r.metalink } : {}),
  ...(r.mirrorlist ? { mirrorlist: r.mirrorlist } : {}),
  gpgkeys: r.gpgkeys,
  checkGpg: r.check_gpg,
  ...(r.check_repo_gpg !== undefined ? { checkRepoGpg: r.check_repo_gpg } : {}),
  ...(r.ignore_ssl !== undefined ? { sslverify: !r.ignore_ssl } : {}),
  ...(r.package_sets?.length ? { packageSets: r.package_sets } : {}),
});

/** Distribution repositories for this image type (request override or defaults, tags honoured). */
function baseRepositories(prep: PreparedImage): RepositoryConfig[] {
  const { request, imageType } = prep;
  if (request.repositories?.length) return request.repositories;
  return imageType.spec.defaultRepositories
    .filter((r) => !r.image_type_tags || r.image_type_tags.includes(imageType.upstreamName))
    .map(toRepositoryConfig);
}

/** The blueprint's repositories marked `install_from`: the os package set is also resolved from them. */
function blueprintRepositories(request: ManifestRequest): RepositoryConfig[] {
  return (request.blueprint.customizations.repositories ?? [])
    .filter((r) => r.install_from)
    .map((r) =>
      withoutUnset({
        id: r.id,
        name: r.name || undefined,
        baseurl: r.baseurls?.length ? r.baseurls : undefined,
        metalink: r.metalink || undefined,
        mirrorlist: r.mirrorlist || undefined,
        gpgkeys: r.gpgkeys ?? [],
        checkGpg: r.gpgcheck ?? false,
        checkRepoGpg: r.repo_gpgcheck ?? false,
        sslverify: r.sslverify,
        priority: r.priority,
      }),
    );
}

export function osRepositories(prep: PreparedImage): RepositoryConfig[] {
  const { request } = prep;
  return [...baseRepositories(prep), ...(request.extraRepositories ?? []), ...blueprintRepositories(request)].filter(
    (r) => !r.packageSets?.length || r.packageSets.includes('os'),
  );
}

export function buildRepositories(prep: PreparedImage): RepositoryConfig[] {
  return baseRepositories(prep).filter((r) => !r.packageSets?.length || r.packageSets.includes('build'));
}

export function osPackageSet(prep: PreparedImage): PackageSetRequest {
  const { def } = prep.imageType.spec;
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
      if (!evalWhen(cond.when, prep.imageType.target)) continue;
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
  const bp = prep.request.blueprint;
  for (const p of bp.packages) explicit.push(p.version && p.version !== '*' ? `${p.name}-${p.version}` : p.name);
  for (const g of bp.groups) explicit.push(`@${g.name}`);
  include.push(...explicit);
  const explicitNames = new Set(explicit);
  const installWeakDeps = prep.config.install_weak_deps === undefined ? true : Boolean(prep.config.install_weak_deps);
  return {
    include: dedupe(include),
    exclude: dedupe(exclude).filter((e) => !explicitNames.has(e)),
    repositories: osRepositories(prep),
    installWeakDeps,
  };
}

export function buildPackageSet(prep: PreparedImage): PackageSetRequest {
  const { def, distro } = prep.imageType.spec;
  const osBuild: string[] = [];
  for (const k of Object.keys(prep.platform.build_packages ?? {}).sort()) osBuild.push(...prep.platform.build_packages![k]);
  if (prep.pt) osBuild.push(...buildPackagesFor(prep.pt));
  osBuild.push('rpm');
  if (prep.osc.selinux) osBuild.push('policycoreutils', `selinux-policy-${prep.osc.selinux}`);
  if (prep.osc.cloudInit.length) osBuild.push('python3-pyyaml');
  if (prep.osc.dnfConfig || prep.osc.wslBootSystemd !== undefined || prep.osc.wslDistribution) osBuild.push('python3-iniparse');
  if (prep.osc.users.length || prep.osc.groups.length) osBuild.push('shadow-utils');
  const include = ['selinux-policy-targeted', 'coreutils', 'xz', ...distro.runnerBuildPackages, ...osBuild];
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
  return { include: dedupe(include), exclude: [], repositories: buildRepositories(prep), installWeakDeps: true };
}
