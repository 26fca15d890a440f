/**
 * The hosted GET /composes lists only the composes of the last 14 days (image-builder-crc GetComposes passes
 * `time.Hour*24*14` to its database query; `meta.count` counts the same): older ones stay readable by id.
 */

/** How far back GET /composes looks, as image-builder-crc. */
export const COMPOSE_LIST_WINDOW_SECONDS = 14 * 24 * 3600;

/** The ISO time from which composes are listed at `now`. */
export function composeListSince(now = Date.now()): string {
  return new Date(now - COMPOSE_LIST_WINDOW_SECONDS * 1000).toISOString();
}
