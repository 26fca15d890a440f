/**
 * Koji builds of cloud API v2 composes (the `koji` block): the build is reserved on the hub (CGInitBuild) when the
 * compose is accepted, and settled once when every image of the compose has finished (an event, not a status read) — each image, its manifest and log
 * uploaded and imported (CGImport) on success, the reservation refunded (CGRefundBuild) on failure. The Koji state
 * lives beside the compose in the blob store (`koji/<org>/<compose>.json`). Only hubs named in IBS_KOJI_HUBS are
 * called, with the SSL client certificate koji-auth.ts finds (files, or SSM parameters on AWS; Kerberos is not available).
 */
import type { Readable } from 'node:stream';
import type { Compose } from '../../../layers/src/compose/compose.ts';
import { isFinalState } from '../../../layers/src/compose/compose.ts';
import { readPackageSets } from '../../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../../layers/src/service/deps.ts';
import { SERVICE_VERSION } from '../../../layers/src/version.ts';
import { readWholeLog } from '../compose-log.ts';
import { ComposerError, ComposerErrorCode as Code } from '../composer-errors.ts';
import { kojiImportMetadata, type KojiBuildTarget, type KojiImageBuild, type KojiUploadedFile } from './koji-metadata.ts';
import { allImagesFinished, cancelUnfinishedImages, readComposerImages } from '../composer-images.ts';
import { resolveKojiAuth } from './koji-auth.ts';
import { KOJI_BUILD_STATE, KojiSession, type KojiAuth } from './koji-session.ts';
import { KojiLeaseLostError, KojiSettleClaim } from './koji-settle-lease.ts';

export interface KojiRequest extends KojiBuildTarget {
  server: string;
}

export interface KojiState {
  request: KojiRequest;
  buildId: number;
  token: string;
  state: 'reserved' | 'imported' | 'refunded' | 'failed';
  reason?: string;
  startTime: number;
}

const stateKey = (orgId: string, composeId: string) => `koji/${orgId}/${composeId}.json`;

