/**
 * What the images page asks the API for: only the page shown (server-side paging, the blueprint filter as
 * GET /blueprints/{id}/composes, the image type one as `ignoreImageTypes` = every other type) unless a filter the API
 * lacks (status, distribution) needs every compose.
 */
import type { ApiClient } from '../api/client.ts';
import { listAllComposes } from '../api/compose-list.ts';
import type { ComposesResponse, ComposesResponseItem, DistributionDetails, DistributionsResponse } from '../api/types.ts';
import { isUnfinished } from '../components/compose-status.tsx';

export interface ComposeFilters {
  status: string;
  distribution: string;
  imageType: string;
  blueprint: string;
}

/** The composes the filters let through ('' = any). */
export function filterComposes(composes: ComposesResponseItem[], f: ComposeFilters): ComposesResponseItem[] {
  return composes.filter(
    (c) =>
      (!f.status || c.status === f.status || (f.status === 'running' && isUnfinished(c.status))) &&
      (!f.distribution || c.request.distribution === f.distribution) &&
      (!f.imageType || c.request.image_requests[0]?.image_type === f.imageType) &&
      (!f.blueprint || c.blueprint_id === f.blueprint),
  );
}

/** Whether a filter is set that the API cannot apply (GET /composes filters only by ignoreImageTypes). */
export const needsEveryCompose = (f: ComposeFilters): boolean => !!(f.status || f.distribution);

export interface ComposePageView {
  items: ComposesResponseItem[];
  total: number;
}

const imageTypeGroups = new WeakMap<ApiClient, Promise<string[][]>>();

/** Every image type of every distribution, each with its aliases (read once per client). */
function readImageTypeGroups(api: ApiClient): Promise<string[][]> {
  let groups = imageTypeGroups.get(api);
  if (!groups) {
    groups = (async () => {
      const names = (await api.get<DistributionsResponse>('/distributions')).map((d) => d.name);
      const details = await Promise.all(names.map((n) => api.get<DistributionDetails>(`/distributions/${encodeURIComponent(n)}`)));
      const byName = new Map<string, Set<string>>();
      for (const d of details)
        for (const arch of Object.values(d.architectures ?? {}))
          for (const t of Object.values(arch.image_types ?? {})) {
            const group = byName.get(t.name) ?? new Set([t.name]);
            for (const alias of t.aliases ?? []) group.add(alias);
            byName.set(t.name, group);
          }
      return [...byName.values()].map((g) => [...g]);
    })();
    groups.catch(() => imageTypeGroups.delete(api));
    imageTypeGroups.set(api, groups);
  }
  return groups;
}

/** `ignoreImageTypes` for "only this type": every other type and alias; undefined when the type is unknown here. */
export async function ignoredTypesFor(api: ApiClient, imageType: string): Promise<string[] | undefined> {
  const groups = await readImageTypeGroups(api).catch(() => undefined);
  const chosen = groups?.find((g) => g.includes(imageType));
  if (!groups || !chosen) return undefined;
  return groups.filter((g) => g !== chosen).flat().filter((n) => !chosen.includes(n));
}

/** One page of the list as the filters and paging ask: one request of `perPage` when the API can do it all. */
export async function readComposePage(api: ApiClient, f: ComposeFilters, page: number, perPage: number): Promise<ComposePageView> {
  const path = f.blueprint ? `/blueprints/${encodeURIComponent(f.blueprint)}/composes` : '/composes';
  const ignored = f.imageType && !needsEveryCompose(f) ? await ignoredTypesFor(api, f.imageType) : undefined;
  if (!needsEveryCompose(f) && (!f.imageType || ignored)) {
    const query = { limit: perPage, offset: (page - 1) * perPage, ...(ignored?.length ? { ignoreImageTypes: ignored.join(',') } : {}) };
    const answer = await api.get<ComposesResponse>(path, query);
    return { items: answer.data, total: answer.meta.count };
  }
  const kept = filterComposes(await listAllComposes(api, path), f);
  return { items: kept.slice((page - 1) * perPage, page * perPage), total: kept.length };
}
