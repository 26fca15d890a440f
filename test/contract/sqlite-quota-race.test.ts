/**
 * Quota admission on SQLite across processes (local processes share the database file): several processes start
 * admitting at the same instant; exactly the quota is admitted, and the database holds exactly those.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../layers/src/adapters/embedded/sqlite.ts';
import { SqliteComposeStore } from '../../layers/src/adapters/embedded/sqlite-compose-store.ts';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, 'sqlite-admission-child.ts');
const CASES = [
  { org: 'org-window', maxInWindow: 7, maxUnfinished: 100 },
  { org: 'org-concurrent', maxInWindow: 100, maxUnfinished: 5 },
];

describe('SQLite quota admission across processes', () => {
  it('admits exactly the quota when 3 processes race with 6 admissions each', { timeout: 60_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ibs-quota-race-')), 'ibs.sqlite');
    const store = new SqliteComposeStore(openDatabase(file));
    // Far enough ahead for every process to load and open the database first.
    const args = [file, String(Date.now() + 4000), '6', JSON.stringify(CASES)];
    const outputs = await Promise.all(Array.from({ length: 3 }, () => run(process.execPath, ['--import', 'tsx', CHILD, ...args], { timeout: 30_000 })));
    const perProcess = outputs.map(({ stdout }) => JSON.parse(stdout) as number[]);
    for (const [i, { org, maxInWindow, maxUnfinished }] of CASES.entries()) {
      const admitted = perProcess.map((counts) => counts[i]);
      expect(admitted.reduce((a, b) => a + b, 0), `${org} admitted per process: ${admitted.join(', ')}`).toBe(Math.min(maxInWindow, maxUnfinished));
      expect((await store.list(org, { limit: 100, offset: 0 })).total).toBe(Math.min(maxInWindow, maxUnfinished));
    }
  });
});
