/** Weldr routes composer itself leaves unimplemented (uploads, providers): a bare 501, as composer answers. */
import type { WeldrRoute } from './weldr-router.ts';

const notImplemented = async () => ({ status: 501 });

export const WELDR_UNSUPPORTED_ROUTES: readonly WeldrRoute[] = (
  [
    ['POST', '/compose/uploads/schedule/:uuid'],
    ['DELETE', '/upload/delete/:uuid'],
    ['GET', '/upload/info/:uuid'],
    ['GET', '/upload/log/:uuid'],
    ['POST', '/upload/reset/:uuid'],
    ['DELETE', '/upload/cancel/:uuid'],
    ['GET', '/upload/providers'],
    ['POST', '/upload/providers/save'],
    ['DELETE', '/upload/providers/delete/:provider/:profile'],
  ] as const
).map(([method, pattern]) => ({ method, pattern, minVersion: 1, errorId: 'HTTPError', handler: notImplemented }));
