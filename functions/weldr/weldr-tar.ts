/**
 * The tar files composer's Weldr API answers with (compose logs, metadata, results): POSIX ustar entries written as a
 * stream, so a results tar can carry a multi-gigabyte image without holding it in memory.
 */
import { Readable } from 'node:stream';

export interface TarEntry {
  name: string;
  size: number;
  mode?: number;
  /** The bytes, or a stream of exactly `size` bytes. */
  body: Buffer | (() => Promise<Readable | undefined>);
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header block (names up to 100 bytes, as every name composer writes). */
export function tarHeader(name: string, size: number, mode = 0o644, mtime = Math.floor(Date.now() / 1000)): Buffer {
  const header = Buffer.alloc(BLOCK);
  header.write(name.slice(0, 100), 0, 'utf8');
  header.write(octal(mode, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(mtime, 12), 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\x0000', 257, 'binary');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** A tar archive of the entries, streamed in order, ending with the two zero blocks. */
export function streamTar(entries: TarEntry[]): Readable {
  async function* generate() {
    for (const entry of entries) {
      yield tarHeader(entry.name, entry.size, entry.mode);
      if (Buffer.isBuffer(entry.body)) yield entry.body;
      else {
        const stream = await entry.body();
        let written = 0;
        if (stream) {
          for await (const chunk of stream) {
            const bytes = Buffer.from(chunk as Buffer);
            written += bytes.length;
            yield bytes;
          }
        }
        // A short stream would corrupt every following header: pad to the size announced.
        if (written < entry.size) yield Buffer.alloc(entry.size - written);
      }
      yield padding(entry.size);
    }
    yield Buffer.alloc(BLOCK * 2);
  }
  return Readable.from(generate());
}
