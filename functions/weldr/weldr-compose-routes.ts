/** Weldr's `/compose/*` routes (osbuild-composer internal/weldr/api.go) over the hosted API's composes and runners. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Compose } from '../../layers/src/compose/compose.ts';
import type { StoredBlueprint } from '../../layers/src/ports/blueprint-store.ts';
import { artifactPrefix } from '../../layers/src/compose/blob-keys.ts';
import { ComposeErrorId, composeError } from '../../layers/src/compose/compose-errors.ts';
import { cancelCompose, createCompose, deleteCompose, getCompose, readManifests, readPackageSets, resolveImageRequest } from '../../layers/src/service/compose-service.ts';
import { findArchitecture, findDistribution } from '../../layers/src/distro/registry.ts';
import { checkNames, WeldrError, type WeldrErrorEntry } from './weldr-errors.ts';
import { jsonReply, type WeldrContext, type WeldrReply, type WeldrRequest, type WeldrRoute } from './weldr-router.ts';
import { findBlueprint, presentBlueprint } from './weldr-blueprints.ts';
import { sourcePayloadRepositories } from './weldr-sources.ts';
import { depsolveCurrent, presentDepsolved } from './weldr-blueprint-routes.ts';
import { streamTar, type TarEntry } from './weldr-tar.ts';
import { decodeWeldrUpload, presentUploads, refuseUnsupportedProvider } from './weldr-uploads.ts';
import { decodeWeldrOSTree, refuseOSTreeOptions } from './weldr-ostree.ts';
import { deleteComposeRecord, readComposeRecord, saveComposeRecord } from './weldr-compose-record.ts';
import {
  createBlueprintLabels,
  deleteComposeBlueprint,
  findWeldrImageType,
  imageFileName,
  imageSizeOf,
  imageTypeOf,
  listAllComposes,
  presentComposeEntry,
  queueStatusOf,
  readWholeLog,
  saveComposeBlueprint,
  type WeldrQueueStatus,
  weldrTypeName,
} from './weldr-composes.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A compose by the uuid in the path: UnknownUUID for a malformed or unknown one, as composer words them. */
async function composeOf(ctx: WeldrContext, uuid: string, unknownMsg = `Compose ${uuid} doesn't exist`): Promise<Compose> {
  if (!UUID.test(uuid)) throw new WeldrError(400, 'UnknownUUID', `${uuid} is not a valid build uuid`);
  try {
    return await getCompose(ctx.deps, ctx.orgId, uuid.toLowerCase());
  } catch (error) {
    throw new WeldrError(400, 'UnknownUUID', unknownMsg, { cause: error });
  }
}

function requireStatus(compose: Compose, allowed: WeldrQueueStatus[], msg: string): void {
  if (!allowed.includes(queueStatusOf(compose))) throw new WeldrError(400, 'BuildInWrongState', msg);
}

interface ComposeStartRequest {
  blueprint_name?: unknown;
  compose_type?: unknown;
  size?: unknown;
  upload?: unknown;
  ostree?: unknown;
}

function parseStart(request: WeldrRequest): ComposeStartRequest {
  if (request.contentType !== 'application/json') throw new WeldrError(400, 'MissingPost', 'blueprint must be json');
  try {
    const body = JSON.parse(request.body.toString('utf8')) as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
    return body as ComposeStartRequest;
  } catch (error) {
    // composer answers an undecodable compose request with its 404.
    throw new WeldrError(404, 'HTTPError', 'Not Found', { code: 404, cause: error });
  }
}

/** `?test=1|2`: a compose stored as failed or finished without building, as composer's PushTestCompose. */
async function storeTestCompose(ctx: WeldrContext, request: Record<string, unknown>, spec: Compose['spec'], origin: Compose['blueprint'], success: boolean) {
  const now = new Date().toISOString();
  const compose: Compose = {
    id: randomUUID(),
    orgId: ctx.orgId,
    request,
    spec,
    imageName: request.image_name as string,
    clientId: 'api',
    ...(origin ? { blueprint: origin } : {}),
    state: success ? 'success' : 'failure',
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: now,
    attempt: 0,
    artifacts: [],
    seed: randomBytes(16).toString('hex'),
    result: success ? { success: true } : { success: false, error: composeError(ComposeErrorId.Internal, 'test compose (?test=1)') },
  };
  await ctx.deps.store.create(compose);
  return compose;
}

