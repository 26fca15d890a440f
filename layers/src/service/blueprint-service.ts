/**
 * Blueprint use cases of the hosted Image Builder API: create, list, read (any version), update (a new version),
 * delete (soft), export, and compose (one compose per image request). The store is shared with the other APIs.
 */
import { randomUUID } from 'node:crypto';
import type { Compose } from '../compose/compose.ts';
import { NotConfiguredError, NotFoundError, ValidationError } from '../errors.ts';
import type { BlueprintListOptions, BlueprintStore, StoredBlueprint } from '../ports/blueprint-store.ts';
import { validateSchema } from '../api/validate.ts';
import { hashRequestPasswordsYielding, redactRequestPasswords } from '../blueprint/password-intake.ts';
import { type AcceptedComposeRequest, prepareCompose, queueManifestJob, resolveImageRequest } from './compose-service.ts';
import { storeComposesWithinQuota } from './quota.ts';
import type { ServiceDeps } from './deps.ts';

const BLUEPRINT_FIELDS = ['name', 'description', 'distribution', 'image_requests', 'customizations', 'metadata', 'bootc'];
const MAX_NAME = 100;
const MAX_DESCRIPTION = 250;

/** A CreateBlueprintRequest that passed validation. */
export interface AcceptedBlueprint {
  name: string;
  description: string;
  body: { distribution: string; image_requests: AcceptedComposeRequest['image_requests']; customizations: unknown };
}

const storeOf = (deps: ServiceDeps): BlueprintStore => {
  if (!deps.blueprints) throw new NotConfiguredError('no blueprint store is configured in this function');
  return deps.blueprints;
};

/** Checks a create/update body the way the compose request is checked, field by field, image request by request. */
export function acceptBlueprint(value: unknown): AcceptedBlueprint {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('(body)', 'a blueprint JSON object is required');
  const body = value as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!BLUEPRINT_FIELDS.includes(key)) throw new ValidationError(key, `is not a blueprint field (allowed: ${BLUEPRINT_FIELDS.join(', ')})`);
  }
  if (typeof body.name !== 'string' || body.name.trim() === '' || body.name.length > MAX_NAME) {
    throw new ValidationError('name', `is required: 1 to ${MAX_NAME} characters`);
  }
  if (body.description !== undefined && (typeof body.description !== 'string' || body.description.length > MAX_DESCRIPTION)) {
    throw new ValidationError('description', `must be text of at most ${MAX_DESCRIPTION} characters`);
  }
  if (body.bootc !== undefined) throw new ValidationError('bootc', 'bootc blueprints are not supported by this service; give a distribution');
  if (body.customizations === undefined) throw new ValidationError('customizations', 'is required (may be an empty object)');
  if (!Array.isArray(body.image_requests) || body.image_requests.length === 0) throw new ValidationError('image_requests', 'at least one image request is required');
  // Each image request must be one the service can build, with these customizations.
  body.image_requests.forEach((image, i) => {
    const request = { distribution: body.distribution, image_requests: [image], customizations: body.customizations };
    try {
      resolveImageRequest(validateSchema<AcceptedComposeRequest>('ComposeRequest', request));
    } catch (error) {
      if (error instanceof ValidationError) throw new ValidationError(error.field.replace('image_requests[0]', `image_requests[${i}]`), error.message.slice(error.field.length + 2));
      throw error;
    }
  });
  return {
    name: body.name,
    description: (body.description as string | undefined) ?? '',
    body: {
      distribution: body.distribution as string,
      image_requests: body.image_requests as AcceptedBlueprint['body']['image_requests'],
      customizations: body.customizations,
    },
  };
}

export async function createBlueprint(deps: ServiceDeps, orgId: string, value: unknown): Promise<StoredBlueprint> {
  const accepted = acceptBlueprint(value);
  const now = new Date().toISOString();
  // Passwords are stored only as crypt hashes, as for composes.
  const body = await hashRequestPasswordsYielding(accepted.body);
  const blueprint: StoredBlueprint = { id: randomUUID(), orgId, name: accepted.name, description: accepted.description, version: 1, body, createdAt: now, updatedAt: now };
  await storeOf(deps).create(blueprint);
  return blueprint;
}

