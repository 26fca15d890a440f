/** Weldr's `/blueprints/*` routes (osbuild-composer internal/weldr/api.go), answered from the hosted blueprint store. */
import { stringify as stringifyToml } from 'smol-toml';
import { freezeBlueprint } from '../../layers/src/blueprint/freeze-blueprint.ts';
import type { ResolvedPackage } from '../../layers/src/packages/package-set.ts';
import { hostedCustomizationsFromBlueprint } from '../../layers/src/blueprint/composer-blueprint-import.ts';
import { blueprintFromObject } from '../../layers/src/blueprint/parse-blueprint.ts';
import { depsolvePackages } from '../../layers/src/service/package-service.ts';
import { withSourceRepositories } from './weldr-sources.ts';
import { deleteWorkspace, diffPackages, tagCommit, writeMessage, writeWorkspace } from './weldr-workspace.ts';
import { checkNames, notFoundError, readOffsetAndLimit, WeldrError, type WeldrErrorEntry } from './weldr-errors.ts';
import { jsonReply, okReply, type WeldrContext, type WeldrReply, type WeldrRequest, type WeldrRoute } from './weldr-router.ts';
import {
  commitOf,
  currentBlueprint,
  type CurrentBlueprint,
  decodeBlueprintBody,
  deleteBlueprintByName,
  findBlueprint,
  listBlueprintNames,
  listChanges,
  checkComposerVersion,
  initializedBlueprint,
  presentBlueprint,
  pushBlueprint,
} from './weldr-blueprints.ts';

type Obj = Record<string, unknown>;

/** composer's `*blueprints` catch-all: comma-separated names; nothing → 404, a bad name → InvalidChars. */
function namesOf(rest: string): string[] {
  if (rest === '') throw notFoundError();
  const names = rest.split(',').map(decodeURIComponent);
  checkNames(names);
  return names;
}

/** TOML as composer's encoder writes a blueprint (no indentation), with composer's JSON Content-Type. */
export const blueprintToml = (blueprint: Obj): WeldrReply => ({ status: 200, body: `${stringifyToml(blueprint).trim()}\n` });

function checkFormat(request: WeldrRequest): 'json' | 'toml' {
  const format = request.query.get('format') ?? '';
  if (format === '' || format === 'json') return 'json';
  if (format === 'toml') return 'toml';
  throw new WeldrError(400, 'InvalidChars', `invalid format parameter: ${format}`);
}

/** weldrtypes.DepsolvedPackageInfo: epoch always, the rest when set. */
export function presentDepsolved(p: ResolvedPackage): Obj {
  return {
    name: p.name,
    epoch: p.epoch ?? 0,
    ...(p.version ? { version: p.version } : {}),
    ...(p.release ? { release: p.release } : {}),
    ...(p.arch ? { arch: p.arch } : {}),
    ...(p.remoteLocation ? { remote_location: p.remoteLocation } : {}),
    ...(p.checksum ? { checksum: p.checksum } : {}),
    ...(p.checkGpg ? { check_gpg: true } : {}),
    ...(p.ignoreSsl ? { ignore_ssl: true } : {}),
  };
}

/** The hosted package specs of a composer blueprint (packages, modules, @groups), as its import converts them. */
const packageSpecsOf = (bp: Obj): string[] => (hostedCustomizationsFromBlueprint(blueprintFromObject(bp).blueprint).packages as string[] | undefined) ?? [];

/** The packages a blueprint (workspace or newest commit) depsolves to, on its distribution and architecture. */
export async function depsolveCurrent(ctx: WeldrContext, current: CurrentBlueprint): Promise<ResolvedPackage[]> {
  const { blueprint, stored } = current;
  const images = (stored?.body.image_requests ?? []) as { architecture?: string }[];
  const distribution = String((blueprint.distro as string | undefined) || stored?.body.distribution || ctx.defaultDistro);
  const architecture = (blueprint.architecture as string | undefined) || images[0]?.architecture || ctx.hostArch;
  const resolved = await depsolvePackages(ctx.deps, {
    distribution,
    architecture,
    packages: packageSpecsOf(blueprint),
    ...(await withSourceRepositories(ctx, distribution, architecture)),
  });
  return [...resolved].sort((a, b) => a.name.localeCompare(b.name));
}

