/**
 * GET /blueprints/{id}/composes reads the blueprint's composes from the store's blueprint index (paged there), never
 * every compose of the organization; versions, paging and meta.count as the hosted API.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { tokenHeaders } from '../support/auth.ts';

let stack: LocalStack;
let call: (method: string, path: string, body?: unknown) => Promise<Response>;
beforeAll(async () => {
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-bpc-')), port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
  const as = tokenHeaders(stack);
  const api = `${stack.url}/api/image-builder/v1`;
  call = async (method, path, body) =>
    fetch(`${api}${path}`, { method, headers: { ...(await as()), 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
});
afterAll(() => stack.stop());

const TAR = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }], customizations: {} };
type ListBody = { meta: { count: number }; links: { last: string }; data: { id: string; blueprint_version: number }[] };

it('pages a blueprint\'s composes from the blueprint index, filtered by version', async () => {
  const { id } = (await (await call('POST', '/blueprints', { name: 'paged', ...TAR })).json()) as { id: string };
  const ids: string[] = [];
  const composeOnce = async () => {
    // Distinct creation times, so newest-first is one order.
    await new Promise((r) => setTimeout(r, 3));
    ids.unshift(...((await (await call('POST', `/blueprints/${id}/compose`, {})).json()) as { id: string }[]).map((c) => c.id));
  };
  for (let i = 0; i < 3; i++) await composeOnce();
  expect((await call('PUT', `/blueprints/${id}`, { name: 'paged', ...TAR })).status).toBe(200);
  await composeOnce();
  // Composes of other work in the organization stay out.
  expect((await call('POST', '/compose', TAR)).status).toBe(201);

  const list = vi.spyOn(stack.deps.store, 'list');
  const page = (await (await call('GET', `/blueprints/${id}/composes?limit=2&offset=1`)).json()) as ListBody;
  expect(page.meta.count).toBe(4);
  expect(page.data.map((c) => c.id)).toEqual(ids.slice(1, 3));
  expect(page.links.last).toMatch(/offset=2&limit=2$/);
  const v1 = (await (await call('GET', `/blueprints/${id}/composes?blueprint_version=1`)).json()) as ListBody;
  expect({ count: v1.meta.count, versions: [...new Set(v1.data.map((c) => c.blueprint_version))] }).toEqual({ count: 3, versions: [1] });
  const latest = (await (await call('GET', `/blueprints/${id}/composes?blueprint_version=-1`)).json()) as ListBody;
  expect(latest.data.map((c) => c.id)).toEqual([ids[0]]);
  expect(list).not.toHaveBeenCalled();
  list.mockRestore();
});
