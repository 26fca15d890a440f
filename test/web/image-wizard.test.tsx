// @vitest-environment happy-dom
/** The wizard rendered (React + PatternFly in happy-dom) against a fake API: checks, API errors at fields, package search. */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiContext } from '../../web/src/api/api-context.tsx';
import { ApiError, type ApiClient } from '../../web/src/api/client.ts';
import { DEFAULT_CONFIG } from '../../web/src/api/runtime-config.ts';
import { ImageWizard } from '../../web/src/wizard/image-wizard.tsx';
import { PackagesStep } from '../../web/src/wizard/steps/packages-step.tsx';
import { initialWizardState, type WizardState } from '../../web/src/wizard/wizard-state.ts';

afterEach(cleanup);

const DETAILS = { name: 'test-distro-1', architectures: { x86_64: { name: 'x86_64', image_types: { tar: { name: 'tar' } } } } };

/** A fake API answering what the wizard reads; `gets` records every GET path with its query. */
function fakeApi(overrides: Partial<ApiClient> = {}): ApiClient & { gets: string[] } {
  const gets: string[] = [];
  return {
    apiBase: '/api',
    gets,
    async get<T>(path: string, query?: Record<string, string | number | undefined>) {
      gets.push(`${path}?${new URLSearchParams(Object.entries(query ?? {}).map(([k, v]) => [k, String(v)]))}`);
      if (path === '/distributions') return [{ name: 'test-distro-1', description: 'Test' }] as T;
      if (path.startsWith('/distributions/')) return DETAILS as T;
      if (path === '/packages') return { meta: { count: 1 }, links: { first: '', last: '' }, data: [{ name: `${query?.search}-tools`, summary: 'found', version: '1', release: '1' }] } as T;
      throw new Error(`unexpected GET ${path}`);
    },
    async send<T>() {
      return { manifest: {}, packages: { os: [{}, {}] }, pipelines: [], exports: [] } as T;
    },
    async blob() {
      return new Blob();
    },
    ...overrides,
  };
}

const withApi = (api: ApiClient, ui: React.ReactNode) => <ApiContext.Provider value={{ api, config: DEFAULT_CONFIG }}>{ui}</ApiContext.Provider>;
const filled = (): WizardState => ({ ...initialWizardState(), name: 'kept', distribution: 'test-distro-1', imageType: 'tar' });
const input = (id: string) => document.getElementById(id) as HTMLInputElement;

describe('ImageWizard', () => {
  it('will not leave a step with a bad field: the message is next to the field, and goes when fixed', async () => {
    render(withApi(fakeApi(), <ImageWizard mode="blueprint" submitLabel="Save" onSubmit={vi.fn()} onCancel={vi.fn()} />));
    await screen.findByRole('option', { name: 'Test' });
    fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('A blueprint needs a name')).toBeTruthy();
    expect(input('field-name').getAttribute('aria-invalid')).toBe('true');
    expect(input('field-name').getAttribute('aria-describedby')).toBe('field-name-helper');
    fireEvent.change(input('field-name'), { target: { value: 'my-blueprint' } });
    await waitFor(() => expect(screen.queryByText('A blueprint needs a name')).toBeNull());
  });

  it('puts an API error at its field on the right step and keeps everything typed', async () => {
    const onSubmit = vi.fn(async () => {
      throw new ApiError(400, [{ title: 'Bad request', detail: 'customizations.files[0].path: "/etc/passwd" is not allowed' }]);
    });
    const initial: WizardState = { ...filled(), hostname: 'kept-host', files: [{ path: '/etc/passwd', mode: '', user: '', group: '', data: 'typed data' }] };
    render(withApi(fakeApi(), <ImageWizard mode="image" initial={initial} submitLabel="Create image" onSubmit={onSubmit} onCancel={vi.fn()} />));
    fireEvent.click(screen.getByRole('button', { name: /^Review/ }));
    fireEvent.click(await screen.findByRole('button', { name: 'Create image' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    const error = await screen.findByText('"/etc/passwd" is not allowed');
    expect(error.closest('[data-field-error]')?.getAttribute('data-field-error')).toBe('files.0.path');
    expect(input('field-files-0-data').value).toBe('typed data');
    expect(screen.getByRole('button', { name: /Files and directories \(has errors\)/ })).toBeTruthy();
    // Changing the field clears its API error; a second submit sends the corrected state with nothing lost.
    fireEvent.change(input('field-files-0-path'), { target: { value: '/etc/motd' } });
    await waitFor(() => expect(screen.queryByText('"/etc/passwd" is not allowed')).toBeNull());
    onSubmit.mockResolvedValueOnce(undefined as never);
    fireEvent.click(screen.getByRole('button', { name: /^Review/ }));
    fireEvent.click(await screen.findByRole('button', { name: 'Create image' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(2));
    expect(onSubmit).toHaveBeenLastCalledWith(expect.objectContaining({ name: 'kept', hostname: 'kept-host', files: [expect.objectContaining({ path: '/etc/motd', data: 'typed data' })] }));
  });

  it('shows the resolved package count of the manifest preview on the review step', async () => {
    render(withApi(fakeApi(), <ImageWizard mode="image" initial={filled()} submitLabel="Create image" onSubmit={vi.fn()} onCancel={vi.fn()} />));
    fireEvent.click(screen.getByRole('button', { name: /^Review/ }));
    await waitFor(() => expect(screen.getByTestId('resolved-packages').textContent).toBe('2'));
  });
});

describe('PackagesStep', () => {
  it('searches the packages endpoint as you type (debounced) and adds a result', async () => {
    const api = fakeApi();
    const state = filled();
    const dispatch = vi.fn();
    render(withApi(api, <PackagesStep state={state} dispatch={dispatch} />));
    const box = screen.getByRole('textbox', { name: 'Search packages' });
    fireEvent.change(box, { target: { value: 'v' } });
    fireEvent.change(box, { target: { value: 'vi' } });
    fireEvent.change(box, { target: { value: 'vim' } });
    fireEvent.click(await screen.findByRole('button', { name: 'Add vim-tools' }));
    // One request for the settled term, none for "v" or "vi".
    expect(api.gets.filter((g) => g.startsWith('/packages'))).toEqual(['/packages?distribution=test-distro-1&architecture=x86_64&search=vim&limit=25']);
    expect(dispatch).toHaveBeenCalledWith({ type: 'addPackage', name: 'vim-tools' });
  });
});
