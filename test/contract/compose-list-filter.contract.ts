/**
 * ComposeStore.list with the `states` and `distribution` filters (GET /composes `status=`, `distribution=`): every
 * store returns the same page and counts only what the filters let through, with the 14-day window and paging.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Compose, ComposeState } from '../../layers/src/compose/compose.ts';
import type { ComposeStore } from '../../layers/src/ports/compose-store.ts';
import { newCompose } from './compose-store.contract.ts';

export function describeComposeListFilterContract(name: string, makeStore: () => Promise<ComposeStore>) {
  describe(`ComposeStore list filters: ${name}`, () => {
    it('lists only the states and the distribution asked for, newest first, paged and counted after filtering', async () => {
      const store = await makeStore();
      const org = `org-${randomUUID()}`;
      const at = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
      const made: Compose[] = [];
      const add = async (minutes: number, state: ComposeState, distribution: string) => {
        const compose = newCompose(org, { state, createdAt: at(minutes), request: { distribution, image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] } });
        await store.create(compose);
        made.push(compose);
        return compose.id;
      };
      const [a, b, c, d] = [await add(1, 'pending', 'fedora-43'), await add(2, 'success', 'test-distro-1'), await add(3, 'failure', 'fedora-43'), await add(4, 'success', 'fedora-43')];
      // Outside the window: never counted.
      await add(60 * 24 * 20, 'success', 'fedora-43');
      const since = at(60 * 24 * 14);
      const ids = async (options: { states?: ComposeState[]; distribution?: string; limit?: number; offset?: number }) => {
        const page = await store.list(org, { limit: options.limit ?? 100, offset: options.offset ?? 0, createdSince: since, states: options.states, distribution: options.distribution });
        return { ids: page.items.map((x) => x.id), total: page.total };
      };
      expect(await ids({})).toEqual({ ids: [a, b, c, d], total: 4 });
      expect(await ids({ states: ['success'] })).toEqual({ ids: [b, d], total: 2 });
      expect(await ids({ states: ['pending', 'failure'] })).toEqual({ ids: [a, c], total: 2 });
      expect(await ids({ distribution: 'fedora-43' })).toEqual({ ids: [a, c, d], total: 3 });
      expect(await ids({ states: ['success'], distribution: 'fedora-43' })).toEqual({ ids: [d], total: 1 });
      expect(await ids({ states: ['cancelled'] })).toEqual({ ids: [], total: 0 });
      expect(await ids({ distribution: 'rhel-10' })).toEqual({ ids: [], total: 0 });
      // A page of the filtered list, not a filtered page.
      expect(await ids({ distribution: 'fedora-43', limit: 1, offset: 1 })).toEqual({ ids: [c], total: 3 });
      expect(await ids({ states: ['success', 'failure'], limit: 2, offset: 2 })).toEqual({ ids: [d], total: 3 });
      // The states are the stored ones: a compose that moved is found under its new state.
      await store.transition(org, a, { from: ['pending'], to: 'cancelled' });
      expect(await ids({ states: ['cancelled'] })).toEqual({ ids: [a], total: 1 });
      expect(made).toHaveLength(5);
    });
  });
}
