import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { ComposeError } from '../../layers/src/compose/compose.ts';
import { ComposeErrorId, composeError } from '../../layers/src/compose/compose-errors.ts';
import { listStoreDirs } from './build-cache.ts';

export interface DiskSpace {
  free: number;
  total: number;
}

export async function diskSpaceOf(dir: string): Promise<DiskSpace> {
  await mkdir(dir, { recursive: true });
  const s = await statfs(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

export const formatBytes = (n: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

/**
 * Bytes a build needs free before it starts: the configured floor, or twice the requested image size
 * (osbuild holds the tree and the image at once, and the export copies the image).
 */
export const requiredFreeBytes = (minFreeBytes: number, imageSize: number): number => Math.max(minFreeBytes, 2 * imageSize);

const SIZE_UNITS: Record<string, number> = { '': 1, kB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3, TB: 1e12, TiB: 1024 ** 4 };

/** osbuild's size strings (osbuild.util.parsing.parse_size): digits with an optional kB…TiB suffix. */
export function parseOsbuildSize(text: string): number | undefined {
  const match = /^\s*(\d+)\s*(kB|KiB|MB|MiB|GB|GiB|TB|TiB)?$/.exec(text);
  return match ? Number(match[1]) * SIZE_UNITS[match[2] ?? '']! : undefined;
}

/**
 * The largest disk image a manifest creates (its `org.osbuild.truncate` stages), for composes that did not ask for a
 * size: the image type's default size is in the manifest, not in the request. 0 for images without a disk (tar, …).
 */
export function imageSizeOf(manifest: unknown): number {
  const pipelines = (manifest as { pipelines?: { stages?: { type?: string; options?: { size?: unknown } }[] }[] })?.pipelines ?? [];
  let largest = 0;
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages ?? []) {
      if (stage.type !== 'org.osbuild.truncate' || typeof stage.options?.size !== 'string') continue;
      largest = Math.max(largest, parseOsbuildSize(stage.options.size) ?? 0);
    }
  }
  return largest;
}

/**
 * Frees space in the osbuild store by removing committed objects, least recently used first (the atime of
 * `object.lock`, osbuild's own eviction order). Only safe while no osbuild uses the store.
 */
export async function evictStoreObjects(storeDirs: string | string[], bytesWanted: number): Promise<number> {
  // Several stores (one per organization): least recently used first across all of them.
  const objectDirs = await Promise.all(
    [storeDirs].flat().map(async (storeDir) => {
      const objectsDir = join(storeDir, 'objects');
      return (await readdir(objectsDir).catch(() => [] as string[])).map((name) => join(objectsDir, name));
    }),
  );
  const objects = await Promise.all(
    objectDirs.flat().map(async (dir) => {
      const lock = await stat(join(dir, 'object.lock')).catch(() => undefined);
      return { dir, used: lock?.atimeMs ?? 0, size: await treeSize(dir) };
    }),
  );
  objects.sort((a, b) => a.used - b.used);
  let freed = 0;
  for (const object of objects) {
    if (freed >= bytesWanted) break;
    await rm(object.dir, { recursive: true, force: true });
    freed += object.size;
  }
  return freed;
}

async function treeSize(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

export interface DiskSpaceCheck {
  workDir: string;
  minFreeBytes: number;
  /** The largest image the build writes (requested or the manifest's own). */
  imageSize: number;
  /** No other build uses the store now, so evicting its cached trees cannot break another osbuild. */
  soleBuild: boolean;
  /** A line for the build log. */
  note: (line: string) => void;
}

/** Makes room for one build (evicting cached trees when it may) or says why there is not enough: `DiskSpace`. */
export async function ensureDiskSpace(check: DiskSpaceCheck): Promise<ComposeError | undefined> {
  const { workDir } = check;
  const required = requiredFreeBytes(check.minFreeBytes, check.imageSize);
  let { free } = await diskSpaceOf(workDir);
  if (free >= required) return undefined;
  if (check.soleBuild) {
    // Every organization's store, and the shared store of runners before stores were per organization.
    const freed = await evictStoreObjects([join(workDir, 'store'), ...(await listStoreDirs(workDir))], required - free);
    if (freed > 0) check.note(`==> evicted ${formatBytes(freed)} from the build cache`);
    ({ free } = await diskSpaceOf(workDir));
    if (free >= required) return undefined;
  }
  const reason = `not enough disk space on the runner: ${formatBytes(free)} free in ${workDir}, ${formatBytes(required)} needed`;
  check.note(`==> ${reason}`);
  return composeError(ComposeErrorId.DiskSpace, reason, { free, required });
}
