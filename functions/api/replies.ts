/** Small helpers the route modules share. */
import { ValidationError } from '../../layers/src/errors.ts';
import { API_BASE, type Reply } from './http.ts';
import { integerParam } from './params.ts';

export const ok = (body: unknown): Reply => ({ status: 200, body });

export const requiredQuery = (query: Record<string, string>, name: string): string => {
  const value = query[name];
  if (!value) throw new ValidationError(name, 'query parameter is required');
  return value;
};

/** `limit` and `offset` of a list operation (hosted defaults: 100 per page at most). */
export const pagingOf = (query: Record<string, string>) => ({
  limit: integerParam(query, 'limit', 100, 1, 100),
  offset: integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
});

/** A hosted-API list body: `meta.count`, first/last page links (keeping `filters`), and the page's items. */
export function listReply(path: string, page: { total: number; limit: number; filters?: string }, data: unknown[]): Reply {
  const last = Math.max(0, Math.floor((page.total - 1) / page.limit) * page.limit);
  const link = (offset: number) => `${API_BASE}${path}?offset=${offset}&limit=${page.limit}${page.filters ?? ''}`;
  return ok({ meta: { count: page.total }, links: { first: link(0), last: link(last) }, data });
}