/** The blueprint's customizations with the user sources added as payload repositories, as composer builds them. */
async function withSourcePayloads(ctx: WeldrContext, distribution: string, customizations: unknown): Promise<unknown> {
  const payloads = await sourcePayloadRepositories(ctx, distribution);
  if (payloads.length === 0) return customizations;
  const current = (customizations ?? {}) as { payload_repositories?: unknown[] };
  return { ...current, payload_repositories: [...(current.payload_repositories ?? []), ...payloads] };
}

/**
 * composer depsolves while it makes the manifest, before it queues anything (test composes too): a blueprint whose
 * packages cannot be installed is a 500 `DepsolveError` at start, not a failed compose later.
 */
async function checkDepsolves(ctx: WeldrContext, stored: StoredBlueprint): Promise<void> {
  const blueprint = presentBlueprint(stored);
  if (![blueprint.packages, blueprint.modules, blueprint.groups].some((list) => Array.isArray(list) && list.length > 0)) return;
  try {
    await depsolveCurrent(ctx, { blueprint, changed: false, stored });
  } catch (error) {
    throw new WeldrError(500, 'DepsolveError', (error as Error).message, { cause: error });
  }
}

async function startCompose(ctx: WeldrContext, request: WeldrRequest): Promise<WeldrReply> {
  const body = parseStart(request);
  const upload = decodeWeldrUpload(body.upload);
  const ostree = decodeWeldrOSTree(body.ostree);
  const name = typeof body.blueprint_name === 'string' ? body.blueprint_name : '';
  checkNames([name]);
  const stored = await findBlueprint(ctx, name);
  if (!stored) throw new WeldrError(400, 'UnknownBlueprint', `Unknown blueprint name: ${name}`);
  const distribution = String(stored.body.distribution ?? ctx.defaultDistro);
  const architecture = ((stored.body.image_requests ?? []) as { architecture?: string }[])[0]?.architecture ?? ctx.hostArch;
  const composeType = typeof body.compose_type === 'string' ? body.compose_type : '';
  let arch: ReturnType<typeof findArchitecture>;
  let distro: ReturnType<typeof findDistribution>;
  try {
    distro = findDistribution(distribution);
    arch = findArchitecture(distro, architecture);
  } catch (error) {
    throw new WeldrError(400, 'DistroError', `Unknown distribution: ${distribution} for arch ${architecture}`, { cause: error });
  }
  let imageType: string;
  try {
    imageType = findWeldrImageType(distro, arch, composeType).name;
  } catch (error) {
    // composer's message for a type the distribution does not have (images' GetImageType), word for word.
    throw new WeldrError(400, 'ComposeError', `Failed to get compose type "${composeType}": invalid image type: ${composeType}`, { cause: error });
  }
  refuseOSTreeOptions(ostree, weldrTypeName(imageType));
  // composer decodes `upload` in both versions and uses it from v1 on.
  const uploadRequest = request.version >= 1 && upload ? (upload.request ?? refuseUnsupportedProvider(upload.provider)) : undefined;
  const size = typeof body.size === 'number' && body.size > 0 ? body.size : undefined;
  const composeRequest = {
    distribution,
    image_name: stored.name,
    // The hosted API's ComposeRequest allows api, ui and mcp only: its answers echo the request.
    client_id: 'api',
    image_requests: [{ architecture, image_type: imageType, ...(size ? { size } : {}), ...(uploadRequest ? { upload_request: uploadRequest } : {}) }],
    customizations: await withSourcePayloads(ctx, distribution, stored.body.customizations),
  };
  await checkDepsolves(ctx, stored);
  const origin = { id: stored.id, version: stored.version };
  const test = request.query.get('test');
  let compose: Compose;
  if (test === '1' || test === '2') {
    // An upload is checked as a real start checks it (region, AMI name, raw disk), before the test compose is stored.
    const spec = uploadRequest ? resolveImageRequest(composeRequest) : { distribution, architecture, imageType, size: size ?? 0, uploadType: 'aws.s3' };
    compose = await storeTestCompose(ctx, composeRequest, spec, origin, test === '2');
  } else {
    compose = await createCompose(ctx.deps, ctx.orgId, composeRequest, { blueprint: origin });
  }
  await saveComposeBlueprint(ctx, compose.id, presentBlueprint(stored));
  await saveComposeRecord(ctx, compose.id, { composeType, ...(uploadRequest && upload?.settings ? { upload: { provider: 'aws', settings: upload.settings } } : {}) });
  // composer's reply: Go's nil warnings slice encodes as null.
  return jsonReply({ build_id: compose.id, status: true, warnings: null });
}

