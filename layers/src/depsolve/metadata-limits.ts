/**
 * Size caps on repository metadata: a user-supplied repository must not exhaust a function's memory or time with a huge
 * repomd.xml or a decompression bomb. Sizes are counted while streaming, so nothing over the cap is ever held.
 */
import type { RepomdRecord } from './metadata-parsers.ts';

const MiB = 1024 * 1024;

export interface MetadataLimits {
  /** repomd.xml, metalink and mirrorlist (read whole into memory). */
  documentBytes: number;
  /** Any metadata record as downloaded (compressed). */
  compressedBytes: number;
  /** Decompressed primary.xml. */
  primaryBytes: number;
  /** Decompressed filelists.xml (much larger than primary in big distributions). */
  filelistsBytes: number;
  /** Decompressed comps (groups), read whole into memory. */
  groupBytes: number;
}

/** Generous for Fedora/RHEL (Fedora's everything repository: primary ~0.2 GiB, filelists ~1 GiB decompressed). */
export const DEFAULT_METADATA_LIMITS: MetadataLimits = {
  documentBytes: 8 * MiB,
  compressedBytes: 512 * MiB,
  primaryBytes: 512 * MiB,
  filelistsBytes: 2048 * MiB,
  groupBytes: 64 * MiB,
};

/** Metadata larger than its cap: the message names the file and the cap. */
export class LimitError extends Error {
  constructor(what: string, cap: number, kind: 'compressed' | 'decompressed' | 'whole', actual?: number) {
    super(`${what} is larger than the ${kind === 'whole' ? '' : `${kind} `}size limit of ${formatBytes(cap)}${actual !== undefined ? ` (${formatBytes(actual)})` : ''}`);
  }
}

function formatBytes(n: number): string {
  return n >= MiB ? `${+(n / MiB).toFixed(1)} MiB` : `${n} bytes`;
}

/** The compressed and decompressed caps of one record. */
export function limitsOf(limits: MetadataLimits, record: RepomdRecord): { compressed: number; decompressed: number } {
  const type = record.type;
  const decompressed = type === 'primary' ? limits.primaryBytes : type === 'filelists' ? limits.filelistsBytes : type.startsWith('group') ? limits.groupBytes : limits.primaryBytes;
  return { compressed: limits.compressedBytes, decompressed };
}

/** Pass chunks on until more than `cap` bytes went through, then throw a LimitError. */
export async function* capBytes(chunks: AsyncIterable<Uint8Array>, cap: number, what: string): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const c of chunks) {
    total += c.length;
    if (total > cap) throw new LimitError(what, cap, 'decompressed');
    yield c;
  }
}

/** Read a small document (repomd.xml, metalink, mirrorlist) whole, refusing one over `cap` bytes. */
export async function readCapped(res: Response, cap: number, what: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > cap) {
    await res.body?.cancel().catch(() => {});
    throw new LimitError(what, cap, 'whole', declared);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const c of (res.body ?? []) as AsyncIterable<Uint8Array>) {
    total += c.length;
    if (total > cap) throw new LimitError(what, cap, 'whole');
    parts.push(c);
  }
  return Buffer.concat(parts);
}
