/**
 * Issue 16 "Koji": the claim on a compose's Koji import is a lease. A settler that dies (claims and never finishes, or
 * hangs mid-upload) does not leave the build reserved: once its lease runs out the local workers' sweep (the second
 * settler) imports it, exactly once; the stalled one, when it wakes, finds its lease taken over and imports nothing.
 * The status-events path waits for another settler's lease and, still held, throws so the stream retries.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import type { BlobStore } from '../../layers/src/ports/blob-store.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { readKojiState, settleKojiBuild, settleKojiBuildOf } from '../../functions/composer-v2/koji/koji-builds.ts';
import { KOJI_SETTLE_TASK } from '../../functions/composer-v2/koji/koji-settle-lease.ts';
import type { KojiHubStandIn } from './koji-hub-stand-in.ts';
import { startKojiStack, type KojiStack } from './koji-stack.ts';

const ORG = 'koji-lease-org';
let stack: LocalStack;
let hub: KojiHubStandIn;
let token: string;

const count = (call: string) => hub.calls.filter((c) => c === call).length;

/** A koji compose of the test distribution, accepted; its reserved hub build. */
async function startKojiCompose(release: string) {
  const res = await fetch(`${stack.url}/api/image-builder-composer/v2/compose`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      distribution: 'test-distro-1',
      image_requests: [{ architecture: 'x86_64', image_type: 'tar', repositories: [] }],
      koji: { server: hub.url, task_id: 77, name: 'lease-tar', version: '1', release },
    }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return { id, build: [...hub.builds.values()].find((b) => b.nvr.release === release)! };
}

const untilSuccess = (id: string) => expect.poll(async () => (await stack.deps.store.get(ORG, id))?.state, { timeout: 60_000, interval: 20 }).toBe('success');

/** The stack's deps whose blob store hands out the compose's image as a stream that stalls until `release()`. */
function stallingImage(deps: ServiceDeps, key: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const blobs = new Proxy(deps.blobs, {
    get(target, property) {
      if (property === 'get') {
        return async (k: string, options?: never) => {
          const stream = await target.get(k, options);
          if (k !== key || !stream) return stream;
          return Readable.from((async function* () {
            await released;
            yield* stream;
          })());
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as BlobStore;
  return { deps: { ...deps, blobs }, release };
}

describe('the Koji import claim is a lease', () => {
  let koji: KojiStack | undefined;
  beforeAll(async () => {
    koji = await startKojiStack('koji-lease');
    ({ hub, stack } = koji);
    token = await stack.mintToken(ORG);
  }, 60_000);
  afterAll(() => koji?.close());

  it('a settler that claimed and died: the sweep imports once its lease has run out, exactly once', async () => {
    const { id, build } = await startKojiCompose('dead');
    const [imports, uploads] = [count('CGImport'), count('uploadFile')];
    // the settler's claim, taken before the sweep can (while building), renewed as the compose finishes; then it dies
    expect(await stack.deps.store.claimTask(ORG, id, KOJI_SETTLE_TASK, { owner: 'dead-settler', seconds: 120 })).toBe(true);
    await untilSuccess(id);
    expect(await stack.deps.store.claimTask(ORG, id, KOJI_SETTLE_TASK, { owner: 'dead-settler', seconds: 3 })).toBe(true);
    const leaseEnd = Date.now() + 3000;
    // the sweep runs every 500 ms meanwhile: nothing is imported while the lease runs
    await new Promise((r) => setTimeout(r, 1000));
    expect(build.state).toBe('reserved');
    expect(count('CGImport')).toBe(imports);
    await expect.poll(() => build.state, { timeout: 40_000, interval: 50 }).toBe('imported');
    expect(Date.now()).toBeGreaterThanOrEqual(leaseEnd);
    // a few sweeps later: still one import of one upload of each file
    await new Promise((r) => setTimeout(r, 1200));
    expect(count('CGImport') - imports).toBe(1);
    expect(count('uploadFile') - uploads).toBe(3);
    expect((await readKojiState(stack.deps, { orgId: ORG, id }))?.state).toBe('imported');
  }, 90_000);

  it('a settler that hangs mid-upload: taken over once its lease runs out; woken, it imports and records nothing', async () => {
    const { id, build } = await startKojiCompose('stalled');
    const [imports, uploads] = [count('CGImport'), count('uploadFile')];
    expect(await stack.deps.store.claimTask(ORG, id, KOJI_SETTLE_TASK, { owner: 'stalling-settler', seconds: 30 })).toBe(true);
    await untilSuccess(id);
    const compose = (await stack.deps.store.get(ORG, id))!;
    const stalled = stallingImage(stack.deps, compose.artifacts[0]!.key);
    // the settler renews its claim with a 1 s lease and hangs reading the image (as a process that stopped)
    const settling = settleKojiBuild(stalled.deps, compose, { lease: { owner: 'stalling-settler', seconds: 1 } });
    await expect.poll(() => build.state, { timeout: 40_000, interval: 50 }).toBe('imported');
    expect(count('CGImport') - imports).toBe(1);
    await expect.poll(async () => (await readKojiState(stack.deps, compose))?.state, { timeout: 60_000, interval: 50 }).toBe('imported');
    stalled.release();
    // woken: its next renewal finds the lease taken over; it uploads nothing more and leaves the record as it is
    expect((await settling)?.state).toBe('imported');
    expect(count('CGImport') - imports).toBe(1);
    expect(count('uploadFile') - uploads).toBe(3);
  }, 90_000);

  it('the status-events path waits for another settler\'s lease, and throws (the stream retries) when it is still held', async () => {
    const { id, build } = await startKojiCompose('held');
    expect(await stack.deps.store.claimTask(ORG, id, KOJI_SETTLE_TASK, { owner: 'busy-settler', seconds: 60 })).toBe(true);
    await untilSuccess(id);
    await expect(settleKojiBuildOf(stack.deps, ORG, id, { waitSeconds: 0.5 })).rejects.toThrow(/still held by another settler/);
    expect(build.state).toBe('reserved');
    // the holder renews with a short lease and then stops: a waiting settler imports once it runs out
    expect(await stack.deps.store.claimTask(ORG, id, KOJI_SETTLE_TASK, { owner: 'busy-settler', seconds: 0.5 })).toBe(true);
    const imports = count('CGImport');
    await settleKojiBuildOf(stack.deps, ORG, id, { waitSeconds: 10, lease: { seconds: 5 } });
    expect(build.state).toBe('imported');
    expect(count('CGImport') - imports).toBe(1);
  }, 90_000);
});
