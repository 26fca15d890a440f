/**
 * Issue 16, several images per compose, the AWS path: the status-events function settles on the state change of
 * whichever image's compose finished (`settleKojiBuildOf` with that compose's id). Without workers or runners (the
 * embedded adapters only), image states are set directly: the build stays reserved while an image is in the works,
 * and the second image's failure, seen through its own id, cancels the first and refunds the one build (FAILED).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptComposerCompose } from '../../functions/composer-v2/composer-compose.ts';
import { readKojiState, settleKojiBuildOf } from '../../functions/composer-v2/koji/koji-builds.ts';
import { KOJI_BUILD_STATE } from '../../functions/composer-v2/koji/koji-session.ts';
import { createWorld, type World } from '../runner/helpers.ts';
import { startKojiHubStandIn, type KojiHubStandIn } from './koji-hub-stand-in.ts';

const ORG = 'koji-multi-settle';

describe('settling a two-image Koji compose from either image (status-events)', () => {
  let world: World;
  let hub: KojiHubStandIn;
  const previousHubs = process.env.IBS_KOJI_HUBS;
  beforeAll(async () => {
    hub = await startKojiHubStandIn();
    process.env.IBS_KOJI_HUBS = hub.url;
    world = createWorld();
  });
  afterAll(async () => {
    await world?.cleanup();
    await hub?.close();
    if (previousHubs === undefined) delete process.env.IBS_KOJI_HUBS;
    else process.env.IBS_KOJI_HUBS = previousHubs;
  });

  const twoImages = (release: string) => ({
    distribution: 'test-distro-1',
    image_requests: [
      { architecture: 'x86_64', image_type: 'tar', repositories: [] },
      { architecture: 'x86_64', image_type: 'aws', repositories: [] },
    ],
    koji: { server: hub.url, task_id: 5, name: 'settle', version: '1', release },
  });
  /** Walks an image's compose along the states a runner would (pending → queued → building → uploading → success). */
  const finish = async (id: string, to: 'success' | 'failure') => {
    const path = to === 'success' ? (['queued', 'building', 'uploading', 'success'] as const) : (['failure'] as const);
    for (const state of path) {
      const current = (await world.deps.store.get(ORG, id))!.state;
      const moved = await world.deps.store.transition(ORG, id, { from: [current], to: state, set: state === to ? { finishedAt: new Date().toISOString() } : {} });
      if (!moved) return false;
    }
    return true;
  };

  it('waits for every image, then refunds on the second image failing (settled through its own id)', async () => {
    const { deps } = world;
    const compose = await acceptComposerCompose(deps, ORG, twoImages('1'));
    const [first, second] = compose.composerImages!;
    expect(first).toBe(compose.id);
    expect((await deps.store.get(ORG, second!))?.composerParent).toBe(compose.id);
    const build = [...hub.builds.values()].find((b) => b.nvr.release === '1')!;

    // The first image succeeded, the second is still in the works: nothing is settled yet.
    expect(await finish(first!, 'success')).toBeTruthy();
    await settleKojiBuildOf(deps, ORG, first!);
    expect(build.state).toBe('reserved');
    expect((await readKojiState(deps, compose))?.state).toBe('reserved');

    expect(await finish(second!, 'failure')).toBeTruthy();
    await settleKojiBuildOf(deps, ORG, second!);
    expect(build).toMatchObject({ state: 'refunded', refundState: KOJI_BUILD_STATE.failed });
    expect((await readKojiState(deps, compose))?.state).toBe('refunded');
    expect(hub.calls).not.toContain('CGImport');
  });

  it('an image failing cancels the images still in the works before the refund', async () => {
    const { deps } = world;
    const compose = await acceptComposerCompose(deps, ORG, twoImages('2'));
    const [first, second] = compose.composerImages!;
    expect(await finish(second!, 'failure')).toBeTruthy();
    await settleKojiBuildOf(deps, ORG, second!);
    expect((await deps.store.get(ORG, first!))?.state).toBe('cancelled');
    expect([...hub.builds.values()].find((b) => b.nvr.release === '2')).toMatchObject({ state: 'refunded', refundState: KOJI_BUILD_STATE.failed });
  });
});
