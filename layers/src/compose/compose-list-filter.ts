/**
 * The filters of an organization's compose list (GET /composes `status=`, `distribution=`): what a store applies in its
 * query where it can (SQLite in SQL), and the same test for the stores that filter read items (DynamoDB's list index
 * holds keys only) and for lists filtered above the store.
 */
import type { Compose, ComposeState } from './compose.ts';

export interface ComposeListFilter {
  /** Only composes in one of these states. */
  states?: readonly ComposeState[];
  /** Only composes whose request named this distribution. */
  distribution?: string;
}

export const hasListFilter = (filter: ComposeListFilter): boolean => filter.states !== undefined || filter.distribution !== undefined;

/** Whether `compose` passes the filter. */
export const matchesListFilter = (compose: Compose, { states, distribution }: ComposeListFilter): boolean =>
  (states === undefined || states.includes(compose.state)) && (distribution === undefined || compose.request.distribution === distribution);
