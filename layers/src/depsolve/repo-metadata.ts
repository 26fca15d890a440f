/**
 * Fetching repository metadata: baseurl / metalink / mirrorlist with mirror fallback, repomd.xml and record
 * checksums verified, gz/xz/zstd decompressed. Errors name the repository and what failed.
 */
import { createHash } from 'node:crypto';
import type { RepositoryConfig } from '../packages/package-set.ts';
import { compressionOf, decompress } from './decompress.ts';
import { DependencyFailedError } from '../errors.ts';
import { parseMetalink, parseRepomd, type Repomd, type RepomdRecord } from './metadata-parsers.ts';
import { capBytes, DEFAULT_METADATA_LIMITS, LimitError, limitsOf, readCapped, type MetadataLimits } from './metadata-limits.ts';

/** A repository that cannot be read (network, checksums, metadata): names the repository and what failed. */
export class RepositoryError extends DependencyFailedError {
  constructor(
    readonly repoId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`repository "${repoId}": ${message}`, options);
  }
}

export type FetchFn = typeof fetch;

export interface Substitutions {
  arch: string;
  basearch?: string;
  releasever: string;
}

export function substitute(url: string, s: Substitutions): string {
  return url
    .replace(/\$\{?basearch\}?/g, s.basearch ?? s.arch)
    .replace(/\$\{?arch\}?/g, s.arch)
    .replace(/\$\{?releasever\}?/g, s.releasever);
}

export interface RepoMirrors {
  repoId: string;
  /** Base URLs to try, in order. */
  mirrors: string[];
  /** When the list came from a metalink: acceptable repomd.xml digests. */
  repomdHashes?: { type: string; value: string }[];
}

export interface FetchedRepomd {
  repoId: string;
  /** Mirror that served repomd.xml (tried first for the other files). */
  base: string;
  mirrors: string[];
  repomd: Repomd;
  /** sha256 of repomd.xml: the revision key of the repository's index. */
  revision: string;
  /** Fetched without verifying TLS certificates (the repository's sslverify is off); its other files are too. */
  insecure?: boolean;
}

const TIMEOUT_MS = 30_000;

async function get(fetchFn: FetchFn, url: string): Promise<Response> {
  // file:// is the fetch's decision (local mirrors in local mode; the address guard refuses it)
  if (!/^(https?:\/\/|file:\/\/)/i.test(url)) throw new Error(`only http, https and file URLs are supported (${url})`);
  const res = await fetchFn(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new Error(`HTTP ${res.status} ${res.statusText ?? ''}`.trim());
  }
  return res;
}

/** A small document (metalink, mirrorlist, GPG key) as text, at most `limits.documentBytes`. */
export async function getText(fetchFn: FetchFn, url: string, limits: MetadataLimits): Promise<string> {
  return new TextDecoder().decode(await readCapped(await get(fetchFn, url), limits.documentBytes, url));
}

