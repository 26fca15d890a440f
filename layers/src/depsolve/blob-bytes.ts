/** A blob's bytes in one buffer, read whole where the BlobStore serves a file. */
import { ReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * A file-backed blob (FsBlobStore) is read whole in one call: its 64 KiB chunks plus their concatenation would put
 * every byte in fresh memory twice, and fresh pages are most of what loading a stored index costs.
 */
export async function readAll(stream: Readable): Promise<Uint8Array> {
  if (stream instanceof ReadStream && typeof stream.path === 'string' && !(stream as { start?: number }).start) {
    stream.destroy();
    return readFile(stream.path);
  }
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