async function listByStatus(ctx: WeldrContext, request: WeldrRequest, statuses: WeldrQueueStatus[]) {
  const labels = createBlueprintLabels(ctx);
  const composes = (await listAllComposes(ctx)).filter((c) => statuses.includes(queueStatusOf(c)));
  return Promise.all(composes.map((c) => withRecord(ctx, request, c, presentComposeEntry(c, labels))));
}

/**
 * composer's ComposeEntry and compose info: `compose_type` as the client named it, `uploads` from API v1 on (the
 * settings the client sent), omitted when the compose has none.
 */
async function withRecord(ctx: WeldrContext, request: WeldrRequest, compose: Compose, entry: Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const record = await readComposeRecord(ctx, compose.id);
  const uploads = request.version >= 1 ? presentUploads(compose, queueStatusOf(compose), record) : undefined;
  const named = record ? { ...(await entry), compose_type: record.composeType } : await entry;
  return uploads ? { ...named, uploads } : named;
}

const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.id).localeCompare(String(b.id));

async function composeStatus(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const all = await listAllComposes(ctx);
  let selected = all;
  if (params.uuids !== '*') {
    const ids = params.uuids.split(',');
    for (const id of ids) if (!UUID.test(id)) throw new WeldrError(400, 'UnknownUUID', `${id} is not a valid build uuid`);
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    selected = all.filter((c) => wanted.has(c.id));
  }
  const blueprint = request.query.get('blueprint') ?? '';
  if (blueprint !== '') checkNames([blueprint]);
  const status = request.query.get('status') ?? '';
  const type = request.query.get('type') ?? '';
  const labels = createBlueprintLabels(ctx);
  const entries = await Promise.all(selected.map((c) => withRecord(ctx, request, c, presentComposeEntry(c, labels))));
  const uuids = entries.filter(
    (e) => (blueprint === '' || e.blueprint === blueprint) && (status === '' || e.queue_status === status) && (type === '' || e.compose_type === type),
  );
  return jsonReply({ uuids: uuids.sort(byId) });
}

async function composeInfo(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const compose = await composeOf(ctx, params.uuid, `${params.uuid} is not a valid build uuid`);
  const { blueprint } = await createBlueprintLabels(ctx)(compose);
  const sets = await readPackageSets(ctx.deps, compose);
  const packages = sets.packages?.length ? sets.packages : (sets.os ?? Object.values(sets).find((s) => s.length) ?? []);
  const info = {
    id: compose.id,
    config: '',
    blueprint: blueprint ?? null,
    commit: '',
    deps: { packages: [...packages].sort((a, b) => a.name.localeCompare(b.name)).map(presentDepsolved) },
    compose_type: weldrTypeName(compose.spec.imageType),
    queue_status: queueStatusOf(compose),
    image_size: imageSizeOf(compose),
  };
  // uploads: v1 only, and omitted (not null, not []) for a compose without upload targets, as Go's omitempty.
  return jsonReply(await withRecord(ctx, request, compose, Promise.resolve(info)));
}

