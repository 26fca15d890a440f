/** Service meta and catalogue routes: version, readiness, the OpenAPI document, distributions and architectures. */
import { openapiDocument } from '../../layers/src/api/generated/openapi-document.ts';
import { listDistributions, findDistribution } from '../../layers/src/distro/registry.ts';
import { NotFoundError, ValidationError } from '../../layers/src/errors.ts';
import { ok } from './replies.ts';
import { readStorageHealth } from '../../layers/src/service/storage.ts';
import type { Route } from './http.ts';
import { errorBody } from './error-responses.ts';

export const META_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/version',
    operationId: 'getVersion',
    public: true,
    handle: async ({ deps }) => ok({ version: deps.config.version, ...(deps.config.buildCommit ? { build_commit: deps.config.buildCommit } : {}) }),
  },
  {
    method: 'GET',
    path: '/ready',
    operationId: 'getReadiness',
    public: true,
    handle: async ({ deps }) => {
      // Ready means the stores answer: a cheap read of each.
      await deps.store.get('ready-check', '00000000-0000-0000-0000-000000000000');
      await deps.blobs.head('ready-check');
      const disk = await readStorageHealth(deps);
      if (disk && disk.freeBytes < disk.minFreeBytes) {
        const detail = `storage is low: ${disk.freeBytes} bytes free, ${disk.minFreeBytes} needed`;
        // An error answer in the API's error format (HTTPErrorList), with the readiness fields besides.
        const body = { ...errorBody('Service unavailable', detail), readiness: 'not ready: storage is low', disk: { free_bytes: disk.freeBytes, min_free_bytes: disk.minFreeBytes } };
        return { status: 503, body };
      }
      return ok({ readiness: 'ready', ...(disk ? { disk: { free_bytes: disk.freeBytes, min_free_bytes: disk.minFreeBytes } } : {}) });
    },
  },
  { method: 'GET', path: '/openapi.json', operationId: 'getOpenapiJson', public: true, handle: async () => ok(openapiDocument) },
  {
    method: 'GET',
    path: '/distributions',
    operationId: 'getDistributions',
    handle: async ({ query }) => {
      // `kind=bootc` asks for image-mode distributions (distro/arch/type filter only those): this service has none.
      if (query.kind !== undefined && query.kind !== 'bootc') throw new ValidationError('kind', `"${query.kind}" is not a distribution kind (allowed: bootc)`);
      if (query.kind === 'bootc') return ok([]);
      return ok(listDistributions().map((d) => ({ name: d.name, description: d.description })));
    },
  },
  {
    method: 'GET',
    path: '/distributions/{distro}',
    operationId: 'getDistribution',
    handle: async ({ params, query }) => ok(describeDistribution(params.distro ?? '', listFilter(query.architecture), listFilter(query.image_type))),
  },
  {
    method: 'GET',
    path: '/architectures/{distribution}',
    operationId: 'getArchitectures',
    handle: async ({ params }) => {
      const distro = findDistribution(params.distribution ?? '');
      return ok(
        distro.architectures.map((a) => ({
          arch: a.name,
          image_types: a.imageTypes.map((t) => t.name),
          repositories: a.repositories.map((r) => ({
            rhsm: false,
            ...(r.baseurl?.[0] ? { baseurl: r.baseurl[0] } : {}),
            ...(r.metalink ? { metalink: r.metalink } : {}),
            ...(r.mirrorlist ? { mirrorlist: r.mirrorlist } : {}),
            ...(r.gpgkeys?.[0] ? { gpgkey: r.gpgkeys[0] } : {}),
            check_gpg: r.checkGpg ?? false,
          })),
        })),
      );
    },
  },
];

/** `?architecture=a,b` (or the parameter repeated: the gateway joins repeats with commas): the names, or no filter. */
const listFilter = (raw: string | undefined): string[] | undefined =>
  raw ? raw.split(',').map((v) => v.trim()).filter(Boolean) : undefined;

/** A distribution's details as the hosted API gives them: its architectures and their image types (aliases resolved). */
function describeDistribution(name: string, architectures?: string[], imageTypes?: string[]) {
  const distro = listDistributions().find((d) => d.name === name);
  if (!distro) throw new NotFoundError(`distribution "${name}" not found (available: ${listDistributions().map((d) => d.name).join(', ')})`);
  const wantedType = (t: { name: string; aliases: readonly string[] }) => !imageTypes || imageTypes.some((n) => n === t.name || t.aliases.includes(n));
  return {
    name: distro.name,
    product: distro.description,
    releasever: distro.releasever,
    architectures: Object.fromEntries(
      distro.architectures
        .filter((a) => !architectures || architectures.includes(a.name))
        .map((a) => [
          a.name,
          {
            name: a.name,
            image_types: Object.fromEntries(
              a.imageTypes.filter(wantedType).map((t) => [
                t.name,
                { name: t.name, aliases: [...t.aliases], filename: t.filename, mime_type: t.mimeType, default_size: t.defaultSize, boot_mode: t.bootMode },
              ]),
            ),
          },
        ]),
    ),
  };
}
