/**
 * GPG keys given as URLs: the rpm stage (gpgcheck) and the repomd.xml signature check (repo_gpgcheck) need the armored
 * keys themselves, so key URLs are downloaded as osbuild-depsolve-dnf's read_keys does (http(s), file://), through the
 * repositories' own fetch (address guard on AWS, proxies, sslverify), `$releasever`/`$basearch` substituted as dnf does.
 */
import type { RepositoryConfig } from '../packages/package-set.ts';
import type { IndexStore } from './index-store.ts';
import { RepositoryError, substitute, type Substitutions } from './repo-metadata.ts';

const ARMORED = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

type ReadDocument = IndexStore['readDocument'];

/** One key of a repository as armored text: itself, or what its URL serves. */
async function readKey(read: ReadDocument, repo: RepositoryConfig, key: string, subst: Substitutions): Promise<string> {
  if (key.includes(ARMORED)) return key;
  const url = substitute(key.trim(), subst);
  let text: string;
  try {
    text = await read(url, { insecure: repo.sslverify === false });
  } catch (e) {
    throw new RepositoryError(repo.id, `cannot read GPG key ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (!text.includes(ARMORED)) throw new RepositoryError(repo.id, `GPG key ${url} is not an armored public key`);
  return text;
}

/** Every key of a repository as armored text. */
export async function readRepositoryKeys(read: ReadDocument, repo: RepositoryConfig, subst: Substitutions): Promise<string[]> {
  const keys: string[] = [];
  for (const key of repo.gpgkeys ?? []) keys.push(await readKey(read, repo, key, subst));
  return keys;
}

/** URL (as configured) → armored key, for every key URL of the repositories with checkGpg. */
export async function fetchRepositoryGpgKeys(store: IndexStore, repos: readonly RepositoryConfig[], subst: Substitutions): Promise<Record<string, string>> {
  const read: ReadDocument = (url, repo) => store.readDocument(url, repo);
  const keys: Record<string, string> = {};
  for (const repo of repos) {
    if (!repo.checkGpg) continue;
    for (const key of repo.gpgkeys ?? []) if (!key.includes(ARMORED) && !(key in keys)) keys[key] = await readKey(read, repo, key, subst);
  }
  return keys;
}