async function deleteComposes(ctx: WeldrContext, _request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const uuids: { uuid: string; status: boolean }[] = [];
  const errors: WeldrErrorEntry[] = [];
  for (const id of params.uuids.split(',')) {
    if (!UUID.test(id)) {
      errors.push({ id: 'UnknownUUID', msg: `${id} is not a valid uuid` });
      continue;
    }
    const compose = await getCompose(ctx.deps, ctx.orgId, id.toLowerCase()).catch(() => undefined);
    if (!compose) {
      errors.push({ id: 'UnknownUUID', msg: `compose ${id.toLowerCase()} doesn't exist` });
      continue;
    }
    const status = queueStatusOf(compose);
    if (status !== 'FINISHED' && status !== 'FAILED') {
      errors.push({ id: 'BuildInWrongState', msg: `Compose ${compose.id} is not in FINISHED or FAILED.` });
      continue;
    }
    await deleteCompose(ctx.deps, ctx.orgId, compose.id);
    await deleteComposeBlueprint(ctx, compose.id);
    await deleteComposeRecord(ctx, compose.id);
    // composer removes the artifacts with the compose.
    for (let attempt = 0; attempt <= compose.attempt; attempt++) {
      for (const blob of await ctx.deps.blobs.list(artifactPrefix(ctx.orgId, compose.id, attempt))) await ctx.deps.blobs.delete(blob.key);
    }
    uuids.push({ uuid: compose.id, status: true });
  }
  return jsonReply({ uuids, errors });
}

async function composeLog(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const compose = await composeOf(ctx, params.uuid);
  const status = queueStatusOf(compose);
  // lorax answers 200 with an error body here, and composer kept it.
  if (status === 'WAITING') return jsonReply({ status: false, errors: [{ id: 'BuildInWrongState', msg: `Build ${params.uuid} has not started yet. No logs to view.` }] });
  if (status === 'RUNNING') return { status: 200, body: `Build ${params.uuid} is still running.\n` };
  const log = Buffer.from(await readWholeLog(ctx, compose));
  const sizeKb = Number(request.query.get('size') ?? '');
  const tail = Number.isInteger(sizeKb) && sizeKb > 0 ? log.subarray(Math.max(0, log.length - sizeKb * 1024)) : log;
  return { status: 200, body: tail };
}

const tarReply = (filename: string, entries: TarEntry[]): WeldrReply => ({
  status: 200,
  body: streamTar(entries),
  headers: { 'content-disposition': `attachment; filename=${filename}`, 'content-type': 'application/x-tar' },
});

async function manifestEntry(ctx: WeldrContext, compose: Compose, mode: number): Promise<TarEntry> {
  const [manifest] = await readManifests(ctx.deps, compose);
  const bytes = Buffer.from(JSON.stringify(manifest ?? null));
  return { name: `${compose.id}.json`, size: bytes.length, mode, body: bytes };
}

async function logEntry(ctx: WeldrContext, compose: Compose): Promise<TarEntry> {
  const bytes = Buffer.from(await readWholeLog(ctx, compose));
  return { name: 'logs/osbuild.log', size: bytes.length, body: bytes };
}

function imageEntry(ctx: WeldrContext, compose: Compose): TarEntry[] {
  const artifact = compose.artifacts[0];
  if (!artifact || compose.state !== 'success') return [];
  return [{ name: `${compose.id}-${imageFileName(compose)}`, size: artifact.size, body: () => ctx.deps.blobs.get(artifact.key) }];
}

const FINAL: WeldrQueueStatus[] = ['FINISHED', 'FAILED'];
const wrongState = (uuid: string, compose: Compose) => `Build ${uuid} is in wrong state: ${queueStatusOf(compose)}`;

