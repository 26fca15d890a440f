import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  size: number;
  contentType?: string;
  lastModified?: string;
}

export interface PutOptions {
  contentType?: string;
}

export interface GetOptions {
  /** First byte to return (inclusive). */
  start?: number;
}

export interface DownloadUrlOptions {
  /** Seconds until the URL stops working. */
  expiresIn: number;
  /** File name offered to the browser (Content-Disposition). */
  filename?: string;
  /** What the object must be (recorded when it was stored): a download that does not match is an error, never a 200. */
  integrity?: BlobIntegrity;
}

export interface BlobIntegrity {
  size: number;
  /** Hex SHA-256 of the whole object. */
  sha256: string;
}

/** Object storage: artifacts, manifests, logs, repository indexes. Keys are `/`-separated, never absolute. */
export interface BlobStore {
  /** Store a whole object; readers never see a partial object. */
  put(key: string, body: Readable | Uint8Array | string, options?: PutOptions): Promise<BlobInfo>;
  /** The object's bytes, or undefined when it does not exist. */
  get(key: string, options?: GetOptions): Promise<Readable | undefined>;
  head(key: string): Promise<BlobInfo | undefined>;
  /** Remove the object; a key that does not exist is no error (as S3's DeleteObject). */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<BlobInfo[]>;
  /** A URL that downloads the object without other credentials and expires. */
  downloadUrl(key: string, options: DownloadUrlOptions): Promise<string>;
}
