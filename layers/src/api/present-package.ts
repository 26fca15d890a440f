import type { ResolvedPackage } from '../packages/package-set.ts';
import type { components } from './generated/openapi-types.ts';

/** A resolved package as the API presents it (`ResolvedPackage` in openapi.yaml). */
export type PresentedPackage = components['schemas']['ResolvedPackage'];

export const presentPackage = (p: ResolvedPackage): PresentedPackage => ({
  name: p.name,
  epoch: p.epoch,
  version: p.version,
  release: p.release,
  arch: p.arch,
  checksum: p.checksum,
  url: p.remoteLocation,
  repository: p.repoId,
});
