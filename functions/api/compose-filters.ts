/**
 * The hosted API's compose list filter `ignoreImageTypes` (GET /composes, GET /blueprints/{id}/composes), applied
 * here rather than in the stores: they page unfiltered lists, so a filtered page is cut from the whole filtered list.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
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

/** One page of a compose list with the filter applied: the store's own page when there is no filter. */
export async function filteredComposePage(
  readPage: (paging: { limit: number; offset: number }) => Promise<ComposePage>,
  paging: { limit: number; offset: number },
  ignored: ReadonlySet<string> | undefined,
): Promise<ComposePage> {
  if (!ignored) return readPage(paging);
  const all = await readPage({ limit: Number.MAX_SAFE_INTEGER, offset: 0 });
  const kept = all.items.filter((c) => !isIgnored(c, ignored));
  return { ...all, items: kept.slice(paging.offset, paging.offset + paging.limit), total: kept.length };
}

/** The filter as the list's page links keep it. */
export const ignoredImageTypesLink = (ignored: ReadonlySet<string> | undefined): string =>
  ignored ? `&ignoreImageTypes=${encodeURIComponent([...ignored].join(','))}` : '';
