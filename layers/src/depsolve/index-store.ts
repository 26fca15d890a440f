/**
 * Repository indexes: built once per repository revision (repomd.xml checksum), stored in the BlobStore, and kept in
 * memory across warm invocations. An index reaches the store only after the whole metadata was downloaded, checksummed
 * and parsed, so nothing half-written is ever cached.
 */
import type { Readable } from 'node:stream';
import type { RepositoryConfig } from '../packages/package-set.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import { buildFilesIndex, parseComps, type RepomdRecord } from './metadata-parsers.ts';
import { buildIndexFromPrimaryBytes } from './primary-parser.ts';
import { RepoIndex, type Comps } from './repo-index.ts';
import {
  consumeRecord,
  fetchRepomd,
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
  /** How many repository indexes stay in memory. */
  memoryEntries?: number;
  /** Seconds a fetched repomd.xml is trusted before it is checked again (dnf's metadata_expire). */
  metadataExpire?: number;
}

const INDEX_VERSION = 'v1';

export class IndexStore {
  private readonly blobStore?: BlobStore;
  private readonly fetchFn: FetchFn;
  private readonly prefix: string;
  private readonly memoryEntries: number;
  private readonly metadataExpire: number;
  private readonly memory = new Map<string, RepoIndex>();
  private readonly building = new Map<string, Promise<RepoIndex>>();
  private readonly repomdCache = new Map<string, { at: number; repomd: FetchedRepomd }>();

  constructor(opts: IndexStoreOptions = {}) {
    this.blobStore = opts.blobStore;
    this.fetchFn = opts.fetch ?? fetch;
    this.prefix = opts.prefix ?? 'depsolve-index';
    this.memoryEntries = opts.memoryEntries ?? 8;
    this.metadataExpire = opts.metadataExpire ?? 300;
  }

  /** Resolve mirrors and fetch repomd.xml (cached for metadataExpire seconds). */
  async repomd(repo: RepositoryConfig, subst: Substitutions): Promise<FetchedRepomd> {
    const key = JSON.stringify([repo.id, repo.baseurl, repo.metalink, repo.mirrorlist, subst]);
    const hit = this.repomdCache.get(key);
    if (hit && Date.now() - hit.at < this.metadataExpire * 1000) return hit.repomd;
    const mirrors = await resolveMirrors(repo, subst, this.fetchFn);
    const repomd = await fetchRepomd(mirrors, this.fetchFn);
    this.repomdCache.set(key, { at: Date.now(), repomd });
    return repomd;
  }

  async load(repo: RepositoryConfig, subst: Substitutions): Promise<LoadedRepository> {
    const repomd = await this.repomd(repo, subst);
    const index = await this.cached(`${repomd.revision}.idx`, () => this.buildPrimary(repomd));
    return { config: repo, repomd, index };
  }

  /** The file index (filelists.xml) of a loaded repository. */
  async loadFiles(loaded: LoadedRepository): Promise<RepoIndex | undefined> {
    const rec = loaded.repomd.repomd.records.filelists;
    if (!rec) return undefined;
    return this.cached(`${loaded.repomd.revision}.files.idx`, () => this.buildFiles(loaded.repomd, rec, loaded.index));
  }

  /** Build (or rebuild) a repository's index and store it, e.g. from a scheduled refresh. */
  async refresh(repo: RepositoryConfig, subst: Substitutions): Promise<{ revision: string; packages: number; built: boolean }> {
    const repomd = await this.repomd(repo, subst);
    const key = `${repomd.revision}.idx`;
    const existed = this.memory.has(key) || (this.blobStore ? !!(await this.blobStore.head(this.blobKey(key))) : false);
    const index = await this.cached(key, () => this.buildPrimary(repomd));
    return { revision: repomd.revision, packages: index.packageCount, built: !existed };
  }

  private blobKey(name: string): string {
    return `${this.prefix}/${INDEX_VERSION}/${name}`;
  }

  private remember(key: string, idx: RepoIndex): void {
    this.memory.delete(key);
    this.memory.set(key, idx);
    while (this.memory.size > this.memoryEntries) this.memory.delete(this.memory.keys().next().value as string);
  }

  private async cached(key: string, build: () => Promise<RepoIndex>): Promise<RepoIndex> {
    const mem = this.memory.get(key);
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
      this.fetchFn,
    );
    const compsRec = records.group_zst ?? records.group_xz ?? records.group_gz ?? records.group;
    if (compsRec) {
      let comps: Comps;
      const bytes = await readRecord(repomd, compsRec, this.fetchFn);
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
      this.fetchFn,
    );
  }
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
