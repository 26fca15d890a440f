import { afterEach, describe, expect, it } from 'vitest';
import { logPrefix } from '../../layers/src/compose/blob-keys.ts';
import { ComposeErrorId } from '../../layers/src/compose/compose-errors.ts';
import { FlakyBlobStore } from './fault-ports.ts';
import { ORG, REAL_OSBUILD, composeIn, createWorld, queueCompose, startAgent, type World } from './helpers.ts';

// A refused log write (a full disk behind the BlobStore) is visible in the compose, and the build's result stays honest
// (issue 17, item 9).

let world: World | undefined;
afterEach(async () => {
  await world?.cleanup();
  world = undefined;
});

const noSpace = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
const isLog = (key: string) => key.startsWith('logs/');

describe('runner and a BlobStore that refuses log writes', { timeout: 120_000 }, () => {
  it('no log chunk can be stored: the build still succeeds, and the compose records that its log could not be stored', async () => {
    world = createWorld();
    const w = world;
    const blobs = new FlakyBlobStore(w.deps.blobs, isLog, Number.POSITIVE_INFINITY, noSpace);
    const { agent } = await startAgent(w, { blobs });
    try {
      const compose = await queueCompose(w.deps);
      const done = await composeIn(w, compose.id, 'success', 'failure');
      expect(done.state).toBe('success');
      expect(done.artifacts?.length).toBeGreaterThan(0);
      const logError = (done.result as { logError?: string } | undefined)?.logError;
      expect(logError).toMatch(/^the build log could not be stored: (\d+) of \1 chunks refused \(ENOSPC: no space left on device/);
      expect(await w.deps.blobs.list(logPrefix(ORG, compose.id))).toEqual([]);
    } finally {
      await agent.shutdown('test over');
    }
  });

  it.skipIf(Boolean(REAL_OSBUILD))('a failed build whose log is incomplete keeps its own error and says so in the error details (osbuild test double: injected stage failure)', async () => {
    world = createWorld();
    const w = world;
    // The first chunk's three attempts are refused, later chunks are stored. A pause before each stage, longer than the
    // log's flush interval (200 ms), spreads the output over several chunks however fast the double runs.
    const blobs = new FlakyBlobStore(w.deps.blobs, isLog, 3, noSpace);
    process.env.OSBUILD_DOUBLE_FAIL_STAGE = 'org.osbuild.tar';
    process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS = '250';
    const { agent } = await startAgent(w, { blobs, env: { IBS_MAX_RECEIVES: '1' } });
    try {
      const compose = await queueCompose(w.deps);
      const done = await composeIn(w, compose.id, 'success', 'failure');
      expect(done.state).toBe('failure');
      expect(done.result?.error?.id).toBe(ComposeErrorId.BuildFailed);
      expect(done.result?.error?.reason).not.toMatch(/log/);
      const logError = (done.result as { logError?: string }).logError;
      expect(logError).toMatch(/^the build log is incomplete: 1 of \d+ chunks could not be stored \(last error: ENOSPC/);
      expect(done.result?.error?.details).toMatchObject({ logError });
      expect((await w.deps.blobs.list(logPrefix(ORG, compose.id))).length).toBeGreaterThan(0);
    } finally {
      await agent.shutdown('test over');
      delete process.env.OSBUILD_DOUBLE_FAIL_STAGE;
      delete process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS;
    }
  });
});
