/**
 * A lazily built package-details source: on the first request for a repository revision (repomd.xml checksum, as the
 * solve index is keyed) its primary.xml is streamed once and name/EVRA/description/url/build time/licence kept, in
 * memory (least recently used revisions go first past a byte budget) and in the BlobStore. Kept apart from the solve
 * index so that index stays small and its format free to change.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { PackageDetails, PackageDetailsQuery, PackageDetailsSource } from '../packages/package-details.ts';
import type { RepositoryConfig } from '../packages/package-set.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import { archScore, basearchOf } from './arch.ts';
import type { IndexStore } from './index-store.ts';
import { DEFAULT_METADATA_LIMITS, type MetadataLimits } from './metadata-limits.ts';
import { parsePackageDetails } from './package-details-parser.ts';
import { consumeRecord, parseChunks, type FetchedRepomd, type FetchFn, type Substitutions } from './repo-metadata.ts';
import { createRepositoryFetch } from './repository-fetch.ts';

export interface PackageDetailsStoreOptions {
  /** Where repomd.xml comes from (mirrors, metalinks, signature checks and its expiry, shared with the solver). */
  indexStore: Pick<IndexStore, 'repomd'>;
  blobStore?: BlobStore;
  /** Key prefix in the BlobStore (default `package-details`). */
  prefix?: string;
  /** Bytes of details kept in memory (default 256 MiB); the newest revision always stays. */
  memoryBytes?: number;
  /** Read `file://` repositories from this machine's disk (default false). */
  fileUrls?: boolean;
  /** The fetch for http(s) (tests); default: the global fetch, through the environment's proxies when set. */
  fetch?: FetchFn;
  proxyEnv?: Record<string, string | undefined>;
  metadataLimits?: Partial<MetadataLimits>;
}

export const DEFAULT_DETAILS_MEMORY_BYTES = 256 * 1024 * 1024;
/** Changes when the stored form changes (old blobs are then rebuilt, never misread). */
const DETAILS_VERSION = 'v1';

type Row = [name: string, epoch: number, version: string, release: string, arch: string, summary: string, description: string, url: string, buildTime: number, license: string];

const toRow = (p: PackageDetails): Row => [p.name, p.epoch, p.version, p.release, p.arch, p.summary, p.description, p.url, p.buildTime, p.license];
const fromRow = ([name, epoch, version, release, arch, summary, description, url, buildTime, license]: Row): PackageDetails => ({
  name,
  epoch,
  version,
  release,
  arch,
  summary,
  description,
  url,
  buildTime,
  license,
});

/** Approximate heap bytes of a revision's details (UTF-16 strings plus object overhead, as measured: ~800 bytes a package). */
const sizeOf = (packages: PackageDetails[]): number =>
  packages.reduce((n, p) => n + 400 + 2 * (p.name.length + p.version.length + p.release.length + p.arch.length + p.summary.length + p.description.length + p.url.length + p.license.length), 0);

/** dnf's available packages for an architecture: noarch, the base architecture, and i686 builds on x86_64 (multilib). */
export function isAvailableFor(pkgArch: string, arch: string): boolean {
  if (archScore(pkgArch, arch) > 0) return true;
  return basearchOf(arch) === 'x86_64' && basearchOf(pkgArch) === 'i686';
}

export class PackageDetailsStore implements PackageDetailsSource {
  private readonly memory = new Map<string, { packages: PackageDetails[]; bytes: number }>();
  private memoryUsed = 0;
  private readonly building = new Map<string, Promise<PackageDetails[]>>();
  private readonly fetchFn: FetchFn;
  private insecureFetchFn?: FetchFn;
  private readonly prefix: string;
  private readonly memoryBytes: number;
  private readonly limits: MetadataLimits;

  constructor(private readonly opts: PackageDetailsStoreOptions) {
    this.fetchFn = this.makeFetch(false);
    this.prefix = opts.prefix ?? 'package-details';
    this.memoryBytes = opts.memoryBytes ?? DEFAULT_DETAILS_MEMORY_BYTES;
    this.limits = { ...DEFAULT_METADATA_LIMITS, ...opts.metadataLimits };
  }

  /** Revisions and bytes held in memory now. */
  get memoryUsage(): { entries: number; bytes: number } {
    return { entries: this.memory.size, bytes: this.memoryUsed };
  }

  async listPackages(query: PackageDetailsQuery): Promise<PackageDetails[]> {
    const subst: Substitutions = { arch: query.architecture, basearch: basearchOf(query.architecture), releasever: query.releasever };
    const perRepo = await Promise.all(query.repositories.map((r) => this.load(r, subst)));
    return perRepo.flat().filter((p) => isAvailableFor(p.arch, query.architecture));
  }

  /** The details of a repository's current revision (built on first use). */
  async load(repo: RepositoryConfig, subst: Substitutions): Promise<PackageDetails[]> {
    const repomd = await this.opts.indexStore.repomd(repo, subst);
    const key = `${DETAILS_VERSION}/${repomd.revision}.json.gz`;
    const held = this.memory.get(key);
    if (held) {
      this.remember(key, held.packages);
      return held.packages;
    }
    let pending = this.building.get(key);
    if (!pending) {
      pending = this.readOrBuild(key, repomd).finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  private async readOrBuild(key: string, repomd: FetchedRepomd): Promise<PackageDetails[]> {
    const blobKey = `${this.prefix}/${key}`;
    const stored = this.opts.blobStore ? await this.opts.blobStore.get(blobKey) : undefined;
    if (stored) {
      try {
        const packages = (JSON.parse(gunzipSync(await readAll(stored)).toString('utf8')) as Row[]).map(fromRow);
        this.remember(key, packages);
        return packages;
      } catch {
        // A corrupt blob is rebuilt below.
      }
    }
    const fetchFn = repomd.insecure ? (this.insecureFetchFn ??= this.makeFetch(true)) : this.fetchFn;
    const packages = await consumeRecord(repomd, repomd.repomd.records.primary, (chunks) => parseChunks(chunks, parsePackageDetails), fetchFn, this.limits);
    if (this.opts.blobStore) await this.opts.blobStore.put(blobKey, gzipSync(JSON.stringify(packages.map(toRow))), { contentType: 'application/gzip' });
    this.remember(key, packages);
    return packages;
  }

  private makeFetch(insecure: boolean): FetchFn {
    return createRepositoryFetch({ fileUrls: this.opts.fileUrls ?? false, env: this.opts.proxyEnv, fetch: this.opts.fetch, insecure });
  }

  /** Keep `packages` as the most recently used; evict the least recently used until the budget holds. */
  private remember(key: string, packages: PackageDetails[]): void {
    const old = this.memory.get(key);
    if (old) {
      this.memory.delete(key);
      this.memoryUsed -= old.bytes;
    }
    const bytes = old?.bytes ?? sizeOf(packages);
    this.memory.set(key, { packages, bytes });
    this.memoryUsed += bytes;
    while (this.memoryUsed > this.memoryBytes && this.memory.size > 1) {
      const [oldest, entry] = this.memory.entries().next().value as [string, { bytes: number }];
      this.memory.delete(oldest);
      this.memoryUsed -= entry.bytes;
    }
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}
