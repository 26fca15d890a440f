/** Where each compose's objects live in the BlobStore; every key starts with the organization. */
export const manifestKey = (orgId: string, id: string): string => `manifests/${orgId}/${id}/manifest.json`;
export const packagesKey = (orgId: string, id: string): string => `manifests/${orgId}/${id}/packages.json`;
export const artifactPrefix = (orgId: string, id: string, attempt: number): string => `artifacts/${orgId}/${id}/${attempt}/`;
export const logPrefix = (orgId: string, id: string): string => `logs/${orgId}/${id}/`;
/** Log chunks sort by attempt then sequence, so concatenating a listing gives the log in order. */
export const logChunkKey = (orgId: string, id: string, attempt: number, seq: number): string =>
  `${logPrefix(orgId, id)}${String(attempt).padStart(3, '0')}-${String(seq).padStart(6, '0')}.log`;
