// @vitest-environment happy-dom
/** The images page asks for one page when the API can filter, and trims PatternFly rules the UI cannot match. */
import postcss from 'postcss';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../web/src/api/client.ts';
import { readComposePage, type ComposeFilters } from '../../web/src/pages/images-query.ts';
import { isUnreachableSelector, trimUnusedPatternFlyCss } from '../../web/css-trim.ts';

const compose = (i: number, over: { status?: string; distribution?: string; type?: string } = {}) => ({
  id: `id-${i}`,
  created_at: `2026-01-01T00:00:${String(99 - i).padStart(2, '0')}Z`,
  status: over.status ?? 'pending',
  request: { distribution: over.distribution ?? 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: over.type ?? 'tar' }] },
});

/** 45 composes behind a paging fake API; `gets` records each request. */
function fakeApi() {
  const all = Array.from({ length: 45 }, (_, i) => compose(i, i % 3 === 0 ? { status: 'success', type: 'qcow2' } : {}));
  const gets: string[] = [];
  const api = {
    apiBase: '/api',
    async get<T>(path: string, query: Record<string, string | number | undefined> = {}) {
      if (path === '/distributions') return [{ name: 'd1' }, { name: 'd2' }] as T;
      if (path === '/distributions/d1') return { architectures: { x86_64: { image_types: { tar: { name: 'tar' }, aws: { name: 'aws', aliases: ['ami'] } } } } } as T;
      if (path === '/distributions/d2') return { architectures: { aarch64: { image_types: { qcow2: { name: 'qcow2', aliases: ['guest-image'] }, tar: { name: 'tar' } } } } } as T;
      const extra = (['status', 'distribution', 'ignoreImageTypes'] as const).map((k) => (query[k] ? `&${k}=${query[k]}` : '')).join('');
      gets.push(`${path}?limit=${query.limit}&offset=${query.offset}${extra}`);
      // The API's own filters, as GET /composes applies them (before paging, counted after).
      const states = query.status ? String(query.status).split(',') : undefined;
      const kept = all.filter((c) => (!states || states.includes(c.status)) && (!query.distribution || c.request.distribution === query.distribution));
      const offset = Number(query.offset ?? 0);
      return { meta: { count: kept.length }, links: {}, data: kept.slice(offset, offset + Number(query.limit ?? 100)) } as T;
    },
  } as unknown as ApiClient;
  return { api, gets };
}

const none: ComposeFilters = { status: '', distribution: '', imageType: '', blueprint: '' };

describe('readComposePage', () => {
  it('asks the API for only the page shown when no filter needs the whole list', async () => {
    const { api, gets } = fakeApi();
    const page = await readComposePage(api, none, 3, 20);
    expect(gets).toEqual(['/composes?limit=20&offset=40']);
    expect(page).toEqual({ total: 45, items: expect.any(Array) });
    expect(page.items.map((c) => c.id)).toEqual(['id-40', 'id-41', 'id-42', 'id-43', 'id-44']);
  });

  it("pages a blueprint's composes on the server", async () => {
    const { api, gets } = fakeApi();
    await readComposePage(api, { ...none, blueprint: 'b1' }, 1, 10);
    expect(gets).toEqual(['/blueprints/b1/composes?limit=10&offset=0']);
  });

  it('asks for one image type as ignoreImageTypes naming every other type and alias of every distribution', async () => {
    const { api, gets } = fakeApi();
    await readComposePage(api, { ...none, imageType: 'qcow2' }, 1, 20);
    await readComposePage(api, { ...none, imageType: 'ami', blueprint: 'b1' }, 1, 20);
    expect(gets).toEqual(['/composes?limit=20&offset=0&ignoreImageTypes=tar,aws,ami', '/blueprints/b1/composes?limit=20&offset=0&ignoreImageTypes=tar,qcow2,guest-image']);
    // A type no distribution knows: filtered in the browser.
    const page = await readComposePage(api, { ...none, imageType: 'old-type' }, 1, 20);
    expect(gets.at(-1)).toBe('/composes?limit=100&offset=0');
    expect(page.total).toBe(0);
  });

  it('asks the API to filter by status and distribution, one page at a time ("In progress": every unfinished state)', async () => {
    const { api, gets } = fakeApi();
    const page = await readComposePage(api, { ...none, status: 'success' }, 2, 10);
    expect(gets).toEqual(['/composes?limit=10&offset=10&status=success']);
    expect(page.total).toBe(15);
    expect(page.items.map((c) => c.id)).toEqual(['id-30', 'id-33', 'id-36', 'id-39', 'id-42']);
    await readComposePage(api, { ...none, status: 'running', distribution: 'test-distro-1', blueprint: 'b1' }, 1, 20);
    expect(gets.at(-1)).toBe('/blueprints/b1/composes?limit=20&offset=0&status=pending,queued,building,uploading&distribution=test-distro-1');
    // With an image type no distribution lists, the API still filters status and distribution; the type is picked here.
    const odd = await readComposePage(api, { ...none, status: 'success', imageType: 'qcow2-old' }, 1, 20);
    expect(gets.at(-1)).toBe('/composes?limit=100&offset=0&status=success');
    expect(odd.total).toBe(0);
  });
});

describe('trimUnusedPatternFlyCss', () => {
  it('drops rules of themes the UI never sets, keeps :not(theme) and shared selectors', async () => {
    const css = `:root{--a:1}
:root.pf-v6-theme-dark{--a:2}
@media (prefers-contrast:more){:root.pf-v6-theme-high-contrast{--a:3}}
:where(:root:not(.pf-v6-theme-glass)) .x,:where(:root.pf-v6-theme-glass) .y{color:red}
.pf-v6-pficon-zone:before{content:"x"}
@keyframes spin{from{opacity:0}}`;
    const out = (await postcss([trimUnusedPatternFlyCss()]).process(css, { from: undefined })).css;
    expect(out).toContain(':root{--a:1}');
    expect(out).not.toMatch(/theme-dark|theme-high-contrast|prefers-contrast|pficon/);
    expect(out).toContain(':where(:root:not(.pf-v6-theme-glass)) .x{color:red}');
    expect(out).toContain('@keyframes spin');
    expect(isUnreachableSelector('.pf-v6-c-button')).toBe(false);
  });
});
