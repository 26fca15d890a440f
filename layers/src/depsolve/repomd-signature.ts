/**
 * `repo_gpgcheck` (API `check_repo_gpg`): repodata/repomd.xml must carry a detached signature (repomd.xml.asc) made by
 * one of the repository's GPG keys, checked on the bytes downloaded before anything else of the repository is used.
 */
import type { RepositoryConfig } from '../packages/package-set.ts';
import { readRepositoryKeys } from './gpg-keys.ts';
import type { IndexStore } from './index-store.ts';
import { OpenPgpError, readPublicKeys, verifyDetachedSignature } from './openpgp-verify.ts';
import { RepositoryError, type Substitutions } from './repo-metadata.ts';

/** Checks repomd.xml's bytes served from `base`; throws (the mirror is then skipped) when the signature is not good. */
export type RepomdVerifier = (repomd: Uint8Array, base: string) => Promise<void>;

/** The verifier of a repository with checkRepoGpg (its keys read once), or undefined without. */
export async function createRepomdVerifier(
  repo: RepositoryConfig,
  subst: Substitutions,
  read: IndexStore['readDocument'],
): Promise<RepomdVerifier | undefined> {
  if (!repo.checkRepoGpg) return undefined;
  const armored = await readRepositoryKeys(read, repo, subst);
  if (!armored.length) throw new RepositoryError(repo.id, 'check_repo_gpg is on but the repository has no GPG key');
  let keys;
  try {
    keys = readPublicKeys(armored);
  } catch (e) {
    throw new RepositoryError(repo.id, `cannot read the repository's GPG keys: ${(e as Error).message}`, { cause: e });
  }
  if (!keys.length) throw new RepositoryError(repo.id, 'none of the repository\'s GPG keys is an RSA or Ed25519 key this service can check signatures with');
  const insecure = repo.sslverify === false;
  return async (repomd, base) => {
    const url = `${base}/repodata/repomd.xml.asc`;
    const signature = await read(url, { insecure }).catch((e: Error) => {
      throw new Error(`${url}: ${e.message}`, { cause: e });
    });
    let good: boolean;
    try {
      good = verifyDetachedSignature(repomd, signature, keys);
    } catch (e) {
      throw new Error(`${url}: ${e instanceof OpenPgpError ? e.message : String(e)}`, { cause: e });
    }
    if (!good) throw new Error(`${url}: the signature of repomd.xml is not made by the repository's GPG keys`);
  };
}
