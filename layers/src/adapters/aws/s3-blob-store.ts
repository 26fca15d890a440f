import {
  AbortMultipartUploadCommand,
  ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import type { BlobInfo, BlobStore, DownloadUrlOptions, GetOptions, PutOptions } from '../../ports/blob-store.ts';
import { clientOptions, type AwsAdaptersConfig } from './aws-config.ts';

// A stand-in endpoint means path-style addressing (`*.localhost` virtual hosts do not resolve).
export const createS3Client = (config: AwsAdaptersConfig, options: { checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED' } = {}) =>
  new S3Client({
    ...clientOptions(config, config.endpoints?.s3),
    ...(config.endpoints?.s3 ? { forcePathStyle: true } : {}),
    ...(options.checksums ? { requestChecksumCalculation: options.checksums } : {}),
  });

/** The clients of an S3BlobStore: artifacts carry our own sha256, so streams go without per-part CRC32 (see streamClient). */
export const createS3Clients = (config: AwsAdaptersConfig) => ({
  s3: createS3Client(config),
  s3Stream: createS3Client(config, { checksums: 'WHEN_REQUIRED' }),
});

/** The BlobStore on the configured bucket (IBS_BUCKET); a composition root that wires only this pulls in only S3. */
export const createS3BlobStore = (config: AwsAdaptersConfig, clients = createS3Clients(config)): S3BlobStore =>
  new S3BlobStore(clients.s3, { bucket: config.bucketName, streamClient: clients.s3Stream });

export interface S3BlobStoreOptions {
  bucket: string;
  /** Multipart part size in bytes (default 8 MiB; S3 minimum 5 MiB, so smaller values are raised to it). */
  partSize?: number;
  /** Parts uploaded at the same time (default 4). */
  queueSize?: number;
  /**
   * Client for streamed uploads (artifacts). The runner computes each artifact's sha256 while streaming it and
   * downloads are verified against it (`ibs compose download`), so a client without the SDK's per-part CRC32
   * (`requestChecksumCalculation: 'WHEN_REQUIRED'`) saves that CPU on both ends; TLS protects the transfer.
   * Default: the main client.
   */
  streamClient?: S3Client;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
/** S3's limit of parts per multipart upload: with 8 MiB parts a streamed object may be up to 78 GiB. */
const MAX_PARTS = 10_000;

const isMissing = (error: unknown): boolean =>
  error instanceof NoSuchKey || error instanceof NotFound || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404);

/** Quotes a file name for Content-Disposition, with the RFC 5987 form for anything beyond plain ASCII. */
const contentDisposition = (filename: string): string => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
};

/**
 * BlobStore on one private S3 bucket. Streams are uploaded in parts (multipart above one part, a few parts in flight, in
 * reused buffers), so an artifact is never held in memory; in-memory bodies go through lib-storage. Readers only ever
 * see a complete object. Download URLs are presigned GETs.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly options: S3BlobStoreOptions,
  ) {}

  private get partSize(): number {
    return Math.max(MIN_PART_SIZE, this.options.partSize ?? 8 * 1024 * 1024);
  }

  private get queueSize(): number {
    return Math.max(1, this.options.queueSize ?? 4);
  }

  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<BlobInfo> {
    let size: number;
    try {
      if (body instanceof Readable) {
        size = await this.putStream(key, body, options.contentType);
      } else {
        size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
        // In memory already: lib-storage sends subarrays of it (multipart above one part), without copying.
        await new Upload({
          client: this.client,
          params: { Bucket: this.options.bucket, Key: key, Body: body, ContentType: options.contentType },
          partSize: this.partSize,
          queueSize: this.queueSize,
          leavePartsOnError: false,
        }).done();
      }
    } catch (error) {
      throw new Error(`could not store blob ${key}`, { cause: error });
    }
    return { key, size, contentType: options.contentType, lastModified: new Date().toISOString() };
  }

  /**
   * A stream of unknown length as a multipart upload whose memory is fixed: `queueSize` parts in flight plus the one
   * being filled, each in a buffer reused for later parts. (lib-storage concatenates every part into a fresh buffer,
   * so a multi-GiB upload left hundreds of MiB of dead 8 MiB buffers to the garbage collector: peak RSS ~170 MiB
   * against ~145 MiB this way, same throughput.) A stream that fits in one part is a single PutObject.
   */
  private async putStream(key: string, body: Readable, contentType: string | undefined): Promise<number> {
    const Bucket = this.options.bucket;
    const client = this.options.streamClient ?? this.client;
    const { partSize, queueSize } = this;
    const spare: Buffer[] = [];
    const inFlight = new Set<Promise<void>>();
    const parts: CompletedPart[] = [];
    let failure: unknown;
    let uploadId: string | undefined;
    let checksum: ChecksumAlgorithm | undefined;
    let partNumber = 0;
    let size = 0;
    // Untouched pages of a fresh buffer cost no memory, so a small object does not pay for a whole part.
    const take = () => spare.pop() ?? Buffer.allocUnsafeSlow(partSize);
    let current = take();
    let filled = 0;

    const sendPart = async (buffer: Buffer, length: number) => {
      if (!uploadId) {
        // As lib-storage: with the SDK's default checksums, the upload declares CRC32 and every part carries one.
        checksum = (await client.config.requestChecksumCalculation()) === 'WHEN_SUPPORTED' ? ChecksumAlgorithm.CRC32 : undefined;
        const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType, ChecksumAlgorithm: checksum }));
        uploadId = created.UploadId;
      }
      const number = ++partNumber;
      if (number > MAX_PARTS) throw new Error(`more than ${MAX_PARTS} parts of ${partSize} bytes: the object is too large for this part size`);
      const part: Promise<void> = client
        .send(new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber: number, Body: buffer.subarray(0, length), ChecksumAlgorithm: checksum }))
        .then(
          (r) => {
            parts.push({
              PartNumber: number,
              ETag: r.ETag,
              ...(r.ChecksumCRC32 ? { ChecksumCRC32: r.ChecksumCRC32 } : {}),
              ...(r.ChecksumCRC32C ? { ChecksumCRC32C: r.ChecksumCRC32C } : {}),
              ...(r.ChecksumCRC64NVME ? { ChecksumCRC64NVME: r.ChecksumCRC64NVME } : {}),
              ...(r.ChecksumSHA1 ? { ChecksumSHA1: r.ChecksumSHA1 } : {}),
              ...(r.ChecksumSHA256 ? { ChecksumSHA256: r.ChecksumSHA256 } : {}),
            });
          },
          (error: unknown) => {
            failure ??= error;
          },
        )
        .finally(() => {
          // The SDK is done with the bytes (retries included) once the request settles.
          spare.push(buffer);
          inFlight.delete(part);
        });
      inFlight.add(part);
      while (inFlight.size >= queueSize) await Promise.race(inFlight);
      if (failure) throw failure;
    };

    try {
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += data.length;
        for (let offset = 0; offset < data.length; ) {
          const copied = data.copy(current, filled, offset, Math.min(data.length, offset + partSize - filled));
          filled += copied;
          offset += copied;
          if (filled === partSize) {
            await sendPart(current, filled);
            current = take();
            filled = 0;
          }
        }
      }
      if (!uploadId) {
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: current.subarray(0, filled), ContentType: contentType }));
        return size;
      }
      if (filled > 0) await sendPart(current, filled);
      await Promise.all(inFlight);
      if (failure) throw failure;
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      return size;
    } catch (error) {
      await Promise.all(inFlight);
      // Parts of an abandoned upload are billed until aborted (the bucket's lifecycle rule is the backstop).
      if (uploadId) await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })).catch(() => {});
      throw error;
    }
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
