/** GET /errors and /errors/{id}: composer's error catalogue, paged as composer's APIErrorList pages it. */
import type { Route } from '../api/http.ts';
import { ok } from '../api/replies.ts';
import { COMPOSER_ERRORS, ComposerError, ComposerErrorCode as Code, composerErrorBody } from './composer-errors.ts';

/** `page`/`size` query values: whole numbers as strings (composer's InvalidPageParam/InvalidSizeParam otherwise). */
function countParam(query: Record<string, string>, name: 'page' | 'size', fallback: number): number {
  const raw = query[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ComposerError(name === 'page' ? Code.InvalidPageParam : Code.InvalidSizeParam, `${name} "${raw}" is not a whole number`);
  return Number(raw);
}

export const COMPOSER_ERROR_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/errors',
    operationId: 'getErrorList',
    handle: async ({ query }) => {
      const page = countParam(query, 'page', 0);
      const size = countParam(query, 'size', 100);
      const items = COMPOSER_ERRORS.slice(Math.min(page * size, COMPOSER_ERRORS.length), Math.min((page + 1) * size, COMPOSER_ERRORS.length)).map(([id]) =>
        composerErrorBody(id, 'getErrorList'),
      );
      return ok({ kind: 'ErrorList', page, size: items.length, total: COMPOSER_ERRORS.length, items });
    },
  },
  {
    method: 'GET',
    path: '/errors/{id}',
    operationId: 'getError',
    handle: async ({ params }) => {
      const raw = params.id ?? '';
      if (!/^\d+$/.test(raw)) throw new ComposerError(Code.InvalidErrorId, `error id "${raw}" is not a whole number`);
      const id = Number(raw);
      if (!COMPOSER_ERRORS.some(([code]) => code === id)) throw new ComposerError(Code.ErrorNotFound, `no error ${id} in the catalogue`);
      return ok(composerErrorBody(id, 'getError'));
    },
  },
];
