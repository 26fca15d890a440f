/**
 * Repository indexes: built once per repository revision (repomd.xml checksum), stored in the BlobStore, and kept in
 * memory across warm invocations. An index reaches the store only after the whole metadata was downloaded, checksummed
 * and parsed, so nothing half-written is ever cached.
 */
import type { RepositoryConfig } from '../packages/package-set.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import { buildFilesIndex, parseComps, type RepomdRecord } from './metadata-parsers.ts';
import { createGuardedFetch, type GuardedFetchOptions } from './address-guard.ts';
import { createRepositoryFetch } from './repository-fetch.ts';
import { createRepomdVerifier } from './repomd-signature.ts';
import { readRepomdRecord, repomdRecordName, writeRepomdRecord } from './repomd-record.ts';
import { readAll } from './blob-bytes.ts';
import { DEFAULT_METADATA_LIMITS, type MetadataLimits } from './metadata-limits.ts';
import { buildIndexFromPrimaryBytes } from './primary-parser.ts';
import { RepoIndex, type Comps } from './repo-index.ts';
import {
  consumeRecord,
  fetchRepomd,
  getText,
  parseChunks,
  readRecord,
  resolveMirrors,
  RepositoryError,
  type FetchedRepomd,
  type FetchFn,
  type Substitutions,
} from './repo-metadata.ts';

export interface LoadedRepository {
  config: RepositoryConfig;
  repomd: FetchedRepomd;
  index: RepoIndex;
}

export interface IndexStoreOptions {
  blobStore?: BlobStore;
  fetch?: FetchFn;
  /** Key prefix in the BlobStore. */
  prefix?: string;
  /** Bytes of repository indexes kept in memory (least recently used go first; default 1 GiB). */
  memoryBytes?: number;
  /**
   * Seconds a fetched repomd.xml is trusted before it is checked again (dnf's metadata_expire; default 300). Unlike
   * dnf, 0 or less means "check every time", never "never expire": a service keeps no repository forever unchecked.
   */
  metadataExpire?: number;
  /**
   * Fetch from loopback, private, link-local (instance metadata), CGNAT, multicast and unspecified addresses
   * (default true: local mirrors; the Lambda wiring sets false). When false, `fetch` cannot be given.
   */
  allowPrivateAddresses?: boolean;
  /**
   * Read `file://` repositories (local mirrors) from this machine's disk (default true; never with
   * allowPrivateAddresses false, whose guard allows only http(s)).
   */
  fileUrls?: boolean;
  /** Where the proxy variables (`https_proxy`, `no_proxy`, ...) are read (default process.env; not with the guard). */
  proxyEnv?: Record<string, string | undefined>;
  /** With allowPrivateAddresses false: the resolver (tests) and the address test. */
  addressGuard?: GuardedFetchOptions;
  /** Size caps on repository metadata (defaults: DEFAULT_METADATA_LIMITS). */
  metadataLimits?: Partial<MetadataLimits>;
  /**
   * Repositories whose indexes are stored under `<prefix>/` (the distributions'); the indexes of any other repository
   * go under `<prefix>/user/` so a lifecycle rule can expire them sooner. Absent: every index under `<prefix>/`.
   */
  distributionRepositories?: RepositoryConfig[];
}

/** Default byte budget of the in-memory index cache. */
export const DEFAULT_INDEX_MEMORY_BYTES = 1024 * 1024 * 1024;

/** What identifies a repository for the distribution/user split: its URLs, before substitution. */
const repositoryKey = (r: RepositoryConfig): string => JSON.stringify([r.baseurl ?? [], r.metalink ?? '', r.mirrorlist ?? '']);

const INDEX_VERSION = 'v1';

/** A repomd.xml check: when, the repository's key, and whether the BlobStore has its record (written with an index). */
interface RepomdCheck {
  at: number;
  repomd: FetchedRepomd;
  key: string;
  recordKey: string;
  recorded: boolean;
  /** Taken from the BlobStore's record, not from the repository in this process. */
  fromRecord?: boolean;
}

export class IndexStore {
  private readonly blobStore?: BlobStore;
  private readonly fetchFn: FetchFn;
  /** The fetch for repositories with sslverify off (made on first use). */
  private insecureFetchFn?: FetchFn;
  private readonly makeInsecureFetch: () => FetchFn;
  private readonly prefix: string;
  private readonly memoryBytes: number;
  private readonly metadataExpire: number;
  private readonly limits: MetadataLimits;
  private readonly distribution?: Set<string>;
  private readonly memory = new Map<string, { index: RepoIndex; bytes: number }>();
  private memoryUsed = 0;
  private readonly building = new Map<string, Promise<RepoIndex>>();
  private readonly repomdCache = new Map<string, RepomdCheck>();

