/**
 * One process of the SQLite quota race (sqlite-quota-race.test.ts): opens the shared database file, waits for the
 * common start time, then tries to admit its composes of every case at once; prints how many each case admitted.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase } from '../../layers/src/adapters/embedded/sqlite.ts';
import { SqliteComposeStore } from '../../layers/src/adapters/embedded/sqlite-compose-store.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';

interface RaceCase {
  org: string;
  maxInWindow: number;
  maxUnfinished: number;
}

const [file, startAt, attempts, casesJson] = process.argv.slice(2);
const store = new SqliteComposeStore(openDatabase(file));
const compose = (orgId: string): Compose => {
  const now = new Date().toISOString();
  const spec = { distribution: 'test-distro-1', architecture: 'x86_64', imageType: 'tar', size: 0, uploadType: 'aws.s3' };
  return { id: randomUUID(), orgId, request: {}, spec, state: 'pending', createdAt: now, updatedAt: now, attempt: 0, artifacts: [], seed: 's' };
};
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const admitted = await Promise.all(
  (JSON.parse(casesJson) as RaceCase[]).map(async ({ org, maxInWindow, maxUnfinished }) => {
    const quota = { windowStart: '2000-01-01T00:00:00.000Z', maxInWindow, maxUnfinished };
    const outcomes = await Promise.all(Array.from({ length: Number(attempts) }, () => store.createWithinQuota(compose(org), quota)));
    return outcomes.filter((o) => o === undefined).length;
  }),
);
process.stdout.write(JSON.stringify(admitted));
