import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { Transform } from 'node:stream';
import type { Artifact } from '../../layers/src/compose/compose.ts';
import type { Logger } from '../../layers/src/log/logger.ts';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';

export interface ExportedFile {
  /** Artifact name: the path under the export directory (prefixed with the export when there are several). */
  name: string;
  path: string;
  size: number;
}

/** Every regular file osbuild exported: `<outputDirectory>/<export>/...`. */
export async function listExportedFiles(outputDirectory: string, exports: readonly string[]): Promise<ExportedFile[]> {
  const files: ExportedFile[] = [];
  for (const exp of exports) {
    const dir = join(outputDirectory, exp);
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
      throw new Error(`osbuild reported success but exported nothing to ${dir}`, { cause: error });
    });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const inner = relative(dir, path).split(sep).join('/');
      files.push({ name: exports.length > 1 ? `${exp}/${inner}` : inner, path, size: (await stat(path)).size });
    }
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

const CONTENT_TYPES: Record<string, string> = {
  '.tar': 'application/x-tar',
  '.qcow2': 'application/x-qemu-disk',
  '.raw': 'application/octet-stream',
  '.img': 'application/octet-stream',
  '.iso': 'application/x-iso9660-image',
  '.vhd': 'application/x-vhd',
  '.vhdx': 'application/x-vhdx',
  '.vmdk': 'application/x-vmdk',
  '.ova': 'application/x-virtualbox-ova',
  '.xz': 'application/x-xz',
  '.gz': 'application/gzip',
  '.zst': 'application/zstd',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

export const contentTypeOf = (name: string): string => CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';

export interface UploadOptions {
  blobs: BlobStore;
  /** `artifactPrefix(org, id, attempt)`: the same attempt always writes the same keys, so a retry overwrites. */
  prefix: string;
  attempts: number;
  /** First retry delay; doubles each retry (with jitter). */
  backoffMs: number;
  signal?: AbortSignal;
  log: Logger;
}

/**
 * Streams one file to the BlobStore while computing its sha256, so memory does not depend on the file's size
 * (the S3 adapter turns the stream into a multipart upload). Transient errors are retried with backoff.
 */
export async function uploadFile(file: ExportedFile, options: UploadOptions): Promise<Artifact> {
  const key = `${options.prefix}${file.name}`;
  const contentType = contentTypeOf(file.name);
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    const hash = createHash('sha256');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const source = createReadStream(file.path, { highWaterMark: 1024 * 1024 });
    source.on('error', (error) => hashing.destroy(error));
    // The store reports stream errors through put(); a store that gave up without reading must not crash the agent.
    hashing.on('error', () => {});
    // A cancel or hand-back must not wait for a multi-GiB transfer to finish.
    const onAbort = () => source.destroy(new Error('upload aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const info = await options.blobs.put(key, source.pipe(hashing), { contentType }).finally(() =>
        options.signal?.removeEventListener('abort', onAbort),
      );
      if (size !== file.size || info.size !== size) {
        throw new Error(`stored ${info.size} bytes of ${key}, read ${size}, expected ${file.size}`);
      }
      return { name: file.name, key, size, sha256: hash.digest('hex'), contentType };
    } catch (error) {
      options.signal?.removeEventListener('abort', onAbort);
      source.destroy();
      hashing.destroy();
      if (attempt >= options.attempts || options.signal?.aborted) {
        throw new Error(`upload of ${file.name} failed after ${attempt} attempt(s)`, { cause: error });
      }
      const delay = options.backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
      options.log.warn('artifact upload failed, retrying', { key, attempt, delayMs: Math.round(delay), error });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export async function uploadArtifacts(files: ExportedFile[], options: UploadOptions): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  // One file at a time: the images are few and large, and the store's multipart upload already runs parts in parallel.
  for (const file of files) artifacts.push(await uploadFile(file, options));
  return artifacts;
}
