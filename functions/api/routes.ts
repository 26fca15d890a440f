import type { Compose } from '../../layers/src/compose/compose.ts';
import { openapiDocument } from '../../layers/src/api/generated/openapi-document.ts';
import { presentComposeStatus } from '../../layers/src/api/present-compose.ts';
import { validateSchema } from '../../layers/src/api/validate.ts';
import { listDistributions, findDistribution } from '../../layers/src/distro/registry.ts';
import {
  type AcceptedComposeRequest,
  cancelCompose,
  createCompose,
  getCompose,
  readComposeLogs,
  readManifests,
  readPackages,
} from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { API_BASE, type Reply, type Route } from './http.ts';
import { composeIdParam, integerParam } from './params.ts';

const ok = (body: unknown): Reply => ({ status: 200, body });

/** Download URLs are only handed out for finished, successful composes. */
async function downloadUrls(deps: ServiceDeps, compose: Compose): Promise<Record<string, string>> {
  if (compose.state !== 'success') return {};
  const entries = await Promise.all(
    compose.artifacts.map(async (a) => [a.name, await deps.blobs.downloadUrl(a.key, { expiresIn: deps.config.downloadUrlTtlSeconds, filename: a.name })]),
  );
  return Object.fromEntries(entries);
}

export const ROUTES: readonly Route[] = [
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
      return ok({ readiness: 'ready' });
    },
  },
  { method: 'GET', path: '/openapi.json', operationId: 'getOpenapiJson', public: true, handle: async () => ok(openapiDocument) },
  {
    method: 'GET',
    path: '/distributions',
    operationId: 'getDistributions',
    handle: async () => ok(listDistributions().map((d) => ({ name: d.name, description: d.description }))),
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
  {
    method: 'POST',
    path: '/compose',
    operationId: 'composeImage',
    handle: async ({ deps, orgId, body }) => {
      if (body === undefined) throw new ValidationError('(body)', 'a ComposeRequest JSON body is required');
      const request = validateSchema<AcceptedComposeRequest>('ComposeRequest', body);
      const compose = await createCompose(deps, orgId, request);
      return { status: 201, body: { id: compose.id } };
    },
  },
  {
    method: 'GET',
    path: '/composes',
    operationId: 'getComposes',
    handle: async ({ deps, orgId, query }) => {
      const limit = integerParam(query, 'limit', 100, 1, 100);
      const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const page = await deps.store.list(orgId, { limit, offset });
      const lastOffset = Math.max(0, Math.floor((page.total - 1) / limit) * limit);
      return ok({
        meta: { count: page.total },
        links: {
          first: `${API_BASE}/composes?offset=0&limit=${limit}`,
          last: `${API_BASE}/composes?offset=${lastOffset}&limit=${limit}`,
        },
        data: page.items.map((c) => ({
          id: c.id,
          request: c.request,
          created_at: c.createdAt,
          ...(c.imageName ? { image_name: c.imageName } : {}),
          client_id: c.clientId ?? 'api',
          status: c.state,
        })),
      });
    },
  },
  {
    method: 'GET',
    path: '/composes/{composeId}',
    operationId: 'getComposeStatus',
    handle: async ({ deps, orgId, params }) => {
      const compose = await getCompose(deps, orgId, composeIdParam(params));
      return ok(presentComposeStatus(compose, { urls: await downloadUrls(deps, compose) }));
    },
  },
  {
    method: 'GET',
    path: '/composes/{composeId}/metadata',
    operationId: 'getComposeMetadata',
    handle: async ({ deps, orgId, params }) => {
      const compose = await getCompose(deps, orgId, composeIdParam(params));
      const packages = (await readPackages(deps, compose)) as { name: string; version: string; release: string; epoch: number; arch: string; checksum: string }[];
      return ok({
        packages: packages.map((p) => ({
          type: 'rpm',
          name: p.name,
          version: p.version,
          release: p.release,
          ...(p.epoch ? { epoch: String(p.epoch) } : {}),
          arch: p.arch,
          // The header MD5 is only known once the rpm stage ran; until then the package checksum identifies the file.
          sigmd5: p.checksum,
        })),
      });
    },
  },
  {
    method: 'GET',
    path: '/composes/{composeId}/manifests',
    operationId: 'getComposeManifests',
    handle: async ({ deps, orgId, params }) => {
      const compose = await getCompose(deps, orgId, composeIdParam(params));
      return ok({ manifests: await readManifests(deps, compose) });
    },
  },
  {
    method: 'GET',
    path: '/composes/{composeId}/logs',
    operationId: 'getComposeLogs',
    handle: async ({ deps, orgId, params, query }) => {
      const offset = integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      const slice = await readComposeLogs(deps, orgId, composeIdParam(params), offset);
      return ok({ offset: slice.offset, next_offset: slice.nextOffset, complete: slice.complete, logs: slice.text });
    },
  },
  {
    method: 'POST',
    path: '/composes/{composeId}/cancel',
    operationId: 'cancelCompose',
    handle: async ({ deps, orgId, params }) => ok(presentComposeStatus(await cancelCompose(deps, orgId, composeIdParam(params)))),
  },
];
