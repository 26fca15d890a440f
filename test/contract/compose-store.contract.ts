import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import { ComposeExistsError } from '../../layers/src/ports/compose-store.ts';

export function newCompose(orgId: string, overrides: Partial<Compose> = {}): Compose {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    orgId,
    request: { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] },
    spec: { distribution: 'test-distro-1', architecture: 'x86_64', imageType: 'tar', size: 0, uploadType: 'aws.s3' },
    state: 'pending',
    createdAt: now,
    updatedAt: now,
    attempt: 0,
    artifacts: [],
    seed: 'seed',
    ...overrides,
  };
}

/** The ComposeStore contract: every adapter (SQLite, DynamoDB) must pass the same assertions. */
export function describeComposeStoreContract(name: string, makeStore: () => Promise<ComposeStore>) {
  describe(`ComposeStore contract: ${name}`, () => {
    it('creates and reads back a compose, keyed by organization', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`);
      await store.create(compose);
      expect(await store.get(compose.orgId, compose.id)).toMatchObject({ id: compose.id, state: 'pending', seed: 'seed' });
      expect((await store.get(compose.orgId, compose.id))?.history).toEqual([{ state: 'pending', at: compose.createdAt }]);
      expect(await store.get('another-org', compose.id)).toBeUndefined();
    });

    it('refuses to create the same id twice', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`);
      await store.create(compose);
      await expect(store.create(compose)).rejects.toBeInstanceOf(ComposeExistsError);
    });

    it('a soft-deleted compose leaves the lists (and their totals) but stays readable by id for the runners', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const kept = newCompose(org, { createdAt: '2026-01-01T00:00:00.000Z' });
      const gone = newCompose(org, { createdAt: '2026-01-02T00:00:00.000Z' });
      await store.create(kept);
      await store.create(gone);
      expect(await store.patch(org, gone.id, { deletedAt: '2026-01-03T00:00:00.000Z' })).toMatchObject({ deletedAt: '2026-01-03T00:00:00.000Z' });
      const page = await store.list(org, { limit: 10, offset: 0 });
      expect(page.items.map((c) => c.id)).toEqual([kept.id]);
      expect(page.total).toBe(1);
      expect((await store.get(org, gone.id))?.deletedAt).toBe('2026-01-03T00:00:00.000Z');
    });

    it('lists newest first with limit, offset and total, only for the organization', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const created: Compose[] = [];
      for (let i = 0; i < 5; i++) {
        const c = newCompose(org, { createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
        created.push(c);
        await store.create(c);
      }
      await store.create(newCompose(`other-${randomUUID()}`));
      const first = await store.list(org, { limit: 2, offset: 0 });
      expect(first.total).toBe(5);
      expect(first.items.map((c) => c.id)).toEqual([created[4].id, created[3].id]);
      const last = await store.list(org, { limit: 2, offset: 4 });
      expect(last.items.map((c) => c.id)).toEqual([created[0].id]);
    });

    it('transitions only from the expected state and changes nothing otherwise', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`);
      await store.create(compose);
      expect(await store.transition(compose.orgId, compose.id, { from: ['queued'], to: 'building' })).toBeUndefined();
      expect((await store.get(compose.orgId, compose.id))?.state).toBe('pending');
      const queued = await store.transition(compose.orgId, compose.id, { from: ['pending'], to: 'queued', set: { manifestKey: 'm' } });
      expect(queued).toMatchObject({ state: 'queued', manifestKey: 'm' });
      await store.transition(compose.orgId, compose.id, { from: ['queued'], to: 'building' });
      const history = (await store.get(compose.orgId, compose.id))?.history ?? [];
      expect(history.map((h) => h.state)).toEqual(['pending', 'queued', 'building']);
      expect(history.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);
    });

    it('enforces the lifecycle even when the caller allows the current state', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`, { state: 'success' });
      await store.create(compose);
      expect(await store.transition(compose.orgId, compose.id, { from: ['success'], to: 'building' })).toBeUndefined();
      expect((await store.get(compose.orgId, compose.id))?.state).toBe('success');
    });

    it('lets exactly one of two concurrent claims win', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`, { state: 'queued' });
      await store.create(compose);
      const claims = await Promise.all(
        ['runner-a', 'runner-b'].map((runnerId) =>
          store.transition(compose.orgId, compose.id, { from: ['queued'], to: 'building', set: { runnerId, attempt: 1 } }),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('lets a cancel and a runner\'s success race: exactly one wins, and after the cancel no owned write lands', async () => {
      const store = await makeStore();
      const owner = { runnerId: 'r1', jobMessageId: 'm1', attemptBelow: 2 };
      for (let i = 0; i < 10; i++) {
        const compose = newCompose(`org-${randomUUID()}`, { state: 'uploading', runnerId: 'r1', attempt: 1, jobMessageId: 'm1' });
        await store.create(compose);
        const key = [compose.orgId, compose.id] as const;
        // The API's cancel: conditional on the state it read, not on an owner.
        const cancel = () => store.transition(...key, { from: ['uploading'], to: 'cancelled', set: { cancelRequestedAt: new Date().toISOString() } });
        const succeed = () => store.transition(...key, { from: ['uploading'], to: 'success', set: { artifacts: [] }, ...owner });
        // Either write first, alternately.
        const [cancelled, succeeded] = i % 2 ? await Promise.all([cancel(), succeed()]) : (await Promise.all([succeed(), cancel()])).reverse();
        expect(Boolean(cancelled) !== Boolean(succeeded)).toBe(true);
        const final = await store.get(...key);
        expect(final?.state).toBe(cancelled ? 'cancelled' : 'success');
        if (!cancelled) continue;
        expect(await store.transition(...key, { from: ['building', 'uploading'], to: 'failure', ...owner })).toBeUndefined();
        expect(await store.transition(...key, { from: ['building', 'uploading'], to: 'queued', ...owner })).toBeUndefined();
        expect(await store.patch(...key, { heartbeatAt: new Date().toISOString() }, { state: ['building', 'uploading'], runnerId: 'r1' })).toBeUndefined();
        expect((await store.get(...key))?.state).toBe('cancelled');
      }
    });

    it('checks runner, job message and attempt conditions', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`, { state: 'building', runnerId: 'r1', attempt: 2, jobMessageId: 'm1' });
      await store.create(compose);
      const key = [compose.orgId, compose.id] as const;
      expect(await store.transition(...key, { from: ['building'], to: 'uploading', runnerId: 'r2' })).toBeUndefined();
      expect(await store.transition(...key, { from: ['building'], to: 'building', jobMessageId: 'm2', attemptBelow: 3 })).toBeUndefined();
      expect(await store.transition(...key, { from: ['building'], to: 'building', jobMessageId: 'm1', attemptBelow: 2 })).toBeUndefined();
      const takeover = await store.transition(...key, {
        from: ['building'],
        to: 'building',
        jobMessageId: 'm1',
        attemptBelow: 3,
        set: { runnerId: 'r2', attempt: 3 },
      });
      expect(takeover).toMatchObject({ runnerId: 'r2', attempt: 3 });
    });

    it('checks the owning delivery and the heartbeat age', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`, {
        state: 'building',
        runnerId: 'r1',
        attempt: 4,
        delivery: 2,
        jobMessageId: 'm1',
        heartbeatAt: '2026-11-27T10:00:30.000Z',
      });
      await store.create(compose);
      const key = [compose.orgId, compose.id] as const;
      const takeover = { from: ['building'] as const, to: 'building' as const, jobMessageId: 'm1', attemptBelow: 5 };
      // Not a newer delivery.
      expect(await store.transition(...key, { ...takeover, deliveryBelow: 2, heartbeatBefore: '2026-11-27T10:05:00.000Z' })).toBeUndefined();
      // A newer delivery, but the owner heartbeated after the cut-off: it is alive.
      expect(await store.transition(...key, { ...takeover, deliveryBelow: 3, heartbeatBefore: '2026-11-27T10:00:30.000Z' })).toBeUndefined();
      const taken = await store.transition(...key, {
        ...takeover,
        deliveryBelow: 3,
        heartbeatBefore: '2026-11-27T10:01:00.000Z',
        set: { runnerId: 'r2', attempt: 5, delivery: 3, heartbeatAt: '2026-11-27T10:02:00.000Z' },
      });
      expect(taken).toMatchObject({ runnerId: 'r2', attempt: 5, delivery: 3 });
      // A record without `delivery` (written before it existed) compares its attempt.
      const old = newCompose(`org-${randomUUID()}`, { state: 'building', attempt: 2, jobMessageId: 'm9' });
      await store.create(old);
      expect(await store.transition(old.orgId, old.id, { from: ['building'], to: 'building', deliveryBelow: 2 })).toBeUndefined();
      expect(await store.transition(old.orgId, old.id, { from: ['building'], to: 'building', deliveryBelow: 3, heartbeatBefore: '2026-01-01T00:00:00.000Z' })).toBeDefined();
    });

    it('patches progress only under its conditions', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`, { state: 'building', runnerId: 'r1' });
      await store.create(compose);
      const progress = { done: 1, total: 3, subprogress: { done: 2, total: 5 }, pipeline: 'os', stage: 'org.osbuild.rpm' };
      expect(await store.patch(compose.orgId, compose.id, { progress }, { runnerId: 'r2' })).toBeUndefined();
      expect(await store.patch(compose.orgId, compose.id, { progress }, { state: ['queued'] })).toBeUndefined();
      const patched = await store.patch(compose.orgId, compose.id, { progress, heartbeatAt: '2026-01-01T00:00:00.000Z' }, { runnerId: 'r1', state: ['building'] });
      expect(patched?.progress).toEqual(progress);
      expect((await store.get(compose.orgId, compose.id))?.heartbeatAt).toBe('2026-01-01T00:00:00.000Z');
      expect(await store.patch(compose.orgId, randomUUID(), { progress })).toBeUndefined();
    });

    it('lists one blueprint\'s live composes (and one version\'s), newest first, paged, only for the organization', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const blueprintId = randomUUID();
      const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      const made: Compose[] = [];
      for (let i = 0; i < 5; i++) {
        const c = newCompose(org, { createdAt: at(i), blueprint: { id: blueprintId, version: i < 3 ? 1 : 2 } });
        made.push(c);
        await store.create(c);
      }
      await store.create(newCompose(org, { createdAt: at(9), blueprint: { id: randomUUID(), version: 1 } }));
      await store.create(newCompose(org, { createdAt: at(8) }));
      await store.create(newCompose(`other-${randomUUID()}`, { blueprint: { id: blueprintId, version: 1 } }));
      await store.patch(org, made[1].id, { deletedAt: at(10) });

      const first = await store.listByBlueprint(org, { blueprintId, limit: 2, offset: 0 });
      expect(first.total).toBe(4);
      expect(first.items.map((c) => c.id)).toEqual([made[4].id, made[3].id]);
      const rest = await store.listByBlueprint(org, { blueprintId, limit: 10, offset: 2 });
      expect(rest.items.map((c) => c.id)).toEqual([made[2].id, made[0].id]);
      const v1 = await store.listByBlueprint(org, { blueprintId, version: 1, limit: 1, offset: 1 });
      expect({ total: v1.total, ids: v1.items.map((c) => c.id) }).toEqual({ total: 2, ids: [made[0].id] });
      expect((await store.listByBlueprint(org, { blueprintId, version: 3, limit: 10, offset: 0 })).total).toBe(0);
      expect((await store.listByBlueprint(`other-${randomUUID()}`, { blueprintId, limit: 10, offset: 0 })).items).toEqual([]);
    });

    it('admits composes within the window quota, counting deleted ones, and only those created since the window start', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const quota = { windowStart: '2026-06-01T00:00:00.000Z', maxInWindow: 2, maxUnfinished: 100 };
      // Before the window: does not count.
      expect(await store.createWithinQuota(newCompose(org, { createdAt: '2026-05-31T23:59:59.999Z', state: 'success' }), quota)).toBeUndefined();
      const inside = newCompose(org, { createdAt: '2026-06-01T00:00:00.000Z', state: 'success' });
      expect(await store.createWithinQuota(inside, quota)).toBeUndefined();
      await store.patch(org, inside.id, { deletedAt: '2026-06-02T00:00:00.000Z' });
      expect(await store.createWithinQuota(newCompose(org, { createdAt: '2026-06-03T00:00:00.000Z', state: 'success' }), quota)).toBeUndefined();
      const refused = newCompose(org, { createdAt: '2026-06-04T00:00:00.000Z' });
      expect(await store.createWithinQuota(refused, quota)).toEqual({ quota: 'builds-per-window', used: 2 });
      expect(await store.get(org, refused.id)).toBeUndefined();
      // The window slides: once the oldest counted compose is out of it, there is room again.
      expect(await store.createWithinQuota(refused, { ...quota, windowStart: '2026-06-01T00:00:00.001Z' })).toBeUndefined();
      expect(await store.get(org, refused.id)).toBeDefined();
      // Another organization has its own quota.
      expect(await store.createWithinQuota(newCompose(`other-${randomUUID()}`, { createdAt: '2026-06-04T00:00:00.000Z' }), quota)).toBeUndefined();
    });

    it('admits at most the unfinished-compose quota; a finished compose frees its slot', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const quota = { windowStart: '2000-01-01T00:00:00.000Z', maxInWindow: 100, maxUnfinished: 2 };
      const a = newCompose(org);
      const b = newCompose(org, { state: 'queued' });
      expect(await store.createWithinQuota(a, quota)).toBeUndefined();
      expect(await store.createWithinQuota(b, quota)).toBeUndefined();
      const c = newCompose(org);
      expect(await store.createWithinQuota(c, quota)).toEqual({ quota: 'concurrent-builds', used: 2 });
      expect(await store.get(org, c.id)).toBeUndefined();
      await store.transition(org, a.id, { from: ['pending'], to: 'cancelled' });
      expect(await store.createWithinQuota(c, quota)).toBeUndefined();
      expect(await store.createWithinQuota(newCompose(org), quota)).toEqual({ quota: 'concurrent-builds', used: 2 });
      await expect(store.createWithinQuota(c, { ...quota, maxUnfinished: 10 })).rejects.toBeInstanceOf(ComposeExistsError);
    });

    it('lists only the composes created since a time when asked, counting only those', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const old = newCompose(org, { createdAt: '2026-05-01T00:00:00.000Z' });
      const edge = newCompose(org, { createdAt: '2026-06-01T00:00:00.000Z' });
      const recent = newCompose(org, { createdAt: '2026-06-02T00:00:00.000Z' });
      for (const c of [old, edge, recent]) await store.create(c);
      const page = await store.list(org, { limit: 10, offset: 0, createdSince: '2026-06-01T00:00:00.000Z' });
      expect(page.items.map((c) => c.id)).toEqual([recent.id, edge.id]);
      expect(page.total).toBe(2);
      expect((await store.list(org, { limit: 10, offset: 0 })).total).toBe(3);
    });

    it('admits a batch of composes all together or not at all', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const quota = { windowStart: '2000-01-01T00:00:00.000Z', maxInWindow: 4, maxUnfinished: 100 };
      const first = newCompose(org);
      expect(await store.createWithinQuota(first, quota)).toBeUndefined();
      // Room for 3 more: a batch of 4 is refused whole, nothing of it written.
      const four = Array.from({ length: 4 }, () => newCompose(org));
      expect(await store.createAllWithinQuota(four, quota)).toEqual({ quota: 'builds-per-window', used: 1 });
      for (const c of four) expect(await store.get(org, c.id)).toBeUndefined();
      const two = Array.from({ length: 2 }, () => newCompose(org));
      expect(await store.createAllWithinQuota(two, { ...quota, maxUnfinished: 2 })).toEqual({ quota: 'concurrent-builds', used: 1 });
      expect((await store.list(org, { limit: 100, offset: 0 })).total).toBe(1);
      // A batch that fits is written whole, and counts for the next admission.
      const three = Array.from({ length: 3 }, () => newCompose(org));
      expect(await store.createAllWithinQuota(three, quota)).toBeUndefined();
      for (const c of three) expect(await store.get(org, c.id)).toBeDefined();
      expect(await store.createWithinQuota(newCompose(org), quota)).toEqual({ quota: 'builds-per-window', used: 4 });
      // An existing id fails the batch, and its new composes with it.
      const fresh = newCompose(org);
      await expect(store.createAllWithinQuota([fresh, first], { ...quota, maxInWindow: 100 })).rejects.toBeInstanceOf(ComposeExistsError);
      expect(await store.get(org, fresh.id)).toBeUndefined();
    });

    it('lets exactly the quota of concurrent admissions racing for the last slots win', async () => {
      const store = await makeStore();
      for (const [racers, maxInWindow, maxUnfinished] of [
        [12, 5, 100],
        [12, 100, 3],
      ]) {
        const org = `org-${randomUUID()}`;
        const quota = { windowStart: '2000-01-01T00:00:00.000Z', maxInWindow, maxUnfinished };
        // One slot already taken: the racers compete for the rest.
        await store.createWithinQuota(newCompose(org), quota);
        const contenders = Array.from({ length: racers }, () => newCompose(org));
        const outcomes = await Promise.all(contenders.map((c) => store.createWithinQuota(c, quota)));
        const admitted = contenders.filter((_, i) => outcomes[i] === undefined);
        expect(admitted).toHaveLength(Math.min(maxInWindow, maxUnfinished) - 1);
        expect((await store.list(org, { limit: 100, offset: 0 })).total).toBe(admitted.length + 1);
        for (const [i, c] of contenders.entries()) expect(Boolean(await store.get(org, c.id))).toBe(outcomes[i] === undefined);
      }
    });

    it('finds stale builds across organizations by heartbeat', async () => {
      const store = await makeStore();
      const stale = newCompose(`org-${randomUUID()}`, { state: 'building', heartbeatAt: '2020-01-01T00:00:00.000Z' });
      const fresh = newCompose(`org-${randomUUID()}`, { state: 'building', heartbeatAt: '2999-01-01T00:00:00.000Z' });
      await store.create(stale);
      await store.create(fresh);
      const found = await store.listStale(['building', 'uploading'], '2021-01-01T00:00:00.000Z', 100);
      expect(found.map((c) => c.id)).toContain(stale.id);
      expect(found.map((c) => c.id)).not.toContain(fresh.id);
    });

    it('claims a task of a compose once: one of several racing callers, never again, never for an unknown compose', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`, { state: 'success' });
      await store.create(compose);
      const results = await Promise.all(Array.from({ length: 4 }, () => store.claimTask(compose.orgId, compose.id, 'koji-settle')));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.claimTask(compose.orgId, compose.id, 'koji-settle')).toBe(false);
      expect(await store.claimTask(compose.orgId, compose.id, 'another-task')).toBe(true);
      expect(await store.claimTask(compose.orgId, randomUUID(), 'koji-settle')).toBe(false);
      expect((await store.get(compose.orgId, compose.id))?.state).toBe('success');
    });

    it('leases a task: one racing owner holds it, renews it, and another takes it over only once the lease has run out', async () => {
      const store = await makeStore();
      const compose = newCompose(`org-${randomUUID()}`, { state: 'success' });
      await store.create(compose);
      // Leases of 2 s, checked 0.7 s from either end: a 0.4 s lease left 0.1 s for a loaded machine (DynamoDB Local).
      const lease = (owner: string) => ({ owner, seconds: 2 });
      const results = await Promise.all(['a', 'b', 'c'].map((owner) => store.claimTask(compose.orgId, compose.id, 'koji-settle', lease(owner))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const holder = ['a', 'b', 'c'][results.indexOf(true)]!;
      const other = holder === 'a' ? 'b' : 'a';
      expect(await store.claimTask(compose.orgId, compose.id, 'koji-settle', lease(other))).toBe(false);
      expect(await store.claimTask(compose.orgId, compose.id, 'koji-settle')).toBe(false);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await store.claimTask(compose.orgId, compose.id, 'koji-settle', lease(holder))).toBe(true);
      await new Promise((r) => setTimeout(r, 1300));
      // past the first lease's end, renewed 1.3 s ago: still held
      expect(await store.claimTask(compose.orgId, compose.id, 'koji-settle', lease(other))).toBe(false);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await store.claimTask(compose.orgId, compose.id, 'koji-settle', lease(other))).toBe(true);
      expect(await store.claimTask(compose.orgId, compose.id, 'koji-settle', lease(holder))).toBe(false);
      expect(await store.claimTask(compose.orgId, randomUUID(), 'koji-settle', lease(other))).toBe(false);
    });
  });
}
