/**
 * Blueprint files in and out of the blueprint store (our API extension: POST /blueprints/import and
 * GET /blueprints/{id}/export?format=composer): a composer TOML/JSON file or a hosted export becomes a new blueprint,
 * or a new version of the organization's blueprint of that name; a stored version comes back out as composer TOML/JSON.
 */
import { randomUUID } from 'node:crypto';
import { COMPOSER_SOURCE_KEY, renderComposerBlueprint, formatComposerToml } from '../blueprint/composer-blueprint-export.ts';
import { importBlueprint, type ImportedBlueprint } from '../blueprint/composer-blueprint-import.ts';
import { hashRequestPasswordsYielding } from '../blueprint/password-intake.ts';
import { ConflictError, NotConfiguredError, ValidationError } from '../errors.ts';
import type { BlueprintStore, StoredBlueprint } from '../ports/blueprint-store.ts';
import { acceptBlueprint, createBlueprint, getBlueprint, updateBlueprint } from './blueprint-service.ts';
import type { ServiceDeps } from './deps.ts';

type Obj = Record<string, unknown>;

const IMPORT_FIELDS = ['blueprint', 'format', 'name', 'distribution', 'image_requests'];
/** Body bytes up to which the composer file is stored next to its conversion. */
const MAX_KEPT_BYTES = 300_000;

export interface BlueprintImportResult {
  blueprint: StoredBlueprint;
  created: boolean;
  format: ImportedBlueprint['format'];
  warnings: string[];
}

const storeOf = (deps: ServiceDeps): BlueprintStore => {
  if (!deps.blueprints) throw new NotConfiguredError('no blueprint store is configured in this function');
  return deps.blueprints;
};

function importRequestOf(value: unknown): { blueprint: unknown; format?: 'toml' | 'json'; name?: string; distribution?: string; image_requests?: unknown[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError('(body)', 'a JSON object with the blueprint file is required');
  const body = value as Obj;
  for (const key of Object.keys(body)) if (!IMPORT_FIELDS.includes(key)) throw new ValidationError(key, `is not an import field (allowed: ${IMPORT_FIELDS.join(', ')})`);
  if (typeof body.blueprint !== 'string' && (typeof body.blueprint !== 'object' || body.blueprint === null)) {
    throw new ValidationError('blueprint', 'is required: the file text (TOML or JSON) or the decoded JSON object');
  }
  if (body.format !== undefined && body.format !== 'toml' && body.format !== 'json') throw new ValidationError('format', 'must be "toml" or "json"');
  for (const key of ['name', 'distribution'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') throw new ValidationError(key, 'must be a string');
  }
  if (body.image_requests !== undefined && !Array.isArray(body.image_requests)) throw new ValidationError('image_requests', 'must be a list of image requests');
  return body as ReturnType<typeof importRequestOf>;
}

/** The composer source with the users' passwords replaced by the hashes the hosted body stores. */
function withStoredPasswords(source: Obj, hostedCustomizations: unknown): Obj {
  const c = source.customizations as { user?: Obj[] } | undefined;
  if (!Array.isArray(c?.user)) return source;
  const hashes = new Map(((hostedCustomizations as { users?: Obj[] }).users ?? []).map((u) => [u.name, u.password]));
  const user = c.user.map((u) => (typeof u.password === 'string' && u.password !== '' ? { ...u, password: hashes.get(u.name) } : u));
  return { ...source, customizations: { ...c, user } };
}

/** Imports a blueprint file: a new blueprint, or a new version of the live blueprint with its name. */
export async function importBlueprintFile(deps: ServiceDeps, orgId: string, value: unknown): Promise<BlueprintImportResult> {
  const request = importRequestOf(value);
  const imported = importBlueprint(request.blueprint, request.format);
  const name = request.name ?? imported.name;
  if (!name) throw new ValidationError('name', 'the blueprint file has no name; give one');
  const store = storeOf(deps);
  const existing = (await store.list(orgId, { name, limit: 1, offset: 0 })).items[0];
  const hosted = {
    name,
    description: imported.description ?? '',
    distribution: request.distribution ?? imported.distribution ?? existing?.body.distribution,
    image_requests: request.image_requests ?? imported.imageRequests ?? existing?.body.image_requests,
    customizations: imported.customizations,
  };
  if (hosted.distribution === undefined) throw new ValidationError('distribution', 'the blueprint file names no distribution ("distro"); give one');
  if (hosted.image_requests === undefined) {
    throw new ValidationError('image_requests', 'composer blueprints name no image types; give image_requests (ibs blueprints push --type TYPE)');
  }
  const result = (blueprint: StoredBlueprint) => ({ blueprint, created: !existing, format: imported.format, warnings: imported.warnings });
  // A hosted file is what the hosted API takes: its create/update, password merging included.
  if (!imported.composer) return result(existing ? await updateBlueprint(deps, orgId, existing.id, hosted) : await createBlueprint(deps, orgId, hosted));

  const accepted = acceptBlueprint(hosted);
  const hashed = await hashRequestPasswordsYielding(accepted.body);
  const source = withStoredPasswords(imported.composer, hashed.customizations);
  // A stored version is one DynamoDB item (400 KB at most): a file too large to be kept twice is kept as converted.
  const keep = Buffer.byteLength(JSON.stringify(hashed)) + Buffer.byteLength(JSON.stringify(source)) <= MAX_KEPT_BYTES;
  if (!keep) imported.warnings.push(`(file): larger than ${MAX_KEPT_BYTES / 1000} kB with its conversion; not kept as written: the export converts the hosted customizations, and settings they cannot express are not kept`);
  const body = keep ? { ...hashed, [COMPOSER_SOURCE_KEY]: source } : hashed;
  const change = { name: accepted.name, description: accepted.description, body };
  if (existing) {
    const saved = await store.update(orgId, existing.id, change, { expectedVersion: existing.version });
    if (!saved) throw new ConflictError(`blueprint "${name}" was changed or deleted by another request meanwhile; push it again`);
    return result(saved);
  }
  const now = new Date().toISOString();
  const blueprint: StoredBlueprint = { id: randomUUID(), orgId, version: 1, createdAt: now, updatedAt: now, ...change };
  await store.create(blueprint);
  return result(blueprint);
}

/** A stored version (default: the current one) as a composer blueprint, its TOML text and the conversion's warnings. */
export async function exportComposerBlueprint(deps: ServiceDeps, orgId: string, id: string, version?: number) {
  const stored = await getBlueprint(deps, orgId, id, version);
  const { blueprint, warnings } = renderComposerBlueprint(stored);
  return { blueprint, toml: formatComposerToml(blueprint), warnings, version: stored.version };
}