/** Resolve the list of mirrors of a repository (metalink and mirrorlist are downloaded here). */
export async function resolveMirrors(
  repo: RepositoryConfig,
  subst: Substitutions,
  fetchFn: FetchFn = fetch,
  limits: MetadataLimits = DEFAULT_METADATA_LIMITS,
): Promise<RepoMirrors> {
  const mirrors: string[] = (repo.baseurl ?? []).map((u) => substitute(u, subst).replace(/\/+$/, ''));
  let repomdHashes: RepoMirrors['repomdHashes'];
  if (repo.metalink) {
    const url = substitute(repo.metalink, subst);
    let xml: string;
    try {
      xml = await getText(fetchFn, url, limits);
    } catch (e) {
      if (e instanceof LimitError) throw new RepositoryError(repo.id, e.message, { cause: e });
      if (!mirrors.length) throw new RepositoryError(repo.id, `cannot download metalink ${url}: ${msg(e)}`, { cause: e });
      xml = '';
    }
    if (xml) {
      try {
        const ml = parseMetalink(xml);
        mirrors.push(...ml.urls);
        if (ml.hashes.length) repomdHashes = ml.hashes;
      } catch (e) {
        throw new RepositoryError(repo.id, `malformed metalink ${url}: ${msg(e)}`, { cause: e });
      }
    }
  } else if (repo.mirrorlist) {
    const url = substitute(repo.mirrorlist, subst);
    try {
      const text = await getText(fetchFn, url, limits);
      for (const line of text.split('\n')) {
        const l = line.trim();
        if (l && !l.startsWith('#') && /^https?:\/\//.test(l)) mirrors.push(l.replace(/\/+$/, ''));
      }
    } catch (e) {
      if (e instanceof LimitError) throw new RepositoryError(repo.id, e.message, { cause: e });
      if (!mirrors.length) throw new RepositoryError(repo.id, `cannot download mirrorlist ${url}: ${msg(e)}`, { cause: e });
    }
  }
  if (!mirrors.length) throw new RepositoryError(repo.id, 'no baseurl, metalink or mirrorlist gives a mirror');
  return { repoId: repo.id, mirrors, repomdHashes };
}

function msg(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : '';
  return m + cause;
}

/** Download and check repomd.xml from the first mirror that serves a valid one. */
export async function fetchRepomd(
  m: RepoMirrors,
  fetchFn: FetchFn = fetch,
  limits: MetadataLimits = DEFAULT_METADATA_LIMITS,
  /** repo_gpgcheck: checks the bytes as served by a mirror (throwing moves on to the next mirror). */
  verify?: (repomd: Uint8Array, base: string) => Promise<void>,
): Promise<FetchedRepomd> {
  const failures: string[] = [];
  for (let i = 0; i < m.mirrors.length; i++) {
    const base = m.mirrors[i];
    const url = `${base}/repodata/repomd.xml`;
    try {
      const bytes = await readCapped(await get(fetchFn, url), limits.documentBytes, url);
      if (m.repomdHashes) {
        const ok = m.repomdHashes.some((h) => hashAlgo(h.type) && createHash(hashAlgo(h.type)!).update(bytes).digest('hex') === h.value);
        if (!ok) throw new Error('repomd.xml does not match the metalink checksum');
      }
      if (verify) await verify(bytes, base);
      const repomd = parseRepomd(new TextDecoder().decode(bytes));
      const revision = createHash('sha256').update(bytes).digest('hex');
      const mirrors = [base, ...m.mirrors.filter((_, j) => j !== i)];
      return { repoId: m.repoId, base, mirrors, repomd, revision };
    } catch (e) {
      if (e instanceof LimitError) throw new RepositoryError(m.repoId, e.message, { cause: e });
      failures.push(`${url}: ${msg(e)}`);
    }
  }
  throw new RepositoryError(m.repoId, `cannot get a valid repomd.xml from any mirror: ${failures.join('; ')}`);
}

function hashAlgo(type: string): string | undefined {
  const t = type.toLowerCase().replace('-', '');
  if (t === 'sha' || t === 'sha1') return 'sha1';
  if (['sha224', 'sha256', 'sha384', 'sha512', 'md5'].includes(t)) return t;
  return undefined;
}

/**
 * Stream one metadata record, decompressed, verifying the compressed bytes' checksum at the end (the consumer must
 * not keep anything it built if iteration throws). Tries each mirror until one works from start to end; `consume`
 * is re-run from scratch for each attempt.
 */
export async function consumeRecord<T>(
  repo: FetchedRepomd,
  record: RepomdRecord,
  consume: (chunks: AsyncIterable<Uint8Array>) => Promise<T>,
  fetchFn: FetchFn = fetch,
  limits: MetadataLimits = DEFAULT_METADATA_LIMITS,
): Promise<T> {
  const algo = hashAlgo(record.checksum.type);
  if (!algo) throw new RepositoryError(repo.repoId, `unsupported checksum type "${record.checksum.type}" for ${record.location}`);
  const cap = limitsOf(limits, record);
  if (record.size !== undefined && record.size > cap.compressed) {
    throw new RepositoryError(repo.repoId, new LimitError(`${record.location}`, cap.compressed, 'compressed', record.size).message);
  }
  const failures: string[] = [];
  for (const base of repo.mirrors) {
    const url = `${base}/${record.location}`;
    let res: Response;
    try {
      res = await get(fetchFn, url);
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > cap.compressed) {
        await res.body?.cancel().catch(() => {});
        throw new LimitError(url, cap.compressed, 'compressed', declared);
      }
    } catch (e) {
      if (e instanceof LimitError) throw new RepositoryError(repo.repoId, e.message, { cause: e });
      failures.push(`${url}: ${msg(e)}`);
      continue;
    }
    const hash = createHash(algo);
    let size = 0;
    async function* verified(): AsyncGenerator<Uint8Array> {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        size += chunk.length;
        if (size > cap.compressed) throw new LimitError(url, cap.compressed, 'compressed');
        yield chunk;
      }
      const digest = hash.digest('hex');
      if (digest !== record.checksum.value) {
        throw new ChecksumError(`checksum mismatch for ${record.location}: expected ${record.checksum.type}:${record.checksum.value}, got ${digest} (${size} bytes)`);
      }
    }
    try {
      const limit = { bytes: cap.decompressed, error: () => new LimitError(url, cap.decompressed, 'decompressed') };
      return await consume(capBytes(decompress(verified(), compressionOf(record.location), limit), cap.decompressed, url));
    } catch (e) {
      const over = e instanceof LimitError ? e : e instanceof ParseError && e.cause instanceof LimitError ? e.cause : undefined;
      if (over) throw new RepositoryError(repo.repoId, over.message, { cause: over });
      if (e instanceof ChecksumError) throw new RepositoryError(repo.repoId, `${e.message} from ${base}`, { cause: e });
      if (e instanceof ParseError) throw new RepositoryError(repo.repoId, `malformed ${record.type} metadata (${url}): ${msg(e.cause)}`, { cause: e });
      failures.push(`${url}: ${msg(e)}`);
    }
  }
  throw new RepositoryError(repo.repoId, `cannot download ${record.location} from any mirror: ${failures.join('; ')}`);
}

class ChecksumError extends Error {}

/** Wraps errors raised by a metadata parser (as opposed to transfer errors, which move on to the next mirror). */
export class ParseError extends Error {}

/** Run a parser over chunks, separating parse failures from transfer failures. */
export async function parseChunks<T>(
  chunks: AsyncIterable<Uint8Array>,
  parse: (chunks: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T> {
  let transferError: unknown;
  async function* guarded(): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks;
    } catch (e) {
      transferError = e;
      throw e;
    }
  }
  try {
    return await parse(guarded());
  } catch (e) {
    if (transferError !== undefined) throw transferError;
    throw new ParseError('parse failed', { cause: e });
  }
}

/** Read a small record (comps) into memory. */
export async function readRecord(repo: FetchedRepomd, record: RepomdRecord, fetchFn: FetchFn = fetch, limits = DEFAULT_METADATA_LIMITS): Promise<Uint8Array> {
  return consumeRecord(
    repo,
    record,
    async (chunks) => {
      const parts: Uint8Array[] = [];
      for await (const c of chunks) parts.push(c);
      return Buffer.concat(parts);
    },
    fetchFn,
    limits,
  );
}