  constructor(opts: IndexStoreOptions = {}) {
    this.blobStore = opts.blobStore;
    if (opts.allowPrivateAddresses === false && opts.fetch) throw new Error('IndexStore: give either fetch or allowPrivateAddresses: false, not both');
    const makeFetch = (insecure: boolean): FetchFn =>
      opts.allowPrivateAddresses === false
        ? createGuardedFetch({ ...opts.addressGuard, insecure })
        : createRepositoryFetch({ fileUrls: opts.fileUrls ?? true, env: opts.proxyEnv, fetch: opts.fetch, insecure });
    this.fetchFn = makeFetch(false);
    this.makeInsecureFetch = () => makeFetch(true);
    this.prefix = opts.prefix ?? 'depsolve-index';
    this.memoryBytes = opts.memoryBytes ?? DEFAULT_INDEX_MEMORY_BYTES;
    this.metadataExpire = opts.metadataExpire ?? 300;
    this.limits = { ...DEFAULT_METADATA_LIMITS, ...opts.metadataLimits };
    if (opts.distributionRepositories) this.distribution = new Set(opts.distributionRepositories.map(repositoryKey));
  }

  /** Bytes of indexes held in memory now. */
  get memoryUsage(): { entries: number; bytes: number } {
    return { entries: this.memory.size, bytes: this.memoryUsed };
  }

  /**
   * Resolve mirrors and fetch repomd.xml, trusted for metadataExpire seconds: in memory, and by a new process through
   * the record of the last check in the BlobStore (repomd-record.ts), written once that revision's index is stored.
   */
  async repomd(repo: RepositoryConfig, subst: Substitutions): Promise<FetchedRepomd> {
    return (await this.checkRepomd(repo, subst)).repomd;
  }

  async load(repo: RepositoryConfig, subst: Substitutions): Promise<LoadedRepository> {
    let checked = await this.checkRepomd(repo, subst);
    let index: RepoIndex;
    try {
      index = await this.indexOf(repo, checked.repomd);
    } catch (error) {
      // A recorded revision whose index is gone (deleted, expired, corrupt) may name repodata the mirror has replaced
      // since: the repository is asked again, once.
      if (!checked.fromRecord) throw error;
      checked = await this.checkRepomd(repo, subst, true);
      index = await this.indexOf(repo, checked.repomd);
    }
    await this.record(checked);
    return { config: repo, repomd: checked.repomd, index };
  }

  /** The index of a checked revision: from memory, the BlobStore, or built from its primary metadata and stored. */
  private indexOf(repo: RepositoryConfig, repomd: FetchedRepomd): Promise<RepoIndex> {
    return this.cached(this.keyOf(repo, `${repomd.revision}.idx`), () => this.buildPrimary(repomd));
  }

  /** Record a check from the repository in the BlobStore (once its revision's index is stored). */
  private async record(checked: RepomdCheck): Promise<void> {
    if (checked.recorded || !this.blobStore) return;
    checked.recorded = true;
    await writeRepomdRecord(this.blobStore, checked.recordKey, checked.key, checked.at, checked.repomd);
  }

  /** repomd.xml as last checked (memory, the BlobStore's record, or the repository now; always the latter to recheck). */
  private async checkRepomd(repo: RepositoryConfig, subst: Substitutions, recheck = false): Promise<RepomdCheck> {
    const insecure = repo.sslverify === false;
    const key = JSON.stringify([repo.id, repo.baseurl, repo.metalink, repo.mirrorlist, subst, insecure, repo.checkRepoGpg ? repo.gpgkeys : false]);
    const fresh = (at: number) => at <= Date.now() && Date.now() - at < this.metadataExpire * 1000;
    const hit = this.repomdCache.get(key);
    if (hit && fresh(hit.at) && !recheck) return hit;
    const recordKey = this.blobKey(this.keyOf(repo, repomdRecordName(key)));
    if (this.blobStore && !recheck && this.metadataExpire > 0) {
      const stored = await readRepomdRecord(this.blobStore, recordKey, key);
      if (stored && fresh(stored.at)) {
        const check = { ...stored, key, recordKey, recorded: true, fromRecord: true };
        this.repomdCache.set(key, check);
        return check;
      }
    }
    const fetchFn = this.fetchOf({ insecure });
    const mirrors = await resolveMirrors(repo, subst, fetchFn, this.limits);
    const verify = await createRepomdVerifier(repo, subst, (url, r) => this.readDocument(url, r));
    const repomd = { ...(await fetchRepomd(mirrors, fetchFn, this.limits, verify)), ...(insecure ? { insecure } : {}) };
    const check = { at: Date.now(), repomd, key, recordKey, recorded: false };
    this.repomdCache.set(key, check);
    return check;
  }

  /** The file index (filelists.xml) of a loaded repository. */
  async loadFiles(loaded: LoadedRepository): Promise<RepoIndex | undefined> {
    const rec = loaded.repomd.repomd.records.filelists;
    if (!rec) return undefined;
    return this.cached(this.keyOf(loaded.config, `${loaded.repomd.revision}.files.idx`), () => this.buildFiles(loaded.repomd, rec, loaded.index));
  }

