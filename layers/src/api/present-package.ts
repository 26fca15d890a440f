import type { ResolvedPackage } from '../packages/package-set.ts';

/** A resolved package as the API presents it (`ResolvedPackage` in openapi.yaml). */
export interface PresentedPackage {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  checksum: string;
  url: string;
  repository: string;
}

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
