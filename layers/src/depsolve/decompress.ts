/**
 * Streaming decompression of repository metadata: gzip (node:zlib), xz (xz-decompress, WebAssembly) and zstd
 * (node:zlib where the runtime has it, Node >= 22.15, else fzstd in pure JavaScript). Node 20's zlib has no zstd.
 */
import { Readable, type Transform } from 'node:stream';
import type * as zlib from 'node:zlib';

// node:zlib, xz-decompress (WebAssembly) and fzstd are loaded when a repository needs them: loading them at start-up
// would cost every cold process (a Lambda's depsolve reads stored indexes and decompresses nothing).
const zlibModule = () => process.getBuiltinModule('node:zlib');

export type Compression = 'gz' | 'xz' | 'zst' | 'bz2' | 'none';

export function compressionOf(location: string): Compression {
  if (location.endsWith('.gz')) return 'gz';
  if (location.endsWith('.xz')) return 'xz';
  if (location.endsWith('.zst') || location.endsWith('.zstd')) return 'zst';
  if (location.endsWith('.bz2')) return 'bz2';
  return 'none';
}

const CHUNK = 256 * 1024;
/**
 * Decompressed bytes a native decoder may run ahead of the parser: it works on the libuv thread pool while the parser
 * works on the main thread (with the default 16 KiB it waited for each read, and the two took turns).
 */
const AHEAD = 4 * CHUNK;
// The zlib streams take the Transform options too (@types/node's ZlibOptions leaves them out).
const streamOptions = { chunkSize: CHUNK, readableHighWaterMark: AHEAD } as zlib.ZlibOptions;

/** A decompressed size cap enforced inside the decoder (one fzstd push can hold gigabytes of RLE blocks otherwise). */
export interface OutputLimit {
  bytes: number;
  error: () => Error;
}

/** Decompress a stream of byte chunks. */
export async function* decompress(input: AsyncIterable<Uint8Array>, kind: Compression, limit?: OutputLimit): AsyncGenerator<Uint8Array> {
  switch (kind) {
    case 'none':
      yield* input;
      return;
    case 'gz': {
      yield* through(input, zlibModule().createGunzip(streamOptions));
      return;
    }
    case 'xz': {
      const xz = (await import('xz-decompress')).default;
      const web = new (xz as unknown as typeof import('xz-decompress')).XzReadableStream(Readable.toWeb(Readable.from(input)) as ReadableStream<Uint8Array>);
      yield* web as unknown as AsyncIterable<Uint8Array>;
      return;
    }
    case 'zst': {
      const native = (zlibModule() as unknown as { createZstdDecompress?: (o?: object) => NodeJS.ReadWriteStream })
        .createZstdDecompress;
      if (native) {
        yield* through(input, native(streamOptions) as unknown as Transform);
        return;
      }
      yield* fzstdStream(input, limit);
      return;
    }
    case 'bz2':
      throw new Error('bzip2-compressed metadata is not supported');
  }
}

/** Pipe input through a transform, passing the input's errors (e.g. a checksum mismatch) on to the reader. */
function through(input: AsyncIterable<Uint8Array>, t: Transform): AsyncIterable<Uint8Array> {
  const src = Readable.from(input);
  src.on('error', (e) => t.destroy(e));
  return src.pipe(t) as AsyncIterable<Uint8Array>;
}

async function* fzstdStream(input: AsyncIterable<Uint8Array>, limit?: OutputLimit): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let total = 0;
  // Called once per zstd block (at most 128 KiB): throwing here stops the push before the next block is decoded.
  const { Decompress: ZstdDecompress } = await import('fzstd');
  const d = new ZstdDecompress((chunk) => {
    total += chunk.length;
    if (limit && total > limit.bytes) throw limit.error();
    out.push(chunk);
  });
  for await (const c of input) {
    d.push(c);
    while (out.length) yield out.shift()!;
  }
  d.push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}