  /** Build (or rebuild) a repository's index and store it, e.g. from a scheduled refresh. */
  async refresh(repo: RepositoryConfig, subst: Substitutions): Promise<{ revision: string; packages: number; built: boolean }> {
    // A refresh asks the repository whatever the last check; its record then spares cold processes the question.
    const checked = await this.checkRepomd(repo, subst, true);
    const { repomd } = checked;
    const key = this.keyOf(repo, `${repomd.revision}.idx`);
    const existed = this.memory.has(key) || (this.blobStore ? !!(await this.blobStore.head(this.blobKey(key))) : false);
    const index = await this.indexOf(repo, repomd);
    await this.record(checked);
    return { revision: repomd.revision, packages: index.packageCount, built: !existed };
  }

  /** `user/v1/<name>` for a repository that is not a distribution's, `v1/<name>` otherwise. */
  private keyOf(repo: RepositoryConfig, name: string): string {
    const user = this.distribution && !this.distribution.has(repositoryKey(repo));
    return `${user ? 'user/' : ''}${INDEX_VERSION}/${name}`;
  }

  private blobKey(key: string): string {
    return `${this.prefix}/${key}`;
  }

  /** Keep `idx` as the most recently used; evict the least recently used until the byte budget holds (the newest stays). */
  private remember(key: string, idx: RepoIndex): void {
    const old = this.memory.get(key);
    if (old) {
      this.memory.delete(key);
      this.memoryUsed -= old.bytes;
    }
    const bytes = idx.byteSize;
    this.memory.set(key, { index: idx, bytes });
    this.memoryUsed += bytes;
    while (this.memoryUsed > this.memoryBytes && this.memory.size > 1) {
      const [oldest, entry] = this.memory.entries().next().value as [string, { bytes: number }];
      this.memory.delete(oldest);
      this.memoryUsed -= entry.bytes;
    }
  }

  private async cached(key: string, build: () => Promise<RepoIndex>): Promise<RepoIndex> {
    const mem = this.memory.get(key)?.index;
    if (mem) {
      this.remember(key, mem);
      return mem;
    }
    const inflight = this.building.get(key);
    if (inflight) return inflight;
    const p = (async () => {
      if (this.blobStore) {
        const stream = await this.blobStore.get(this.blobKey(key));
        if (stream) {
          try {
            const idx = RepoIndex.deserialize(await readAll(stream));
            this.remember(key, idx);
            return idx;
          } catch {
            // A corrupt or outdated blob is rebuilt below.
          }
        }
      }
      const idx = await build();
      if (this.blobStore) await this.blobStore.put(this.blobKey(key), idx.serialize(), { contentType: 'application/octet-stream' });
      this.remember(key, idx);
      return idx;
    })();
    this.building.set(key, p);
    try {
      return await p;
    } finally {
      this.building.delete(key);
    }
  }

  /** A small document (a GPG key) through the same fetch as the metadata: guard, proxies, file://, sslverify. */
  async readDocument(url: string, repo: { insecure?: boolean } = {}): Promise<string> {
    return getText(this.fetchOf(repo), url, this.limits);
  }

  /** The fetch for a repository: without TLS verification only where its sslverify is off. */
  private fetchOf(repo: { insecure?: boolean }): FetchFn {
    if (!repo.insecure) return this.fetchFn;
    this.insecureFetchFn ??= this.makeInsecureFetch();
    return this.insecureFetchFn;
  }

  private async buildPrimary(repomd: FetchedRepomd): Promise<RepoIndex> {
    const records = repomd.repomd.records;
    const primary = records.primary;
    const index = await consumeRecord(
      repomd,
      primary,
      (chunks) =>
        parseChunks(chunks, (c) =>
          buildIndexFromPrimaryBytes(c, {
            revision: repomd.revision,
            repoId: repomd.repoId,
            hasFilelists: !!records.filelists,
          }),
        ),
      this.fetchOf(repomd),
      this.limits,
    );
    const compsRec = records.group_zst ?? records.group_xz ?? records.group_gz ?? records.group;
    if (compsRec) {
      let comps: Comps;
      const bytes = await readRecord(repomd, compsRec, this.fetchOf(repomd), this.limits);
      try {
        comps = parseComps(bytes);
      } catch (e) {
        throw new RepositoryError(repomd.repoId, `malformed group metadata ${compsRec.location}: ${(e as Error).message}`, { cause: e });
      }
      index.meta.comps = comps;
    }
    return index;
  }

  private async buildFiles(repomd: FetchedRepomd, rec: RepomdRecord, primary: RepoIndex): Promise<RepoIndex> {
    return consumeRecord(
      repomd,
      rec,
      (chunks) => parseChunks(chunks, (c) => buildFilesIndex(c, primary, { revision: repomd.revision, files: true })),
      this.fetchOf(repomd),
      this.limits,
    );
  }
}
