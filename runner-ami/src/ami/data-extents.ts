/**
 * Where a sparse raw disk has data: lseek(SEEK_DATA/SEEK_HOLE), which Node does not expose, through python3 (osbuild
 * needs it, so every runner has it). A 10 GiB image with 1.5 GiB written is then read for 1.5 GiB, not 10.
 * Without python3 (or on a file system that does not report holes) the whole file is one extent.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SCRIPT = `
import json, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.fstat(fd).st_size
extents, offset = [], 0
while offset < size:
    try:
        start = os.lseek(fd, offset, os.SEEK_DATA)
    except OSError:
        break
    end = os.lseek(fd, start, os.SEEK_HOLE)
    extents.append([start, end])
    offset = end
print(json.dumps(extents))
`;

export type Extent = [start: number, end: number];

export async function dataExtentsOf(path: string, size: number): Promise<Extent[]> {
  try {
    const { stdout } = await run('python3', ['-c', SCRIPT, path], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    const extents = JSON.parse(stdout) as Extent[];
    if (Array.isArray(extents) && extents.every((e) => Array.isArray(e) && e.length === 2 && e[0] <= e[1])) return extents;
  } catch {
    // No python3 or no hole reporting: read everything.
  }
  return size > 0 ? [[0, size]] : [];
}

/** Indexes of the `blockBytes` blocks that overlap a data extent, ascending and without repeats. */
export function blocksOfExtents(extents: readonly Extent[], blockBytes: number): number[] {
  const blocks: number[] = [];
  let last = -1;
  for (const [start, end] of extents) {
    if (end <= start) continue;
    for (let index = Math.max(last + 1, Math.floor(start / blockBytes)); index <= Math.floor((end - 1) / blockBytes); index++) {
      blocks.push(index);
      last = index;
    }
  }
  return blocks;
}
