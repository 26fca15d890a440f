/**
 * POST /compose of the cloud API v2 over the hosted compose use case: the request read into the hosted one, the image
 * request's repositories replacing the distribution's, the Koji build reserved first (and given back when the compose
 * cannot be created), and the request kept as sent for GET /composes/{id}/metadata, as composer keeps it.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { prepareCompose, queueManifestJob } from '../../layers/src/service/compose-service.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';
import { storeComposeWithinQuota } from '../../layers/src/service/quota.ts';
import { ensureStorageRoom } from '../../layers/src/service/storage.ts';
import { acceptComposerRequest } from './composer-request.ts';
import { checkPayloadRepositories, readImageRepositories } from './composer-repositories.ts';
import { readKojiRequest, refundKojiBuildQuietly, reserveKojiBuild, saveKojiState } from './koji/koji-builds.ts';
import { resolveKojiAuth } from './koji/koji-auth.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The users of a customizations object (`users`) or of a composer blueprint's (`user`) without their passwords. */
function withoutPasswords(customizations: unknown, key: 'users' | 'user'): unknown {
  if (!isObj(customizations) || !Array.isArray(customizations[key])) return customizations;
  const users = (customizations[key] as unknown[]).map((u) => (isObj(u) ? Object.fromEntries(Object.entries(u).filter(([k]) => k !== 'password')) : u));
  return { ...customizations, [key]: users };
}

/**
 * The request as GET /composes/{id}/metadata gives it back: as sent, but user passwords are never stored or echoed
 * (composer keeps and echoes them as sent; the hosted API here never echoes them either).
 */
export function storedComposerRequest(body: Obj): Obj {
  const stored: Obj = { ...body };
  if (stored.customizations !== undefined) stored.customizations = withoutPasswords(stored.customizations, 'users');
  if (isObj(stored.blueprint) && stored.blueprint.customizations !== undefined) {
    stored.blueprint = { ...stored.blueprint, customizations: withoutPasswords(stored.blueprint.customizations, 'user') };
  }
  return stored;
}

/** Checks, stores and queues a v2 compose; a `koji` block reserves its build on the hub before anything is stored. */
export async function acceptComposerCompose(deps: ServiceDeps, orgId: string, body: unknown): Promise<Compose> {
  const request = acceptComposerRequest(body);
  const sent = body as Obj;
  checkPayloadRepositories(sent.customizations);
  const repositories = readImageRepositories(deps.config, sent);
  const kojiRequest = sent.koji === undefined ? undefined : readKojiRequest(sent.koji);
  await ensureStorageRoom(deps);
  const koji = kojiRequest ? await reserveKojiBuild(kojiRequest, resolveKojiAuth()) : undefined;
  try {
    const prepared = await prepareCompose(deps, orgId, request);
    const compose: Compose = {
      ...prepared,
      spec: { ...prepared.spec, ...(repositories ? { repositories } : {}) },
      composerRequest: storedComposerRequest(sent),
    };
    await storeComposeWithinQuota(deps, compose);
    await queueManifestJob(deps, compose);
    if (koji) await saveKojiState(deps, compose, koji);
    return compose;
  } catch (error) {
    if (koji) await refundKojiBuildQuietly(deps, koji);
    throw error;
  }
}
