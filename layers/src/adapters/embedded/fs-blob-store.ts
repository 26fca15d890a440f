import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobInfo, BlobIntegrity, BlobStore, DownloadUrlOptions, GetOptions, PutOptions } from '../../ports/blob-store.ts';

/** Rejects keys that could escape the data directory. */
export function checkBlobKey(key: string): string {
  if (!key || key.startsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..') || key.includes('\0')) {
    throw new Error(`invalid blob key "${key}"`);
  }
  return key;
}

interface Meta {
  contentType?: string;
}

export interface FsBlobStoreOptions {
  root: string;
  /** Base URL of the local gateway serving `/_blobs/<key>` (download URLs). */
  publicBaseUrl: string;
  /** HMAC key signing download URLs (stands in for S3 presigning). */
  signingKey: Buffer;
}

/**
 * BlobStore on the filesystem: objects under `<root>/objects/<key>`, written to a temporary file and renamed so a
 * reader never sees a partial object; content types in `<root>/meta/<key>.json`.
 */
export class FsBlobStore implements BlobStore {
  private readonly objects: string;
  private readonly meta: string;
  private readonly tmp: string;

  constructor(private options: FsBlobStoreOptions) {
    this.objects = join(options.root, 'objects');
    this.meta = join(options.root, 'meta');
    this.tmp = join(options.root, 'tmp');
  }

  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<BlobInfo> {
    const target = join(this.objects, checkBlobKey(key));
    await mkdir(this.tmp, { recursive: true });
    const temp = join(this.tmp, randomUUID());
    try {
      const source = body instanceof Readable ? body : Readable.from([typeof body === 'string' ? Buffer.from(body) : body]);
      await pipeline(source, createWriteStream(temp));
      await mkdir(dirname(target), { recursive: true });
      const metaFile = join(this.meta, `${key}.json`);
      await mkdir(dirname(metaFile), { recursive: true });
      await writeFile(metaFile, JSON.stringify({ contentType: options.contentType } satisfies Meta));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw new Error(`could not store blob ${key}`, { cause: error });
    }
    const info = await this.head(key);
    if (!info) throw new Error(`blob ${key} vanished after being stored`);
    return info;
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable | undefined> {
    const file = join(this.objects, checkBlobKey(key));
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return createReadStream(file, { start: options.start ?? 0 });
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    const info = await stat(join(this.objects, checkBlobKey(key))).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const meta = await readFile(join(this.meta, `${key}.json`), 'utf8')
      .then((text) => JSON.parse(text) as Meta)
      .catch(() => ({}) as Meta);
    return { key, size: info.size, contentType: meta.contentType, lastModified: info.mtime.toISOString() };
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.objects, checkBlobKey(key)), { force: true });
    await rm(join(this.meta, `${key}.json`), { force: true });
  }

  /**
   * Reads only the directory the prefix ends in (entries whose names start with the rest of it, and every directory
   * under those): one compose's logs never cost a walk over every organization's objects.
   */
  async list(prefix: string): Promise<BlobInfo[]> {
    const directory = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    if (directory) checkBlobKey(directory.slice(0, -1));
    const keys = (await this.listKeys(directory, prefix.slice(directory.length))).sort();
    const infos = await Promise.all(keys.map((key) => this.head(key)));
    return infos.filter((info): info is BlobInfo => info !== undefined);
  }

  /** Keys in `<objects>/<directory>` whose names start with `namePrefix`, descending into matching directories. */
  private async listKeys(directory: string, namePrefix: string): Promise<string[]> {
    const entries = await readdir(join(this.objects, directory), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return [];
      throw new Error(`could not list blobs under ${directory || '/'}`, { cause: error });
    });
    const keys: string[] = [];
    for (const entry of entries) {
      if (!entry.name.startsWith(namePrefix)) continue;
      if (entry.isDirectory()) keys.push(...(await this.listKeys(`${directory}${entry.name}/`, '')));
      else if (entry.isFile()) keys.push(`${directory}${entry.name}`);
    }
    return keys;
  }

  async downloadUrl(key: string, { expiresIn, filename, integrity }: DownloadUrlOptions): Promise<string> {
    checkBlobKey(key);
    const expires = Math.floor(Date.now() / 1000) + expiresIn;
    const url = new URL(`/_blobs/${key.split('/').map(encodeURIComponent).join('/')}`, this.options.publicBaseUrl);
    url.searchParams.set('expires', String(expires));
    if (filename) url.searchParams.set('filename', filename);
    if (integrity) {
      url.searchParams.set('size', String(integrity.size));
      url.searchParams.set('sha256', integrity.sha256);
    }
    url.searchParams.set('signature', this.sign(key, expires, filename, integrity));
    return url.toString();
  }

  /** The local API's address is known only once it listens (port 0 in tests). */
  setPublicBaseUrl(publicBaseUrl: string): void {
    this.options = { ...this.options, publicBaseUrl };
  }

  /** Checks a download URL's signature and expiry (the local gateway serves `/_blobs/` with it). */
  verifyDownload(key: string, expires: number, filename: string | undefined, signature: string, integrity?: BlobIntegrity): boolean {
    if (!Number.isFinite(expires) || expires < Date.now() / 1000) return false;
    const expected = Buffer.from(this.sign(key, expires, filename, integrity));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(key: string, expires: number, filename: string | undefined, integrity?: BlobIntegrity): string {
    const signed = `${key}\n${expires}\n${filename ?? ''}${integrity ? `\n${integrity.size}\n${integrity.sha256}` : ''}`;
    return createHmac('sha256', this.options.signingKey).update(signed).digest('hex');
  }
}

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
