// @vitest-environment happy-dom
/** The blueprint details page against a fake API: the export buttons wait for the blueprint (its name names the file). */
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiContext } from '../../web/src/api/api-context.tsx';
import type { ApiClient } from '../../web/src/api/client.ts';
import { DEFAULT_CONFIG } from '../../web/src/api/runtime-config.ts';
import { BlueprintDetailsPage } from '../../web/src/pages/blueprint-details-page.tsx';

afterEach(cleanup);

const ID = 'dbeb1c86-0000-4000-8000-000000000000';
const BLUEPRINT = { name: 'e2e-toml', description: '', distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } }], customizations: {}, id: ID, version: 1, lint: { errors: [] } };

/** A fake API whose GET /blueprints/{id} answers only when `release` is called. */
function slowBlueprintApi() {
  let release: () => void = () => {};
  const loaded = new Promise<void>((resolve) => (release = resolve));
  const api: ApiClient = {
    apiBase: '/api',
    async get<T>(path: string) {
      if (path === `/blueprints/${ID}`) return loaded.then(() => BLUEPRINT as T);
      if (path === '/blueprints') return { meta: { count: 1 }, links: { first: '', last: '' }, data: [{ id: ID, name: 'e2e-toml', version: 1 }] } as T;
      if (path.endsWith('/composes')) return { meta: { count: 0 }, links: { first: '', last: '' }, data: [] } as T;
      throw new Error(`unexpected GET ${path}`);
    },
    async send<T>() {
      return {} as T;
    },
    async blob() {
      return new Blob();
    },
  };
  return { api, release };
}

describe('BlueprintDetailsPage', () => {
  it('keeps the export buttons disabled until the blueprint is read (a file named after the id otherwise)', async () => {
    const { api, release } = slowBlueprintApi();
    render(
      <ApiContext.Provider value={{ api, config: DEFAULT_CONFIG }}>
        <BlueprintDetailsPage id={ID} />
      </ApiContext.Provider>,
    );
    const labels = ['Export as composer-cli TOML', 'Export as composer-cli JSON', 'Export for Image Builder (hosted JSON)'];
    for (const label of labels) expect((screen.getByRole('button', { name: label }) as HTMLButtonElement).disabled, label).toBe(true);
    release();
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Blueprint e2e-toml' })).toBeTruthy());
    for (const label of labels) expect((screen.getByRole('button', { name: label }) as HTMLButtonElement).disabled, label).toBe(false);
  });
});
