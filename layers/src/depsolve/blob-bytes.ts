/** A blob's bytes in one buffer, read whole where the BlobStore serves a file. */
import { ReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * A file-backed blob (FsBlobStore) is read whole into one buffer (in parallel parts when large): its 64 KiB chunks
 * plus their concatenation would put every byte in fresh memory twice, and fresh pages are most of what loading a
 * stored index costs.
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

/** Files larger than this are read in parallel parts (each part's page faults and copy on a thread-pool thread). */
const PART_BYTES = 4 * 1024 * 1024;
/** libuv's thread pool has four threads unless UV_THREADPOOL_SIZE says otherwise. */
const MAX_PARTS = 4;

/**
 * A file in one buffer, read in up to four parts at once (a single 20 MB read is one thread faulting in every page of
 * the fresh buffer: ~9 ms; two to four parts take ~6 ms on two cores). readFile reads 512 KiB a trip instead.
 */
async function readWhole(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buf = Buffer.allocUnsafe(size);
    const parts = Math.max(1, Math.min(MAX_PARTS, Math.floor(size / PART_BYTES)));
    const step = Math.ceil(size / parts);
    // Every part settles before the handle is closed, whichever fails first.
    const settled = await Promise.allSettled(Array.from({ length: parts }, (_, i) => readPart(file, buf, i * step, Math.min(size, (i + 1) * step))));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const ends = settled.map((r) => (r as PromiseFulfilledResult<number>).value);
    // A file that shrank meanwhile: its bytes as read, up to the first short part (a changed index fails its own
    // checks when it is read).
    const short = ends.findIndex((end, i) => end < Math.min(size, (i + 1) * step));
    return short === -1 ? buf : buf.subarray(0, ends[short]);
  } finally {
    await file.close();
  }
}

/** Reads [from, to) of the file into the same range of buf; returns where the bytes stopped (to, or earlier at EOF). */
async function readPart(file: FileHandle, buf: Buffer, from: number, to: number): Promise<number> {
  let at = from;
  while (at < to) {
    const { bytesRead } = await file.read(buf, at, to - at, at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return at;
}