/** The request's `koji` block (server, task_id, name, version, release), its hub one of IBS_KOJI_HUBS. */
export function readKojiRequest(value: unknown, env: NodeJS.ProcessEnv = process.env): KojiRequest {
  const refuse = (details: string): never => {
    throw new ComposerError(Code.ValidationFailed, `koji: ${details}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('must be an object');
  const k = value as Record<string, unknown>;
  const extra = Object.keys(k).filter((key) => !['server', 'task_id', 'name', 'version', 'release'].includes(key));
  if (extra.length > 0) refuse(`unknown field ${extra.join(', ')}`);
  if (typeof k.server !== 'string' || !/^https?:\/\//.test(k.server)) refuse('server must be the hub URL (http or https)');
  if (typeof k.task_id !== 'number' || !Number.isInteger(k.task_id) || k.task_id < 0) refuse('task_id must be a whole number');
  for (const key of ['name', 'version', 'release']) if (typeof k[key] !== 'string' || k[key] === '') refuse(`${key} must be a non-empty string`);
  const allowed = (env.IBS_KOJI_HUBS ?? '').split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean);
  const server = (k.server as string).replace(/\/$/, '');
  if (!allowed.includes(server)) {
    throw new ComposerError(Code.InvalidUploadTarget, `koji: hub ${server} is not one this service may import into (IBS_KOJI_HUBS: ${allowed.join(', ') || 'none'})`);
  }
  return { server, taskId: k.task_id as number, name: k.name as string, version: k.version as string, release: k.release as string };
}

/** Reserves the build on the hub before the compose is created; the reservation to record once it is. */
export async function reserveKojiBuild(request: KojiRequest, auth: KojiAuth | Promise<KojiAuth>): Promise<KojiState> {
  try {
    const session = await KojiSession.open(request.server, await auth);
    const { buildId, token } = await session.initBuild({ name: request.name, version: request.version, release: request.release });
    return { request, buildId, token, state: 'reserved', startTime: Math.floor(Date.now() / 1000) };
  } catch (error) {
    throw new ComposerError(Code.EnqueueingJob, `koji: CGInitBuild on ${request.server} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Gives a reservation back when its compose could not be created (a failed refund is only logged: the hub's reservation expires). */
export async function refundKojiBuildQuietly(deps: ServiceDeps, koji: KojiState): Promise<void> {
  try {
    await (await KojiSession.open(koji.request.server, await resolveKojiAuth())).refundBuild(koji.buildId, koji.token, KOJI_BUILD_STATE.canceled);
  } catch (error) {
    deps.log.warn('koji refund failed', { buildId: koji.buildId, error });
  }
}

export async function saveKojiState(deps: ServiceDeps, compose: Pick<Compose, 'orgId' | 'id'>, state: KojiState): Promise<void> {
  await deps.blobs.put(stateKey(compose.orgId, compose.id), JSON.stringify(state), { contentType: 'application/json' });
}

export async function readKojiState(deps: ServiceDeps, compose: Pick<Compose, 'orgId' | 'id'>): Promise<KojiState | undefined> {
  const stream = await deps.blobs.get(stateKey(compose.orgId, compose.id));
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as KojiState;
}

async function* streamOf(deps: ServiceDeps, key: string): AsyncGenerator<Buffer> {
  const stream: Readable | undefined = await deps.blobs.get(key);
  if (!stream) throw new Error(`${key} is missing from the blob store`);
  for await (const chunk of stream as AsyncIterable<Buffer>) yield Buffer.from(chunk);
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

/**
 * The name an image file gets in the Koji build, as composer's enqueueKojiCompose gives it:
 * `<name>-<version>-<release>.<arch>` then everything from the file name's first dot (`.tar`, `.raw`, `.qcow2`).
 */
export function kojiImageFilename(request: Pick<KojiRequest, 'name' | 'version' | 'release'>, arch: string, filename: string): string {
  const dot = filename.indexOf('.');
  return `${request.name}-${request.version}-${request.release}.${arch}${dot < 0 ? '' : filename.slice(dot)}`;
}

/** Uploads one image compose's image, manifest and log into `directory`; what its output entries say about them. */
async function uploadImage(deps: ServiceDeps, image: Compose, request: KojiRequest, upload: (chunks: AsyncIterable<Buffer>, filename: string) => Promise<{ size: number; md5: string }>) {
  const files: KojiUploadedFile[] = [];
  const arch = image.spec.architecture;
  for (const artifact of image.artifacts) {
    const name = kojiImageFilename(request, arch, artifact.name);
    files.push({ filename: name, type: 'image', ...(await upload(streamOf(deps, artifact.key), name)) });
  }
  const base = image.artifacts[0] ? kojiImageFilename(request, arch, image.artifacts[0].name) : image.id;
  if (image.manifestKey) {
    files.push({ filename: `${base}.manifest.json`, type: 'osbuild-manifest', ...(await upload(streamOf(deps, image.manifestKey), `${base}.manifest.json`)) });
  }
  const log = Buffer.from((await readWholeLog(deps, image)).text);
  files.push({ filename: `${base}.log`, type: 'log', ...(await upload(once(log), `${base}.log`)) });
  return files;
}

/**
 * Uploads every image's files (image, manifest, log) and imports them all into the one reserved build, the settle
 * lease kept throughout. Two images whose Koji names would collide (two image types with one extension on one
 * architecture, which composer would send as one name) are told apart by the architecture in front.
 */
async function importCompose(deps: ServiceDeps, compose: Compose, images: readonly Compose[], state: KojiState, auth: KojiAuth, claim: KojiSettleClaim): Promise<void> {
  const session = await KojiSession.open(state.request.server, auth);
  const directory = `osbuild-cg/ibs-${compose.id}`;
  const taken = new Set<string>();
  const builds: KojiImageBuild[] = [];
  for (const image of images) {
    const arch = image.spec.architecture;
    const upload = async (chunks: AsyncIterable<Buffer>, filename: string) => {
      const name = taken.has(filename) ? `${arch}-${filename}` : filename;
      taken.add(name);
      const uploaded = await session.upload(claim.keeping(chunks), directory, name);
      return { ...uploaded, filename: name };
    };
    const files = await uploadImage(deps, image, state.request, upload);
    builds.push({ arch, imageType: image.spec.imageType, packages: await readPackageSets(deps, image), files });
  }
  const finished = images.map((image) => Date.parse(image.finishedAt ?? image.updatedAt));
  const metadata = kojiImportMetadata({
    koji: state.request,
    buildId: state.buildId,
    startTime: state.startTime,
    endTime: Math.floor(Math.max(...finished) / 1000),
    osbuildVersion: 'unknown',
    serviceVersion: SERVICE_VERSION,
    images: builds,
  });
  // The import is the commit point: renewed right before it, so no other settler can have started one.
  await claim.keep(true);
  await session.importBuild(metadata, directory, state.token);
}

export interface KojiSettleOptions {
  /** The settler's lease (owner: a fresh id; seconds: KOJI_SETTLE_LEASE_SECONDS). */
  lease?: { owner?: string; seconds?: number };
  /**
   * While another settler's lease runs: wait up to this long for it to run out or the build to be settled (the
   * status-events function, which is not called again; still held after it: a throw, so the stream retries),
   * instead of leaving it to the next sweep (local workers).
   */
  waitSeconds?: number;
}

/**
 * Every image of the compose once all have finished, else undefined. One image that failed or was cancelled ends
 * the build: the others still in the works are cancelled first (composer's koji-finalize fails on any failed image).
 */
async function finishedImagesOf(deps: ServiceDeps, compose: Compose): Promise<Compose[] | undefined> {
  let images = await readComposerImages(deps, compose);
  if (allImagesFinished(images)) return images;
  if (!images.some((image) => image.state === 'failure' || image.state === 'cancelled')) return undefined;
  await cancelUnfinishedImages(deps, images);
  images = await readComposerImages(deps, (await deps.store.get(compose.orgId, compose.id)) ?? compose);
  return allImagesFinished(images) ? images : undefined;
}

/**
 * Settles the Koji build of a finished compose exactly once: import on success, refund on failure. Called on the
 * compose's state change (the status-events function on AWS, the workers' sweep locally), never by a status read.
 * One settler at a time holds the lease in the compose store (koji-settle-lease.ts): the others get the state as it
 * stands, or wait. A settler that dies mid-import loses its lease when it runs out, and the next one imports; one
 * that only stalled finds its lease taken over at its next renewal and stops without importing or recording.
 */
export async function settleKojiBuild(deps: ServiceDeps, compose: Compose, options: KojiSettleOptions = {}): Promise<KojiState | undefined> {
  const reserved = async () => {
    const current = await readKojiState(deps, compose);
    return current?.state === 'reserved' ? current : undefined;
  };
  const first = await readKojiState(deps, compose);
  if (!first || first.state !== 'reserved') return first;
  const images = await finishedImagesOf(deps, compose);
  if (!images) return first;
  const claim = new KojiSettleClaim(deps, compose, options.lease);
  const claimed = (await claim.claim()) || (options.waitSeconds !== undefined && (await claim.waitForLease(async () => !(await reserved()), options.waitSeconds)));
  if (!claimed && options.waitSeconds !== undefined && (await reserved())) {
    // The status-events record is retried on a throw: the next invocation waits for the holder's lease again.
    throw new Error(`the Koji build of compose ${compose.id} is still held by another settler after ${options.waitSeconds} s`);
  }
  // Read again once claimed: the settler whose lease ran out may have recorded its result in between.
  const state = claimed ? await reserved() : undefined;
  if (!state) return readKojiState(deps, compose);
  const auth = await resolveKojiAuth();
  let settled: KojiState;
  try {
    if (images.every((image) => image.state === 'success')) {
      await importCompose(deps, compose, images, state, auth, claim);
      settled = { ...state, state: 'imported' };
    } else {
      // FAILED when an image failed; CANCELED when they were only cancelled.
      const failed = images.some((image) => image.state === 'failure');
      const session = await KojiSession.open(state.request.server, auth);
      await session.refundBuild(state.buildId, state.token, failed ? KOJI_BUILD_STATE.failed : KOJI_BUILD_STATE.canceled);
      settled = { ...state, state: 'refunded' };
    }
  } catch (error) {
    if (error instanceof KojiLeaseLostError) {
      // Another settler took over while this one stalled: it imports and records; this one leaves everything to it.
      deps.log.warn('koji settle lease lost', { composeId: compose.id, buildId: state.buildId, owner: claim.lease.owner });
      return readKojiState(deps, compose);
    }
    deps.log.warn('koji import failed', { composeId: compose.id, buildId: state.buildId, error });
    settled = { ...state, state: 'failed', reason: (error as Error).message };
  }
  await saveKojiState(deps, compose, settled);
  return settled;
}

/**
 * On a compose's state change: settle the Koji build of its v2 compose (itself, or the first image's compose it
 * belongs to) once every image has finished.
 */
export async function settleKojiBuildOf(deps: ServiceDeps, orgId: string, composeId: string, options: KojiSettleOptions = {}): Promise<void> {
  const compose = await deps.store.get(orgId, composeId);
  if (!compose || !isFinalState(compose.state)) return;
  const owner = compose.composerParent ? await deps.store.get(orgId, compose.composerParent) : compose;
  if (owner) await settleKojiBuild(deps, owner, options);
}

/** Local mode's stand-in for the stream: every reserved Koji build whose compose has finished is settled. */
export async function settleFinishedKojiBuilds(deps: ServiceDeps): Promise<void> {
  for (const { key } of await deps.blobs.list('koji/')) {
    const match = /^koji\/(.+)\/([^/]+)\.json$/.exec(key);
    if (match) await settleKojiBuildOf(deps, match[1]!, match[2]!);
  }
}
