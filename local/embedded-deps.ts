import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FsBlobStore } from '../layers/src/adapters/embedded/fs-blob-store.ts';
import { SqliteComposeStore } from '../layers/src/adapters/embedded/sqlite-compose-store.ts';
import { SqliteJobQueue } from '../layers/src/adapters/embedded/sqlite-job-queue.ts';
import { openDatabase } from '../layers/src/adapters/embedded/sqlite.ts';

export interface EmbeddedConfig {
  /** IBS_DATA_DIR, default ./.ibs-data */
  dataDir: string;
  /** Base URL of the local API, used in download URLs. */
  publicBaseUrl: string;
  /** Receives before a job goes to its dead-letter queue. */
  maxReceives?: number;
}

export const defaultDataDir = (): string => resolve(process.env.IBS_DATA_DIR ?? './.ibs-data');

/** A per-data-directory key that signs local download URLs; created once, shared by every local process. */
function signingKey(dataDir: string): Buffer {
  const file = join(dataDir, 'signing.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}

/** The local-mode adapters: SQLite for composes and queues, the filesystem for blobs. No AWS anywhere. */
export function createEmbeddedAdapters(config: EmbeddedConfig) {
  const db = openDatabase(join(config.dataDir, 'ibs.sqlite'));
  return {
    db,
    store: new SqliteComposeStore(db),
    queue: new SqliteJobQueue(db, { maxReceives: config.maxReceives ?? Number(process.env.IBS_MAX_RECEIVES ?? 3) }),
    blobs: new FsBlobStore({ root: join(config.dataDir, 'blobs'), publicBaseUrl: config.publicBaseUrl, signingKey: signingKey(config.dataDir) }),
  };
}
