/**
 * The last repomd.xml check of a repository, kept in the BlobStore: a new process (a cold Lambda, the next `npm
 * start`) within metadataExpire of that check reads the stored index without asking the repository again, as dnf
 * does with its metadata cache (metadata_expire). A record only names a revision this service fetched and verified.
 */
import { createHash } from 'node:crypto';
import type { BlobStore } from '../ports/blob-store.ts';
import { readAll } from './blob-bytes.ts';
import type { FetchedRepomd } from './repo-metadata.ts';

interface RepomdRecord {
  /** The repository as the IndexStore keys it (URLs, substitutions, TLS and signature settings). */
  key: string;
  /** When repomd.xml was fetched (ms since the epoch). */
  at: number;
  repomd: FetchedRepomd;
}

/** The record's name for the repository keyed `key` (the caller places it beside the repository's indexes). */
export const repomdRecordName = (key: string): string => `repomd/${createHash('sha256').update(key).digest('hex')}.json`;

/** The stored check at `blobKey` of the repository keyed `key`, if any (an unreadable or foreign record is none). */
export async function readRepomdRecord(blobs: BlobStore, blobKey: string, key: string): Promise<{ at: number; repomd: FetchedRepomd } | undefined> {
  try {
    const stream = await blobs.get(blobKey);
    if (!stream) return undefined;
    const r = JSON.parse(Buffer.from(await readAll(stream)).toString('utf8')) as Partial<RepomdRecord>;
    if (r.key !== key || typeof r.at !== 'number' || !isFetchedRepomd(r.repomd)) return undefined;
    return { at: r.at, repomd: r.repomd };
  } catch {
    return undefined;
  }
}

/** What a record's check must hold to be used as one: a damaged record sends the process to the repository instead. */
function isFetchedRepomd(r: Partial<FetchedRepomd> | undefined): r is FetchedRepomd {
  const isText = (x: unknown): x is string => typeof x === 'string';
  const isLocated = (x: unknown) => isText((x as { location?: unknown } | undefined)?.location) && isText((x as { checksum?: { value?: unknown } }).checksum?.value);
  const records = r?.repomd?.records;
  return (
    !!r && isText(r.revision) && isText(r.base) && isText(r.repoId) && Array.isArray(r.mirrors) && r.mirrors.every(isText) &&
    !!records && typeof records === 'object' && Object.values(records).every(isLocated) && isLocated(records.primary)
  );
}

/**
 * Store a check once its revision's index is stored too; best effort (without it the next new process asks the
 * repository, nothing else changes). A newer check already recorded (another process's, made while this one built
 * its index) is kept: the record only moves forward.
 */
export async function writeRepomdRecord(blobs: BlobStore, blobKey: string, key: string, at: number, repomd: FetchedRepomd): Promise<void> {
  const stored = await readRepomdRecord(blobs, blobKey, key);
  if (stored && stored.at > at && stored.at <= Date.now()) return;
  const record: RepomdRecord = { key, at, repomd };
  await blobs.put(blobKey, JSON.stringify(record), { contentType: 'application/json' }).catch(() => undefined);
}
