import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PassThrough, Readable } from 'node:stream';
import type { BlobInfo, BlobStore, DownloadUrlOptions, GetOptions, PutOptions } from '../../ports/blob-store.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Multipart part size in bytes (S3 minimum 5 MiB). */
  partSize?: number;
  /** Parts uploaded at the same time. */
  queueSize?: number;
}

const isMissing = (error: unknown): boolean =>
  error instanceof NoSuchKey || error instanceof NotFound || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404);

/** Quotes a file name for Content-Disposition, with the RFC 5987 form for anything beyond plain ASCII. */
const contentDisposition = (filename: string): string => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
};

/**
 * BlobStore on one private S3 bucket. Uploads stream through lib-storage (multipart above one part), so an artifact is
 * never held in memory and readers only ever see a complete object. Download URLs are presigned GETs.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly options: S3BlobStoreOptions,
  ) {}

  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<BlobInfo> {
    let size = 0;
    let source: Readable | Uint8Array | string = body;
    if (body instanceof Readable) {
      // Count bytes on the way through: the size is known without a HeadObject afterwards.
      const counter = new PassThrough();
      counter.on('data', (chunk: Buffer) => (size += chunk.length));
      body.on('error', (error) => counter.destroy(error));
      source = body.pipe(counter);
    } else {
      size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    }
    try {
      await new Upload({
        client: this.client,
        params: { Bucket: this.options.bucket, Key: key, Body: source, ContentType: options.contentType },
        partSize: this.options.partSize ?? 8 * 1024 * 1024,
        queueSize: this.options.queueSize ?? 4,
        leavePartsOnError: false,
      }).done();
    } catch (error) {
      throw new Error(`could not store blob ${key}`, { cause: error });
    }
    return { key, size, contentType: options.contentType, lastModified: new Date().toISOString() };
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable | undefined> {
    const start = options.start ?? 0;
    try {
      const { Body } = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...(start > 0 ? { Range: `bytes=${start}-` } : {}) }),
      );
      return Body as Readable;
    } catch (error) {
      if (isMissing(error)) return undefined;
      // A range starting at or past the end: the object exists, there is just nothing more to read.
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 416) return Readable.from([]);
      throw new Error(`could not read blob ${key}`, { cause: error });
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { key, size: head.ContentLength ?? 0, contentType: head.ContentType, lastModified: head.LastModified?.toISOString() };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw new Error(`could not read blob ${key}`, { cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
  }

  /** Pages through ListObjectsV2 (S3 returns keys in order); content types are not part of a listing. */
  async list(prefix: string): Promise<BlobInfo[]> {
    const infos: BlobInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (object.Key) infos.push({ key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified?.toISOString() });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return infos.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async downloadUrl(key: string, { expiresIn, filename }: DownloadUrlOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.options.bucket,
      Key: key,
      ...(filename ? { ResponseContentDisposition: contentDisposition(filename) } : {}),
    });
    return getSignedUrl(this.client, command, { expiresIn });
  }
}
