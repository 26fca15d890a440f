/**
 * GPG keys given as URLs: the rpm stage needs the armored keys themselves, so the keys of repositories with gpgcheck
 * are downloaded as osbuild-depsolve-dnf's read_keys does (http(s), file://), through the repositories' own fetch
 * (address guard on AWS, proxies, sslverify) and with `$releasever`/`$basearch` substituted as dnf does.
 */
import type { RepositoryConfig } from '../packages/package-set.ts';
import type { IndexStore } from './index-store.ts';
import { RepositoryError, substitute, type Substitutions } from './repo-metadata.ts';

const ARMORED = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

/** URL (as configured) → armored key, for every key URL of the repositories with checkGpg. */
export async function fetchRepositoryGpgKeys(store: IndexStore, repos: readonly RepositoryConfig[], subst: Substitutions): Promise<Record<string, string>> {
  const wanted = repos.flatMap((repo) => (repo.checkGpg ? (repo.gpgkeys ?? []).filter((k) => !k.includes(ARMORED)).map((key) => ({ repo, key })) : []));
  const keys: Record<string, string> = {};
  for (const { repo, key } of wanted) {
    if (key in keys) continue;
    const url = substitute(key.trim(), subst);
    let text: string;
    try {
      text = await store.readDocument(url, { insecure: repo.sslverify === false });
    } catch (e) {
      throw new RepositoryError(repo.id, `cannot read GPG key ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (!text.includes(ARMORED)) throw new RepositoryError(repo.id, `GPG key ${url} is not an armored public key`);
    keys[key] = text;
  }
  return keys;
}