/** A GET of a FINISHED or FAILED compose's tar (BuildInWrongState otherwise, worded per route as composer does). */
function finishedTarRoute(pattern: string, wrong: (uuid: string, compose: Compose) => string, reply: (ctx: WeldrContext, compose: Compose) => Promise<WeldrReply>): WeldrRoute {
  return {
    method: 'GET',
    pattern,
    errorId: 'ComposeError',
    handler: async (ctx, _request, params) => {
      const compose = await composeOf(ctx, params.uuid);
      requireStatus(compose, FINAL, wrong(params.uuid, compose));
      return reply(ctx, compose);
    },
  };
}

export const WELDR_COMPOSE_ROUTES: readonly WeldrRoute[] = [
  { method: 'POST', pattern: '/compose', errorId: 'ComposeError', handler: startCompose },
  {
    method: 'GET',
    pattern: '/compose/queue',
    errorId: 'ComposeError',
    handler: async (ctx, request) => jsonReply({ new: await listByStatus(ctx, request, ['WAITING']), run: await listByStatus(ctx, request, ['RUNNING']) }),
  },
  { method: 'GET', pattern: '/compose/finished', errorId: 'ComposeError', handler: async (ctx, r) => jsonReply({ finished: (await listByStatus(ctx, r, ['FINISHED'])).sort(byId) }) },
  { method: 'GET', pattern: '/compose/failed', errorId: 'ComposeError', handler: async (ctx, r) => jsonReply({ failed: (await listByStatus(ctx, r, ['FAILED'])).sort(byId) }) },
  { method: 'GET', pattern: '/compose/status/:uuids', errorId: 'ComposeError', handler: composeStatus },
  { method: 'GET', pattern: '/compose/info/:uuid', errorId: 'ComposeError', handler: composeInfo },
  {
    method: 'DELETE',
    pattern: '/compose/cancel/:uuid',
    errorId: 'ComposeError',
    handler: async (ctx, _request, params) => {
      const compose = await composeOf(ctx, params.uuid);
      requireStatus(compose, ['WAITING', 'RUNNING'], `Build ${params.uuid} is not in WAITING or RUNNING.`);
      await cancelCompose(ctx.deps, ctx.orgId, compose.id);
      return jsonReply({ uuid: compose.id, status: true });
    },
  },
  { method: 'DELETE', pattern: '/compose/delete/:uuids', errorId: 'ComposeError', handler: deleteComposes },
  { method: 'GET', pattern: '/compose/log/:uuid', errorId: 'ComposeError', handler: composeLog },
  finishedTarRoute('/compose/logs/:uuid', (uuid) => `Build ${uuid} not in FINISHED or FAILED state.`, async (ctx, compose) =>
    tarReply(`${compose.id}-logs.tar`, [await logEntry(ctx, compose)]),
  ),
  finishedTarRoute('/compose/metadata/:uuid', wrongState, async (ctx, compose) =>
    tarReply(`${compose.id}-metadata.tar`, [await manifestEntry(ctx, compose, 0o600)]),
  ),
  finishedTarRoute('/compose/results/:uuid', wrongState, async (ctx, compose) =>
    tarReply(`${compose.id}.tar`, [await manifestEntry(ctx, compose, 0o644), await logEntry(ctx, compose), ...imageEntry(ctx, compose)]),
  ),
  {
    method: 'GET',
    pattern: '/compose/image/:uuid',
    errorId: 'ComposeError',
    handler: async (ctx, _request, params) => {
      const compose = await composeOf(ctx, params.uuid);
      requireStatus(compose, ['FINISHED'], wrongState(params.uuid, compose));
      const artifact = compose.artifacts[0];
      const stream = artifact ? await ctx.deps.blobs.get(artifact.key) : undefined;
      if (!artifact || !stream) throw new WeldrError(400, 'InternalServerError', `Error accessing image file for compose ${compose.id}: no image file`);
      return {
        status: 200,
        body: stream,
        headers: {
          'content-disposition': `attachment; filename=${compose.id}-${imageFileName(compose)}`,
          'content-type': imageTypeOf(compose)?.mimeType ?? artifact.contentType,
          'content-length': String(artifact.size),
        },
      };
    },
  },
];
