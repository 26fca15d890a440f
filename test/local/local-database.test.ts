import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseUnusableError, openDatabase } from '../../layers/src/adapters/embedded/sqlite.ts';

describe('a damaged local database is reported at start with what to do', () => {
  it('a file that is not SQLite', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ibs-db-')), 'ibs.sqlite');
    writeFileSync(file, 'this is not a database, just text that replaced it '.repeat(200));
    expect(() => openDatabase(file)).toThrow(DatabaseUnusableError);
    expect(() => openDatabase(file)).toThrow(/is not a readable SQLite database. Stop the service, move the file .* aside/);
  });

  it('a database whose pages are damaged', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ibs-db-')), 'ibs.sqlite');
    const db = openDatabase(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT); CREATE INDEX t_doc ON t(doc);');
    const insert = db.prepare('INSERT INTO t (doc) VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run(`document ${i} ${'x'.repeat(100)}`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    // Overwrite the middle of the file (index and table pages), keeping the header intact.
    const bytes = readFileSync(file);
    bytes.fill(0xa5, 4096 * 3, bytes.length - 4096);
    writeFileSync(file, bytes);
    expect(() => openDatabase(file)).toThrow(/is (damaged|not a readable SQLite database)/);
  });

  it('npm start says so in one line and exits', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ibs-db-start-'));
    writeFileSync(join(dataDir, 'ibs.sqlite'), 'garbage '.repeat(1000));
    const run = await execa('node', ['--import', 'tsx', 'local/start.ts'], {
      env: { IBS_PORT: '0', IBS_RUNNERS: '0', IBS_DATA_DIR: dataDir },
      reject: false,
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/ibs: could not start: the database .*ibs\.sqlite is not a readable SQLite database/);
  });
});
