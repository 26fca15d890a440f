/** Every compose of the organization (the API pages by 100), newest first, for client-side filters and pages. */
import type { ApiClient } from './client.ts';
import type { BlueprintsResponse, ComposesResponse, ComposesResponseItem } from './types.ts';

const PAGE = 100;

/** `onFirstPage` gets the newest 100 at once, so a page can show them while the rest loads. */
export async function listAllComposes(
  api: ApiClient,
  path = '/composes',
  query: Record<string, string | number | undefined> = {},
  onFirstPage?: (newest: ComposesResponseItem[], total: number) => void,
): Promise<ComposesResponseItem[]> {
  const first = await api.get<ComposesResponse>(path, { ...query, limit: PAGE, offset: 0 });
  if (first.meta.count > PAGE) onFirstPage?.(first.data, first.meta.count);
  const rest: Promise<ComposesResponse>[] = [];
  for (let offset = PAGE; offset < first.meta.count; offset += PAGE) rest.push(api.get<ComposesResponse>(path, { ...query, limit: PAGE, offset }));
  const pages = [first, ...(await Promise.all(rest))];
  const seen = new Set<string>();
  return pages
    .flatMap((p) => p.data)
    .filter((c) => !seen.has(c.id) && seen.add(c.id))
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
}

export async function listAllBlueprints(api: ApiClient, search?: string): Promise<BlueprintsResponse['data']> {
  const first = await api.get<BlueprintsResponse>('/blueprints', { search, limit: PAGE, offset: 0 });
  const rest: Promise<BlueprintsResponse>[] = [];
  for (let offset = PAGE; offset < first.meta.count; offset += PAGE) rest.push(api.get<BlueprintsResponse>('/blueprints', { search, limit: PAGE, offset }));
  return [first, ...(await Promise.all(rest))].flatMap((p) => p.data);
}
