/**
 * Composer's blueprints on the hosted API's blueprint store: a blueprint pushed over the socket is the organization's
 * hosted blueprint of that name (its composer file kept as written), every save a version, versions bumped as lorax
 * does, and the saved versions are the blueprint's commit history.
 */
import { createHash } from 'node:crypto';
import { parse as parseToml } from 'smol-toml';
import { renderComposerBlueprint } from '../../layers/src/blueprint/composer-blueprint-export.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { importBlueprintFile } from '../../layers/src/service/blueprint-import-service.ts';
import { deleteBlueprint } from '../../layers/src/service/blueprint-service.ts';
import type { StoredBlueprint } from '../../layers/src/ports/blueprint-store.ts';
import { DomainError, NotConfiguredError } from '../../layers/src/errors.ts';
import type { WeldrContext } from './weldr-router.ts';
import { checkNames, WeldrError } from './weldr-errors.ts';
import { deleteWorkspace, readMessages, readPushedVersions, readTags, readWorkspace, writePushedVersion } from './weldr-workspace.ts';
import { bumpGoSemver, parseGoSemver } from './weldr-semver.ts';

type Obj = Record<string, unknown>;

const storeOf = (ctx: WeldrContext) => {
  if (!ctx.deps.blueprints) throw new NotConfiguredError('no blueprint store is configured');
  return ctx.deps.blueprints;
};

/** The organization's live blueprint with this exact name. */
export async function findBlueprint(ctx: WeldrContext, name: string): Promise<StoredBlueprint | undefined> {
  return (await storeOf(ctx).list(ctx.orgId, { name, limit: 1, offset: 0 })).items[0];
}

/** Every live blueprint name of the organization, sorted as composer lists them. */
export async function listBlueprintNames(ctx: WeldrContext): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await storeOf(ctx).list(ctx.orgId, { limit: 100, offset });
    names.push(...page.items.map((b) => b.name));
    if (page.items.length < 100 || names.length >= page.total) break;
  }
  return names.sort();
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * composer's blueprint.Blueprint as Go encodes it after Initialize(): struct field order, `[]` for packages, modules,
 * enabled_modules and groups, version `0.0.0` when unset, the omitempty fields (description, containers,
 * customizations, distro, architecture) absent when empty, keys the struct does not have dropped.
 */
export function initializedBlueprint(bp: Obj): Obj {
  const { name, description, version, packages, modules, enabled_modules, groups, containers, customizations, distro } = bp;
  const architecture = bp.architecture ?? bp.arch;
  return {
    ...(isEmpty(name) ? {} : { name }),
    ...(isEmpty(description) ? {} : { description }),
    version: isEmpty(version) ? '0.0.0' : version,
    packages: packages ?? [],
    modules: modules ?? [],
    enabled_modules: enabled_modules ?? [],
    groups: groups ?? [],
    ...(isEmpty(containers) ? {} : { containers }),
    ...(customizations === undefined || customizations === null ? {} : { customizations }),
    ...(isEmpty(distro) ? {} : { distro }),
    ...(isEmpty(architecture) ? {} : { architecture }),
  };
}

/** A stored version as composer's blueprint.Blueprint. */
export function presentBlueprint(stored: Pick<StoredBlueprint, 'name' | 'description' | 'body'>): Obj {
  return initializedBlueprint(renderComposerBlueprint(stored).blueprint);
}

/** blueprint.Initialize()'s version check: composer's BlueprintsError with go-semver's reason. */
export function checkComposerVersion(version: string): void {
  const parsed = parseGoSemver(version);
  if (typeof parsed === 'string') throw new WeldrError(400, 'BlueprintsError', `Invalid 'version', must use Semantic Versioning: ${parsed}`);
}

/**
 * composer: the handler's Initialize() makes an absent version "0.0.0" before the store compares it, so a push
 * bumps the stored patch level only when its version (absent: 0.0.0) is the stored one; versions must be semver.
 */
export function nextComposerVersion(given: unknown, previous: string | undefined): string {
  const version = typeof given === 'string' && given !== '' ? given : '0.0.0';
  checkComposerVersion(version);
  if (previous !== undefined && version === previous) return bumpGoSemver(previous) ?? version;
  return version;
}

