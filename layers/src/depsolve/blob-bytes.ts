/** A blob's bytes in one buffer, read whole where the BlobStore serves a file. */
import { ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * A file-backed blob (FsBlobStore) is read whole in one call: its 64 KiB chunks plus their concatenation would put
 * every byte in fresh memory twice, and fresh pages are most of what loading a stored index costs.
 */
export async function readAll(stream: Readable): Promise<Uint8Array> {
  if (stream instanceof ReadStream && typeof stream.path === 'string' && !(stream as { start?: number }).start) {
    stream.destroy();
    return readWhole(stream.path);
  }
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** A file in one read where the kernel gives it whole (readFile reads 512 KiB a trip through the thread pool). */
async function readWhole(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await file.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    // A file that shrank meanwhile: its bytes as read (a changed index fails its own checks when it is read).
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    await file.close();
  }
}