async function info(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const names = namesOf(params.names);
  const format = checkFormat(request);
  const blueprints: Obj[] = [];
  const changes: { changed: boolean; name: string }[] = [];
  const errors: WeldrErrorEntry[] = [];
  for (const name of names) {
    const current = await currentBlueprint(ctx, name);
    if (!current) {
      errors.push({ id: 'UnknownBlueprint', msg: `${name}: ` });
      continue;
    }
    blueprints.push(current.blueprint);
    changes.push({ changed: current.changed, name: String(current.blueprint.name) });
  }
  if (format === 'json') return jsonReply({ blueprints, changes, errors });
  if (blueprints.length > 1) throw new WeldrError(400, 'HTTPError', 'toml format only supported when requesting one blueprint');
  if (errors.length > 0) return jsonReply({ status: false, errors }, 400);
  return blueprintToml(blueprints[0]);
}

async function depsolve(ctx: WeldrContext, _request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const blueprints: { blueprint: Obj; dependencies: Obj[] }[] = [];
  const errors: WeldrErrorEntry[] = [];
  for (const name of namesOf(params.names)) {
    const current = await currentBlueprint(ctx, name);
    if (!current) {
      errors.push({ id: 'UnknownBlueprint', msg: `${name}: blueprint not found` });
      continue;
    }
    let dependencies: Obj[] = [];
    try {
      dependencies = (await depsolveCurrent(ctx, current)).map(presentDepsolved);
    } catch (error) {
      errors.push({ id: 'BlueprintsError', msg: `${name}: ${(error as Error).message}` });
    }
    blueprints.push({ blueprint: current.blueprint, dependencies });
  }
  return jsonReply({ blueprints, errors });
}

async function freeze(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const names = namesOf(params.names);
  const blueprints: { blueprint: Obj }[] = [];
  const errors: WeldrErrorEntry[] = [];
  for (const name of names) {
    const current = await currentBlueprint(ctx, name);
    if (!current) {
      errors.push({ id: 'UnknownBlueprint', msg: `${name}: blueprint not found` });
      break;
    }
    try {
      const frozen = freezeBlueprint(current.blueprint, await depsolveCurrent(ctx, current));
      if (frozen.missing.length > 0) throw new Error(`${frozen.missing[0].split(' ').pop()} missing from depsolve results`);
      blueprints.push({ blueprint: frozen.blueprint });
    } catch (error) {
      errors.push({ id: 'BlueprintsError', msg: `${name}: ${(error as Error).message}` });
      break;
    }
  }
  if (request.query.get('format') !== 'toml') return jsonReply({ blueprints, errors });
  // lorax-composer answers an empty body when nothing could be frozen.
  if (blueprints.length === 0) return { status: 200, body: '' };
  if (blueprints.length > 1) throw new WeldrError(400, 'HTTPError', 'toml format only supported when requesting one blueprint');
  return blueprintToml(blueprints[0].blueprint);
}

async function changes(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const names = namesOf(params.names);
  const { offset, limit } = readOffsetAndLimit(request.query);
  const blueprints: Obj[] = [];
  const errors: WeldrErrorEntry[] = [];
  for (const name of names) {
    const stored = await findBlueprint(ctx, name);
    if (!stored) {
      errors.push({ id: 'UnknownBlueprint', msg: name });
      continue;
    }
    const list = (await listChanges(ctx, stored)).map((c) => c.change).reverse();
    blueprints.push({ changes: list, name, total: list.length });
  }
  return jsonReply({ blueprints, errors, limit, offset });
}

/** The saved version behind a commit id, as composer's GetBlueprintChange finds it. */
async function versionOfCommit(ctx: WeldrContext, name: string, commit: string) {
  checkNames([name, commit]);
  const stored = await findBlueprint(ctx, name);
  // composer's store.GetBlueprintChange errors, word for word (weldr-client's integration tests compare them).
  if (!stored) throw new WeldrError(400, 'UnknownCommit', 'Unknown blueprint');
  const found = (await listChanges(ctx, stored)).find((c) => c.change.commit === commit);
  if (!found) throw new WeldrError(400, 'UnknownCommit', 'Unknown commit');
  return found;
}

/** `POST /blueprints/workspace`: the blueprint kept uncommitted (checked as a push is, never stored as a version). */
async function saveWorkspace(ctx: WeldrContext, request: WeldrRequest): Promise<WeldrReply> {
  const raw = decodeBlueprintBody(request.contentType, request.body);
  const name = typeof raw.name === 'string' ? raw.name : '';
  checkNames([name]);
  // composer's PushBlueprintToWorkspace runs Initialize(): the version must be semver.
  if (typeof raw.version === 'string' && raw.version !== '') checkComposerVersion(raw.version);
  try {
    blueprintFromObject(raw);
  } catch (error) {
    throw new WeldrError(400, 'BlueprintsError', (error as Error).message, { cause: error });
  }
  await writeWorkspace(ctx, name, initializedBlueprint(raw));
  return okReply();
}

