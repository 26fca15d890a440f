// @vitest-environment happy-dom
/** Blueprint files through the API: the import dialog sends the file's text and shows the service's warnings; export. */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiContext } from '../../web/src/api/api-context.tsx';
import { ApiError, type ApiClient } from '../../web/src/api/client.ts';
import { DEFAULT_CONFIG } from '../../web/src/api/runtime-config.ts';
import { exportBlueprintFile, importBlueprintFile } from '../../web/src/blueprints/blueprint-files.ts';
import { ImportModal, guessDistro } from '../../web/src/blueprints/import-modal.tsx';

afterEach(cleanup);

const TOML = 'name = "web"\ndistro = "test-distro-1"\n\n[customizations]\nhostname = "h"\ncolour = "blue"\n';
const DETAILS = { name: 'test-distro-1', architectures: { x86_64: { name: 'x86_64', image_types: { tar: { name: 'tar' } } } } };

/** A fake API recording what is sent and asked; `answer` decides the import's reply. */
function fakeApi(answer: (body: Record<string, unknown>) => unknown) {
  const sent: { method: string; path: string; body: Record<string, unknown> }[] = [];
  const gets: string[] = [];
  const api: ApiClient = {
    apiBase: '/api',
    async get<T>(path: string, query?: Record<string, string | number | undefined>) {
      gets.push(`${path}?${new URLSearchParams(Object.entries(query ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))}`);
      if (path === '/distributions') return [{ name: 'test-distro-1', description: 'Test' }] as T;
      if (path.startsWith('/distributions/')) return DETAILS as T;
      if (path.endsWith('/export') && query?.format === 'composer') return { blueprint: { name: 'web', packages: [] }, toml: 'name = "web"\n', warnings: ['customizations.colour: not a blueprint key'], version: 2 } as T;
      if (path.endsWith('/export')) return { name: 'web', customizations: {} } as T;
      throw new Error(`unexpected GET ${path}`);
    },
    async send<T>(method: string, path: string, body?: unknown) {
      sent.push({ method, path, body: body as Record<string, unknown> });
      return answer(body as Record<string, unknown>) as T;
    },
    async blob() {
      return new Blob();
    },
  };
  return { api, sent, gets };
}

describe('importBlueprintFile / exportBlueprintFile', () => {
  it('sends the file text with its format, and an image request only when one was chosen', async () => {
    const { api, sent } = fakeApi(() => ({ id: 'x', version: 1, created: true, format: 'toml', warnings: [] }));
    await importBlueprintFile(api, 'web.toml', TOML);
    await importBlueprintFile(api, 'web.json', '{"name":"web"}', { distribution: 'test-distro-1', architecture: 'aarch64', imageType: 'tar' });
    expect(sent[0]).toEqual({ method: 'POST', path: '/blueprints/import', body: { blueprint: TOML, format: 'toml' } });
    expect(sent[1].body).toEqual({ blueprint: '{"name":"web"}', format: 'json', distribution: 'test-distro-1', image_requests: [{ architecture: 'aarch64', image_type: 'tar', upload_request: { type: 'aws.s3', options: {} } }] });
  });

  it('exports the composer TOML and JSON of a version, and the hosted export', async () => {
    const { api, gets } = fakeApi(() => undefined);
    const toml = await exportBlueprintFile(api, 'id1', 'toml', 2);
    expect(toml).toEqual({ text: 'name = "web"\n', type: 'application/toml', extension: 'toml', warnings: ['customizations.colour: not a blueprint key'] });
    expect(JSON.parse((await exportBlueprintFile(api, 'id1', 'json')).text)).toEqual({ name: 'web', packages: [] });
    expect(JSON.parse((await exportBlueprintFile(api, 'id1', 'hosted')).text)).toEqual({ name: 'web', customizations: {} });
    expect(gets).toEqual(['/blueprints/id1/export?format=composer&version=2', '/blueprints/id1/export?format=composer', '/blueprints/id1/export?']);
  });

  it('guesses the distribution of TOML and JSON files, and none when absent', () => {
    expect(guessDistro(TOML)).toBe('test-distro-1');
    expect(guessDistro('{\n  "name": "a",\n  "distro": "fedora-43"\n}')).toBe('fedora-43');
    expect(guessDistro('name = "a"\n')).toBe('');
  });
});

describe('ImportModal', () => {
  const open = (api: ApiClient) =>
    render(
      <ApiContext.Provider value={{ api, config: DEFAULT_CONFIG }}>
        <ImportModal onClose={() => {}} />
      </ApiContext.Provider>,
    );
  const choose = async (name: string, text: string) => {
    const input = document.querySelector('input[type="file"]') as HTMLInputElement;
    fireEvent.change(input, { target: { files: [new File([text], name)] } });
    await waitFor(() => expect((document.querySelector('#import-file-filename') as HTMLInputElement | null)?.value ?? screen.getByDisplayValue(name)).toBeTruthy());
  };

  it('imports the chosen file with the image type picked from its distribution, and lists the warnings', async () => {
    const { api, sent } = fakeApi(() => ({ id: '11111111-1111-1111-1111-111111111111', version: 1, created: true, format: 'toml', warnings: ['customizations.colour: not a blueprint key; left out'] }));
    open(api);
    await choose('web.toml', TOML);
    // The file's distro offers its image types.
    await waitFor(() => expect(screen.getByRole('option', { name: 'tar' })).toBeTruthy());
    fireEvent.change(screen.getByLabelText('Image type'), { target: { value: 'tar' } });
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    const warnings = await screen.findByRole('list', { name: 'Import warnings' });
    expect(warnings.textContent).toContain('customizations.colour: not a blueprint key; left out');
    expect(sent[0].body).toMatchObject({ blueprint: TOML, format: 'toml', image_requests: [{ image_type: 'tar', architecture: 'x86_64' }] });
    expect(screen.getByRole('button', { name: 'Open the blueprint' })).toBeTruthy();
  });

  it("shows the service's refusal and keeps the file for another try", async () => {
    let refuse = true;
    const { api, sent } = fakeApi(() => {
      if (refuse) throw new ApiError(400, [{ title: 'Bad Request', detail: 'image_requests: a new blueprint needs at least one image request' }]);
      return { id: 'x', version: 3, created: false, format: 'toml', warnings: [] };
    });
    open(api);
    await choose('web.toml', TOML);
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect((await screen.findByText(/needs at least one image request/)).textContent).toContain('image_requests');
    refuse = false;
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    await screen.findByText('Everything in the file was carried over.');
    expect(sent.map((s) => s.body.blueprint)).toEqual([TOML, TOML]);
  });
});
