import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type SqliteDatabase = Database.Database;

/** The database file cannot be used: says which file, what is wrong and what to do. */
export class DatabaseUnusableError extends Error {
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the database ${file} ${problem}. Stop the service, move the file (and its -wal/-shm files) aside, and start again: ` +
        'an empty database is created (compose records are lost; images and logs stay in the blobs directory), ' +
        'or restore the file from a backup.',
      options,
    );
    this.name = 'DatabaseUnusableError';
  }
}

/**
 * Opens (and creates) a SQLite database shared safely by several processes: WAL, a busy timeout, normal sync. A damaged
 * file is reported here, at start, instead of as failures of later requests.
 */
export function openDatabase(file: string): SqliteDatabase {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    // Several processes (API, runners) write: wait for the lock instead of failing with SQLITE_BUSY.
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = NORMAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new DatabaseUnusableError(file, `is damaged (SQLite quick_check: ${String(check).slice(0, 200)})`);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof DatabaseUnusableError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new DatabaseUnusableError(file, 'is not a readable SQLite database', { cause: error });
    throw error;
  }
}
