import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BlueprintStore, StoredBlueprint } from '../../layers/src/ports/blueprint-store.ts';
import { BlueprintNameTakenError } from '../../layers/src/ports/blueprint-store.ts';

export function newBlueprint(orgId: string, overrides: Partial<StoredBlueprint> = {}): StoredBlueprint {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    orgId,
    name: `bp-${randomUUID().slice(0, 8)}`,
    description: 'a web server',
    version: 1,
    body: { distribution: 'fedora-44', image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }], customizations: { packages: ['nginx'] } },
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

const org = () => `org-${randomUUID()}`;

/** The BlueprintStore contract: every adapter (SQLite, DynamoDB) must pass the same assertions. */
export function describeBlueprintStoreContract(name: string, makeStore: () => Promise<BlueprintStore>) {
  describe(`BlueprintStore contract: ${name}`, () => {
    it('creates and reads back a blueprint, keyed by organization', async () => {
      const store = await makeStore();
      const bp = newBlueprint(org());
      await store.create(bp);
      expect(await store.get(bp.orgId, bp.id)).toEqual(bp);
      expect(await store.get('another-org', bp.id)).toBeUndefined();
      expect(await store.getVersion(bp.orgId, bp.id, 1)).toEqual({ version: 1, name: bp.name, description: bp.description, body: bp.body, savedAt: bp.updatedAt });
    });

    it('keeps names unique among an organization live blueprints, not across organizations', async () => {
      const store = await makeStore();
      const first = newBlueprint(org(), { name: 'web' });
      await store.create(first);
      await expect(store.create(newBlueprint(first.orgId, { name: 'web' }))).rejects.toBeInstanceOf(BlueprintNameTakenError);
      await store.create(newBlueprint(org(), { name: 'web' }));
      const other = newBlueprint(first.orgId, { name: 'db' });
      await store.create(other);
      await expect(store.update(other.orgId, other.id, { name: 'web', description: '', body: {} })).rejects.toBeInstanceOf(BlueprintNameTakenError);
      expect((await store.get(other.orgId, other.id))?.name).toBe('db');
    });

    it('every update is a new version; old versions stay readable; a stale expected version changes nothing', async () => {
      const store = await makeStore();
      const bp = newBlueprint(org());
      await store.create(bp);
      const v2 = await store.update(bp.orgId, bp.id, { name: bp.name, description: 'v2', body: { distribution: 'centos-9' } }, { expectedVersion: 1 });
      expect(v2).toMatchObject({ version: 2, description: 'v2', body: { distribution: 'centos-9' }, createdAt: bp.createdAt });
      expect(await store.update(bp.orgId, bp.id, { name: bp.name, description: 'late', body: {} }, { expectedVersion: 1 })).toBeUndefined();
      expect((await store.get(bp.orgId, bp.id))?.description).toBe('v2');
      expect((await store.listVersions(bp.orgId, bp.id)).map((v) => [v.version, v.description])).toEqual([
        [1, 'a web server'],
        [2, 'v2'],
      ]);
      expect((await store.getVersion(bp.orgId, bp.id, 1))?.body).toEqual(bp.body);
      expect(await store.update('another-org', bp.id, { name: 'x', description: '', body: {} })).toBeUndefined();
    });

    it('two concurrent updates of one version: exactly one wins', async () => {
      const store = await makeStore();
      const bp = newBlueprint(org());
      await store.create(bp);
      const results = await Promise.all(
        ['a', 'b', 'c'].map((d) => store.update(bp.orgId, bp.id, { name: bp.name, description: d, body: {} }, { expectedVersion: 1 })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get(bp.orgId, bp.id))?.version).toBe(2);
    });

    it('deletes softly: gone from reads and lists, the name free again, other organizations untouched', async () => {
      const store = await makeStore();
      const bp = newBlueprint(org(), { name: 'gone' });
      await store.create(bp);
      expect(await store.delete('another-org', bp.id)).toBe(false);
      expect(await store.delete(bp.orgId, bp.id)).toBe(true);
      expect(await store.delete(bp.orgId, bp.id)).toBe(false);
      expect(await store.get(bp.orgId, bp.id)).toBeUndefined();
      expect(await store.getVersion(bp.orgId, bp.id, 1)).toBeUndefined();
      expect((await store.list(bp.orgId, { limit: 10, offset: 0 })).total).toBe(0);
      await store.create(newBlueprint(bp.orgId, { name: 'gone' }));
      expect(await store.update(bp.orgId, bp.id, { name: 'x', description: '', body: {} })).toBeUndefined();
    });

    it('lists most recently saved first, filtered by exact name or a case-insensitive search, paged with a total', async () => {
      const store = await makeStore();
      const orgId = org();
      const names = ['Web-Server', 'database', 'web-cache'];
      for (const [i, n] of names.entries()) {
        await store.create(newBlueprint(orgId, { name: n, description: `about ${n}`, updatedAt: `2026-01-0${i + 1}T00:00:00.000Z`, createdAt: `2026-01-0${i + 1}T00:00:00.000Z` }));
      }
      const all = await store.list(orgId, { limit: 10, offset: 0 });
      expect(all.items.map((b) => b.name)).toEqual(['web-cache', 'database', 'Web-Server']);
      expect(all.total).toBe(3);
      expect((await store.list(orgId, { search: 'WEB', limit: 10, offset: 0 })).items.map((b) => b.name)).toEqual(['web-cache', 'Web-Server']);
      expect((await store.list(orgId, { name: 'database', limit: 10, offset: 0 })).items.map((b) => b.name)).toEqual(['database']);
      const page = await store.list(orgId, { limit: 1, offset: 1 });
      expect(page).toMatchObject({ total: 3, items: [{ name: 'database' }] });
    });
  });
}
