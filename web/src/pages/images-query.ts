/**
 * What the images page asks the API for: only the page shown, every filter applied by the API (the blueprint as
 * GET /blueprints/{id}/composes, status and distribution as `status` and `distribution`, the image type as
 * `ignoreImageTypes` = every other type). Only an image type no distribution lists is picked out here, from the
 * composes the other filters let through.
 */
import type { ApiClient } from '../api/client.ts';
import { listAllComposes } from '../api/compose-list.ts';
import type { ComposesResponse, ComposesResponseItem, DistributionDetails, DistributionsResponse } from '../api/types.ts';
import { UNFINISHED } from '../components/compose-status.tsx';

export interface ComposeFilters {
  status: string;
  distribution: string;
  imageType: string;
  blueprint: string;
}

/** The status and distribution filters as GET /composes parameters ("running": every unfinished state). */
export function apiFiltersOf(f: ComposeFilters): Record<string, string> {
  const status = f.status === 'running' ? UNFINISHED.join(',') : f.status;
  return { ...(status ? { status } : {}), ...(f.distribution ? { distribution: f.distribution } : {}) };
}

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
  const filters = apiFiltersOf(f);
  const ignored = f.imageType ? await ignoredTypesFor(api, f.imageType) : undefined;
  if (!f.imageType || ignored) {
    const query = { ...filters, limit: perPage, offset: (page - 1) * perPage, ...(ignored?.length ? { ignoreImageTypes: ignored.join(',') } : {}) };
    const answer = await api.get<ComposesResponse>(path, query);
    return { items: answer.data, total: answer.meta.count };
  }
  // The API applied the other filters (the blueprint is in the path): only the image type is left to pick out.
  const kept = (await listAllComposes(api, path, filters)).filter((c) => c.request.image_requests[0]?.image_type === f.imageType);
  return { items: kept.slice((page - 1) * perPage, page * perPage), total: kept.length };
}