/** Decodes a `/blueprints/new` body as composer does: by exact Content-Type. */
export function decodeBlueprintBody(contentType: string | undefined, body: Buffer): Obj {
  if (contentType === undefined) throw new WeldrError(400, 'BlueprintsError', 'missing Content-Type header');
  if (body.length === 0) throw new WeldrError(400, 'BlueprintsError', 'Missing blueprint');
  const bad = (detail: string, cause?: unknown) =>
    new WeldrError(400, 'BlueprintsError', `400 Bad Request: The browser (or proxy) sent a request that this server could not understand: ${detail}`, { cause });
  let raw: unknown;
  try {
    if (contentType === 'application/json') raw = JSON.parse(body.toString('utf8'));
    else if (contentType === 'text/x-toml') raw = parseToml(body.toString('utf8'));
    else throw bad('blueprint must be in json or toml format');
  } catch (error) {
    if (error instanceof WeldrError) throw error;
    throw bad((error as Error).message.split('\n')[0], error);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('a blueprint must be an object');
  return raw as Obj;
}

/** The image request a Weldr blueprint is stored with (the hosted API needs one; Weldr composes name their own type). */
function defaultImageRequests(distribution: string, architecture: string) {
  const arch = findArchitecture(findDistribution(distribution, 'distro'), architecture, 'architecture');
  return [{ architecture: arch.name, image_type: arch.imageTypes[0].name }];
}

/**
 * The stored blueprint's image requests that the distribution still builds (composer's blueprints carry none: a
 * push that changes `distro` must not fail on the old distribution's types), else the distribution's default.
 */
function imageRequestsFor(existing: unknown[] | undefined, distribution: string, architecture: string): unknown[] {
  const distro = findDistribution(distribution, 'distro');
  const kept = (existing ?? []).filter((r) => {
    const { architecture: a, image_type: t } = (r ?? {}) as { architecture?: string; image_type?: string };
    try {
      findImageType(distro, findArchitecture(distro, a ?? '', 'architecture'), t ?? '');
      return true;
    } catch {
      return false;
    }
  });
  return kept.length ? kept : defaultImageRequests(distribution, architecture);
}

/** Saves a pushed blueprint as a new version (or a new blueprint); `message` is the commit message composer writes. */
export async function pushBlueprint(ctx: WeldrContext, raw: Obj): Promise<StoredBlueprint> {
  const name = typeof raw.name === 'string' ? raw.name : '';
  checkNames([name]);
  const existing = await findBlueprint(ctx, name);
  const previous = existing ? presentBlueprint(existing).version : undefined;
  const version = nextComposerVersion(raw.version, typeof previous === 'string' ? previous : existing ? '0.0.0' : undefined);
  const distro = typeof raw.distro === 'string' && raw.distro !== '' ? raw.distro : undefined;
  const architecture = typeof raw.architecture === 'string' && raw.architecture !== '' ? raw.architecture : ctx.hostArch;
  if (distro !== undefined) {
    try {
      findArchitecture(findDistribution(distro), architecture);
    } catch (error) {
      throw new WeldrError(400, 'BlueprintsError', `'${distro}' is not a valid distribution (architecture '${architecture}')`, { cause: error });
    }
  }
  const distribution = distro ?? (existing?.body.distribution as string | undefined) ?? ctx.defaultDistro;
  try {
    const { blueprint } = await importBlueprintFile(ctx.deps, ctx.orgId, {
      blueprint: { ...raw, version },
      distribution,
      image_requests: imageRequestsFor(existing?.body.image_requests as unknown[] | undefined, distribution, architecture),
    });
    // composer's Change keeps the blueprint as sent (Initialize()d: "0.0.0" when absent), before the bump.
    const sent = typeof raw.version === 'string' && raw.version !== '' ? raw.version : '0.0.0';
    if (sent !== version) await writePushedVersion(ctx, blueprint.id, commitOf(blueprint.id, blueprint.version), sent);
    // A push commits: the workspace copy is gone, as in composer.
    await deleteWorkspace(ctx, name);
    return blueprint;
  } catch (error) {
    if (error instanceof DomainError) throw new WeldrError(400, 'BlueprintsError', error.message, { cause: error });
    throw error;
  }
}

export async function deleteBlueprintByName(ctx: WeldrContext, name: string): Promise<void> {
  const existing = await findBlueprint(ctx, name);
  const hadWorkspace = await deleteWorkspace(ctx, name);
  if (!existing && !hadWorkspace) throw new WeldrError(400, 'BlueprintsError', `Unknown blueprint: ${name}`);
  if (existing) await deleteBlueprint(ctx.deps, ctx.orgId, existing.id);
}

/** What composer's GetBlueprint gives: the workspace copy when there is one (`changed`), else the newest commit. */
export interface CurrentBlueprint {
  blueprint: Obj;
  changed: boolean;
  stored?: StoredBlueprint;
}

export async function currentBlueprint(ctx: WeldrContext, name: string): Promise<CurrentBlueprint | undefined> {
  const [stored, workspace] = await Promise.all([findBlueprint(ctx, name), readWorkspace(ctx, name)]);
  if (workspace) return { blueprint: initializedBlueprint(workspace), changed: true, ...(stored ? { stored } : {}) };
  return stored ? { blueprint: presentBlueprint(stored), changed: false, stored } : undefined;
}

/** A git-like commit id of one saved version: stable, 40 hex digits. */
export const commitOf = (blueprintId: string, version: number): string => createHash('sha1').update(`${blueprintId}:${version}`).digest('hex');

export interface WeldrChange {
  commit: string;
  message: string;
  revision: number | null;
  timestamp: string;
}

/** One commit: its change entry and the blueprint as composer's Change holds it (the version as pushed). */
export interface WeldrCommit {
  change: WeldrChange;
  blueprint: Obj;
}

/** composer's blueprint.Change list, oldest first. */
export async function listChanges(ctx: WeldrContext, stored: StoredBlueprint): Promise<WeldrCommit[]> {
  const versions = await storeOf(ctx).listVersions(ctx.orgId, stored.id);
  const [tags, messages, pushed] = await Promise.all([readTags(ctx, stored.id), readMessages(ctx, stored.id), readPushedVersions(ctx, stored.id)]);
  return versions.map((version) => {
    const commit = commitOf(stored.id, version.version);
    const shown = presentBlueprint(version);
    // the version key keeps its place in composer's field order
    const blueprint = pushed[commit] !== undefined ? { ...shown, version: pushed[commit] } : shown;
    const change = {
      commit,
      message: messages[commit] ?? `Recipe ${version.name}, version ${String(blueprint.version ?? '0.0.0')} saved.`,
      revision: tags[commit] ?? null,
      timestamp: new Date(version.savedAt).toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    return { blueprint, change };
  });
}