export async function updateBlueprint(deps: ServiceDeps, orgId: string, id: string, value: unknown): Promise<StoredBlueprint> {
  const accepted = acceptBlueprint(value);
  const store = storeOf(deps);
  const current = await store.get(orgId, id);
  if (!current) throw new NotFoundError(`blueprint ${id} not found`);
  // A blueprint read back from the API shows `hasPassword` instead of the hash: saving it again keeps the hash.
  const body = await hashRequestPasswordsYielding({ ...accepted.body, customizations: keepPasswords(accepted.body.customizations, current.body.customizations) });
  const updated = await store.update(orgId, id, { name: accepted.name, description: accepted.description, body }, { expectedVersion: current.version });
  if (!updated) throw new NotFoundError(`blueprint ${id} not found`);
  return updated;
}

/** The current version, or the one asked for (-1 or absent: the current one). */
export async function getBlueprint(deps: ServiceDeps, orgId: string, id: string, version?: number): Promise<StoredBlueprint> {
  const store = storeOf(deps);
  const current = await store.get(orgId, id);
  if (!current) throw new NotFoundError(`blueprint ${id} not found`);
  if (version === undefined || version === -1 || version === current.version) return current;
  const old = await store.getVersion(orgId, id, version);
  if (!old) throw new NotFoundError(`blueprint ${id} has no version ${version} (current: ${current.version})`);
  return { ...current, name: old.name, description: old.description, body: old.body, version: old.version, updatedAt: old.savedAt };
}

export const listBlueprints = (deps: ServiceDeps, orgId: string, options: BlueprintListOptions) => storeOf(deps).list(orgId, options);

export async function deleteBlueprint(deps: ServiceDeps, orgId: string, id: string): Promise<void> {
  if (!(await storeOf(deps).delete(orgId, id))) throw new NotFoundError(`blueprint ${id} not found`);
}

/** The blueprint as the hosted service exports it: importable elsewhere, with where it came from. */
export async function exportBlueprint(deps: ServiceDeps, orgId: string, id: string) {
  const blueprint = await getBlueprint(deps, orgId, id);
  return {
    name: blueprint.name,
    description: blueprint.description,
    distribution: blueprint.body.distribution,
    customizations: presentBlueprintBody(blueprint.body).customizations,
    metadata: { parent_id: blueprint.id, exported_at: new Date().toISOString(), is_on_prem: true },
  };
}

/** One compose per image request of the current version (or of the image types asked for). */
export async function composeBlueprint(deps: ServiceDeps, orgId: string, id: string, imageTypes?: string[]): Promise<Compose[]> {
  const blueprint = await getBlueprint(deps, orgId, id);
  const images = (blueprint.body.image_requests as AcceptedComposeRequest['image_requests']).filter(
    (image) => !imageTypes?.length || imageTypes.includes(image.image_type),
  );
  if (images.length === 0) throw new ValidationError('image_types', `the blueprint has none of ${imageTypes?.join(', ')}`);
  // Every compose is checked and made first, then all are admitted at once: a refusal leaves none behind.
  const composes: Compose[] = [];
  for (const image of images) {
    const request = {
      distribution: blueprint.body.distribution as string,
      image_name: blueprint.name,
      client_id: 'api',
      image_requests: [image],
      customizations: blueprint.body.customizations,
    };
    composes.push(await prepareCompose(deps, orgId, request, { blueprint: { id: blueprint.id, version: blueprint.version } }));
  }
  await storeComposesWithinQuota(deps, composes);
  let unqueued: unknown;
  for (const compose of composes) await queueManifestJob(deps, compose).catch((error: unknown) => (unqueued ??= error));
  if (unqueued) throw unqueued;
  return composes;
}

type Users = { users?: { name?: unknown; password?: unknown; hasPassword?: unknown }[] };

/** Users marked `hasPassword` without a new password keep the password hash they had. */
function keepPasswords(next: unknown, previous: unknown): unknown {
  const users = (next as Users | undefined)?.users;
  if (!Array.isArray(users)) return next;
  const before = new Map(((previous as Users | undefined)?.users ?? []).map((u) => [u.name, u.password]));
  return {
    ...(next as object),
    users: users.map(({ hasPassword, ...user }) =>
      hasPassword === true && user.password === undefined && typeof before.get(user.name) === 'string' ? { ...user, password: before.get(user.name) } : user,
    ),
  };
}

/** A stored blueprint body as responses show it: no password or hash, `hasPassword` instead. */
export const presentBlueprintBody = (body: Record<string, unknown>): Record<string, unknown> => redactRequestPasswords(body);
