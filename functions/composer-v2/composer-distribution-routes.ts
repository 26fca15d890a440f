/** GET /distributions and /distributions/{distro}: our distribution registry in the cloud API v2 shapes. */
import { findArchitecture, findDistribution, findImageType, listDistributions } from '../../layers/src/distro/registry.ts';
import type { Architecture, ImageType } from '../../layers/src/distro/distribution.ts';
import type { RepositoryConfig } from '../../layers/src/packages/package-set.ts';
import type { Route } from '../api/http.ts';
import { ok } from '../api/replies.ts';
import { objectReference } from './composer-present.ts';

/** A repository as a BlueprintRepository. */
const presentRepository = (r: RepositoryConfig) => ({
  id: r.id,
  ...(r.name ? { name: r.name } : {}),
  ...(r.baseurl ? { baseurls: [...r.baseurl] } : {}),
  ...(r.metalink ? { metalink: r.metalink } : {}),
  ...(r.mirrorlist ? { mirrorlist: r.mirrorlist } : {}),
  ...(r.gpgkeys ? { gpgkeys: [...r.gpgkeys] } : {}),
  ...(r.checkGpg !== undefined ? { gpgcheck: r.checkGpg } : {}),
  ...(r.checkRepoGpg !== undefined ? { repo_gpgcheck: r.checkRepoGpg } : {}),
  ...(r.priority !== undefined ? { priority: r.priority } : {}),
  ...(r.sslverify !== undefined ? { sslverify: r.sslverify } : {}),
});

const presentImageType = (t: ImageType) => ({
  name: t.name,
  aliases: [...t.aliases],
  filename: t.filename,
  mime_type: t.mimeType,
  default_size: t.defaultSize,
  boot_mode: t.bootMode,
});

const presentArchitecture = (arch: Architecture, types: readonly ImageType[]) => ({
  name: arch.name,
  image_types: Object.fromEntries(types.map((t) => [t.name, presentImageType(t)])),
});

export const COMPOSER_DISTRIBUTION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/distributions',
    operationId: 'getDistributionList',
    handle: async () =>
      ok(Object.fromEntries(listDistributions().map((d) => [d.name, Object.fromEntries(d.architectures.map((a) => [a.name, a.repositories.map(presentRepository)]))]))),
  },
  {
    method: 'GET',
    path: '/distributions/{distro}',
    operationId: 'getDistribution',
    handle: async ({ params, query }) => {
      const distro = findDistribution(params.distro ?? '');
      const archs = query.architecture ? [findArchitecture(distro, query.architecture)] : distro.architectures;
      const architectures = Object.fromEntries(
        archs.map((a) => [a.name, presentArchitecture(a, query.image_type ? [findImageType(distro, a, query.image_type)] : a.imageTypes)]),
      );
      return ok({ ...objectReference(`/distributions/${distro.name}`, distro.name, 'DistributionDetails'), name: distro.name, releasever: distro.releasever, architectures });
    },
  },
];