/** `GET /blueprints/diff/<name>/NEWEST/WORKSPACE`: composer diffs only these two, and only packages. */
async function diff(ctx: WeldrContext, _request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  checkNames([params.name, params.from, params.to]);
  for (const commit of [params.from === 'NEWEST' ? undefined : params.from, params.to === 'WORKSPACE' ? undefined : params.to]) {
    if (commit !== undefined) throw new WeldrError(400, 'UnknownCommit', `ggit-error: revspec '${commit}' not found (-3)`);
  }
  const stored = await findBlueprint(ctx, params.name);
  const current = await currentBlueprint(ctx, params.name);
  if (!stored || !current) throw new WeldrError(404, 'UnknownBlueprint', `Unknown blueprint name: ${params.name}`);
  return jsonReply({ diff: diffPackages(presentBlueprint(stored), current.blueprint) });
}

/** A route acting on the blueprint named in the path (InvalidChars for a bad name), answering `{"status": true}`. */
function namedRoute(method: 'POST' | 'DELETE', pattern: string, action: (ctx: WeldrContext, name: string) => Promise<void>): WeldrRoute {
  return {
    method,
    pattern,
    errorId: 'BlueprintsError',
    handler: async (ctx, _request, params) => {
      checkNames([params.name]);
      await action(ctx, params.name);
      return okReply();
    },
  };
}

export const WELDR_BLUEPRINT_ROUTES: readonly WeldrRoute[] = [
  {
    method: 'GET',
    pattern: '/blueprints/list',
    errorId: 'BlueprintsError',
    handler: async (ctx, request) => {
      const { offset, limit } = readOffsetAndLimit(request.query);
      const names = await listBlueprintNames(ctx);
      const start = Math.min(offset, names.length);
      const count = Math.min(limit, names.length - start);
      return jsonReply({ total: names.length, offset: start, limit: count, blueprints: names.slice(start, start + count) });
    },
  },
  { method: 'GET', pattern: '/blueprints/info/*names', errorId: 'BlueprintsError', handler: info },
  { method: 'GET', pattern: '/blueprints/depsolve/*names', errorId: 'BlueprintsError', handler: depsolve },
  { method: 'GET', pattern: '/blueprints/freeze/*names', errorId: 'BlueprintsError', handler: freeze },
  { method: 'GET', pattern: '/blueprints/changes/*names', errorId: 'BlueprintsError', handler: changes },
  {
    method: 'GET',
    pattern: '/blueprints/change/:name/:commit',
    minVersion: 1,
    errorId: 'BlueprintsError',
    handler: async (ctx, request, params) => {
      const format = checkFormat(request);
      // composer's Change.Blueprint: the blueprint as pushed (its version before a bump)
      const bp = (await versionOfCommit(ctx, params.name, params.commit)).blueprint;
      return format === 'json' ? jsonReply(bp) : blueprintToml(bp);
    },
  },
  {
    method: 'POST',
    pattern: '/blueprints/new',
    errorId: 'BlueprintsError',
    handler: async (ctx, request) => {
      await pushBlueprint(ctx, decodeBlueprintBody(request.contentType, request.body));
      return okReply();
    },
  },
  { method: 'POST', pattern: '/blueprints/workspace', errorId: 'BlueprintsError', handler: saveWorkspace },
  namedRoute('DELETE', '/blueprints/workspace/:name', async (ctx, name) => {
    if (!(await deleteWorkspace(ctx, name))) throw new WeldrError(400, 'BlueprintsError', `Unknown blueprint: ${name}`);
  }),
  { method: 'GET', pattern: '/blueprints/diff/:name/:from/:to', errorId: 'BlueprintsError', handler: diff },
  namedRoute('POST', '/blueprints/tag/:name', async (ctx, name) => {
    const stored = await findBlueprint(ctx, name);
    // composer's store.TagBlueprint error, word for word.
    if (!stored) throw new WeldrError(400, 'BlueprintsError', 'Unknown blueprint');
    await tagCommit(ctx, stored.id, commitOf(stored.id, stored.version));
  }),
  {
    method: 'POST',
    pattern: '/blueprints/undo/:name/:commit',
    errorId: 'BlueprintsError',
    handler: async (ctx, _request, params) => {
      const { blueprint } = await versionOfCommit(ctx, params.name, params.commit);
      // The old change's blueprint saved again as the newest, as composer pushes it (its version as it was pushed;
      // the store bumps it when that is the current one), with composer's undo commit message.
      const saved = await pushBlueprint(ctx, blueprint);
      await writeMessage(ctx, saved.id, commitOf(saved.id, saved.version), `${params.name}.toml reverted to commit ${params.commit}`);
      return okReply();
    },
  },
  namedRoute('DELETE', '/blueprints/delete/:name', deleteBlueprintByName),
];
