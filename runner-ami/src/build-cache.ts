/**
 * The osbuild store (build cache) of each organization: a build only ever sees trees and sources that builds of its
 * own organization committed, so a tenant's package scripts cannot plant objects another tenant's build reuses.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the per-organization stores live (beside the legacy shared `store/`, which no build uses any more). */
export const storesRootOf = (workDir: string): string => join(workDir, 'stores');

/** `<workDir>/stores/<first 16 hex digits of sha256(orgId)>`: stable per organization, no organization id on disk. */
export function storeDirOf(workDir: string, orgId: string): string {
  return join(storesRootOf(workDir), createHash('sha256').update(orgId, 'utf8').digest('hex').slice(0, 16));
}

/** Every organization's store on this runner (for eviction when the disk is short). */
export async function listStoreDirs(workDir: string): Promise<string[]> {
  const root = storesRootOf(workDir);
  const names = await readdir(root).catch(() => [] as string[]);
  return names.filter((n) => /^[0-9a-f]{16}$/.test(n)).map((n) => join(root, n));
}
