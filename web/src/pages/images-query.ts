/**
 * What the images page asks the API for: only the page shown (server-side paging, and the blueprint filter as
 * GET /blueprints/{id}/composes) unless a filter the API lacks (status, distribution, image type) needs every compose.
 */
import type { ApiClient } from '../api/client.ts';
import { listAllComposes } from '../api/compose-list.ts';
import type { ComposesResponse, ComposesResponseItem } from '../api/types.ts';
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
export const needsEveryCompose = (f: ComposeFilters): boolean => !!(f.status || f.distribution || f.imageType);

export interface ComposePageView {
  items: ComposesResponseItem[];
  total: number;
}

/** One page of the list as the filters and paging ask: one request of `perPage` when the API can do it all. */
export async function readComposePage(api: ApiClient, f: ComposeFilters, page: number, perPage: number): Promise<ComposePageView> {
  const path = f.blueprint ? `/blueprints/${encodeURIComponent(f.blueprint)}/composes` : '/composes';
  if (!needsEveryCompose(f)) {
    const answer = await api.get<ComposesResponse>(path, { limit: perPage, offset: (page - 1) * perPage });
    return { items: answer.data, total: answer.meta.count };
  }
  const kept = filterComposes(await listAllComposes(api, path), f);
  return { items: kept.slice((page - 1) * perPage, page * perPage), total: kept.length };
}
