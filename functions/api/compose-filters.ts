/**
 * The compose list filters of GET /composes and GET /blueprints/{id}/composes: the hosted API's `ignoreImageTypes`,
 * applied here (the stores page unfiltered lists, so a filtered page is cut from the whole filtered list), and our
 * `status` and `distribution` extensions, which GET /composes pushes into the store's query.
 */
import { COMPOSE_STATES, type Compose, type ComposeState } from '../../layers/src/compose/compose.ts';
import { type ComposeListFilter, hasListFilter, matchesListFilter } from '../../layers/src/compose/compose-list-filter.ts';
import type { ComposePage } from '../../layers/src/ports/compose-store.ts';
import { listDistributions } from '../../layers/src/distro/registry.ts';
import { ValidationError } from '../../layers/src/errors.ts';

/** The hosted spec's ImageTypes enum: valid filter values even where no distribution of ours builds them. */
const HOSTED_IMAGE_TYPES = [
  'aws', 'azure', 'bootable-container-iso', 'edge-commit', 'edge-installer', 'gcp', 'guest-image', 'image-installer', 'network-installer',
  'oci', 'pxe-tar-xz', 'vsphere', 'vsphere-ova', 'wsl', 'ami', 'rhel-edge-commit', 'rhel-edge-installer', 'vhd',
];

/** Every image type name and alias a filter may name: the hosted ones and those of our distributions. */
function knownImageTypes(): Set<string> {
  const names = new Set(HOSTED_IMAGE_TYPES);
  for (const d of listDistributions()) for (const a of d.architectures) for (const t of a.imageTypes) for (const n of [t.name, ...t.aliases]) names.add(n);
  return names;
}

/** `?ignoreImageTypes=a,b` (or repeated: the gateways join repeats with commas): the names, or undefined for no filter. */
export function ignoredImageTypesOf(query: Record<string, string>): ReadonlySet<string> | undefined {
  const raw = query.ignoreImageTypes;
  if (raw === undefined || raw === '') return undefined;
  const names = raw.split(',').map((v) => v.trim()).filter(Boolean);
  const known = knownImageTypes();
  const unknown = names.find((n) => !known.has(n));
  if (unknown !== undefined) throw new ValidationError('ignoreImageTypes', `"${unknown}" is not an image type (allowed: ${[...known].sort().join(', ')})`);
  return new Set(names);
}

/** Whether the filter leaves `compose` out: it names the image type as requested (as the hosted service matches) or as resolved. */
export const isIgnored = (compose: Compose, ignored: ReadonlySet<string> | undefined): boolean => {
  if (!ignored) return false;
  const requested = (compose.request as { image_requests?: { image_type?: unknown }[] }).image_requests?.[0]?.image_type;
  return (typeof requested === 'string' && ignored.has(requested)) || ignored.has(compose.spec.imageType);
};

/** A list's filters as a request gives them: `ignoreImageTypes`, `status` (states, comma-separated) and `distribution`. */
export interface ComposeListQuery extends ComposeListFilter {
  ignored?: ReadonlySet<string>;
}

/** `?status=a,b` (or repeated): compose states, each checked; undefined for no filter. */
function statesOf(query: Record<string, string>): ComposeState[] | undefined {
  const raw = query.status;
  if (raw === undefined || raw === '') return undefined;
  const states = raw.split(',').map((v) => v.trim()).filter(Boolean);
  const unknown = states.find((s) => !(COMPOSE_STATES as readonly string[]).includes(s));
  if (unknown !== undefined) throw new ValidationError('status', `"${unknown}" is not a compose state (allowed: ${COMPOSE_STATES.join(', ')})`);
  return states as ComposeState[];
}

/** `?distribution=name`: one of ours; undefined for no filter. */
function distributionOf(query: Record<string, string>): string | undefined {
  const name = query.distribution;
  if (name === undefined || name === '') return undefined;
  const names = listDistributions().map((d) => d.name);
  if (!names.includes(name)) throw new ValidationError('distribution', `"${name}" is not a distribution (allowed: ${names.join(', ')})`);
  return name;
}

/** Every filter of a compose list request, checked (a 400 names the parameter and its allowed values). */
export function composeListQueryOf(query: Record<string, string>): ComposeListQuery {
  const states = statesOf(query);
  const distribution = distributionOf(query);
  const ignored = ignoredImageTypesOf(query);
  return { ...(states ? { states } : {}), ...(distribution ? { distribution } : {}), ...(ignored ? { ignored } : {}) };
}

/**
 * One page of a compose list with the filters applied: the store's own page when it applies them all (`storeFilters`:
 * `readPage` already passes `states` and `distribution` to the store), else cut from the whole filtered list.
 */
export async function filteredComposePage(
  readPage: (paging: { limit: number; offset: number }) => Promise<ComposePage>,
  paging: { limit: number; offset: number },
  filters: ComposeListQuery,
  { storeFilters = false } = {},
): Promise<ComposePage> {
  const here = !storeFilters && hasListFilter(filters);
  if (!filters.ignored && !here) return readPage(paging);
  const all = await readPage({ limit: Number.MAX_SAFE_INTEGER, offset: 0 });
  const kept = all.items.filter((c) => !isIgnored(c, filters.ignored) && (!here || matchesListFilter(c, filters)));
  return { ...all, items: kept.slice(paging.offset, paging.offset + paging.limit), total: kept.length };
}

/** The filters as the list's page links keep them. */
export const composeListLink = ({ ignored, states, distribution }: ComposeListQuery): string =>
  (states ? `&status=${encodeURIComponent(states.join(','))}` : '') +
  (distribution ? `&distribution=${encodeURIComponent(distribution)}` : '') +
  (ignored ? `&ignoreImageTypes=${encodeURIComponent([...ignored].join(','))}` : '');
