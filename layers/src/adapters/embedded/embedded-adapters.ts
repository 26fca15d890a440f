/** The embedded (local-mode) adapter factory, beside the adapters it wires: SQLite and the filesystem, no AWS. */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FsBlobStore } from './fs-blob-store.ts';
import { SqliteBlueprintStore } from './sqlite-blueprint-store.ts';
import { SqliteComposeStore } from './sqlite-compose-store.ts';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { openDatabase } from './sqlite.ts';

export interface EmbeddedAdaptersConfig {
  /** The data directory (IBS_DATA_DIR, read by the caller's config). */
  dataDir: string;
  /** Base URL of the local API, used in download URLs. */
  publicBaseUrl: string;
  /** Receives before a job goes to its dead-letter queue (IBS_MAX_RECEIVES in the callers' config); default 3. */
  maxReceives?: number;
}

export type EmbeddedAdapters = ReturnType<typeof createEmbeddedAdapters>;

/** A per-data-directory key that signs local download URLs; created once, shared by every local process. */
export function readSigningKey(dataDir: string): Buffer {
  const file = join(dataDir, 'signing.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}

/** SQLite for composes and queues, the filesystem for blobs, all under `dataDir` (shared by the API and runners). */
export function createEmbeddedAdapters(config: EmbeddedAdaptersConfig) {
  const file = join(config.dataDir, 'ibs.sqlite');
  createPrivateFile(config.dataDir, file);
  const db = openDatabase(file);
  return {
    db,
    store: new SqliteComposeStore(db),
    blueprints: new SqliteBlueprintStore(db),
    queue: new SqliteJobQueue(db, { maxReceives: config.maxReceives ?? 3 }),
    blobs: new FsBlobStore({ root: join(config.dataDir, 'blobs'), publicBaseUrl: config.publicBaseUrl, signingKey: readSigningKey(config.dataDir) }),
  };
}

/**
 * The data directory (0700) and an owner-only file in it (0600): compose records and the signing key are nobody
 * else's to read. SQLite gives its -wal/-shm files the database file's mode.
 */
function createPrivateFile(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}
