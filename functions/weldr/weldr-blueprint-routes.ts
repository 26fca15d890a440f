/** Weldr's `/blueprints/*` routes (osbuild-composer internal/weldr/api.go), answered from the hosted blueprint store. */
import { stringify as stringifyToml } from 'smol-toml';
import { freezeBlueprint } from '../../layers/src/blueprint/freeze-blueprint.ts';
import type { ResolvedPackage } from '../../layers/src/packages/package-set.ts';
import type { StoredBlueprint } from '../../layers/src/ports/blueprint-store.ts';
import { depsolvePackages } from '../../layers/src/service/package-service.ts';
import { withSourceRepositories } from './weldr-sources.ts';
import { checkNames, notFoundError, readOffsetAndLimit, WeldrError, type WeldrErrorEntry } from './weldr-errors.ts';
import { jsonReply, okReply, type WeldrContext, type WeldrReply, type WeldrRequest, type WeldrRoute } from './weldr-router.ts';
import {
  decodeBlueprintBody,
  deleteBlueprintByName,
  findBlueprint,
  listBlueprintNames,
  listChanges,
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

/** TOML as composer's encoder writes a blueprint (no indentation). */
export const blueprintToml = (blueprint: Obj): WeldrReply => ({
  status: 200,
  body: `${stringifyToml(blueprint).trim()}\n`,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
});

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

/** The packages a stored blueprint depsolves to, on its distribution and architecture. */
export async function depsolveStored(ctx: WeldrContext, stored: StoredBlueprint): Promise<ResolvedPackage[]> {
  const customizations = (stored.body.customizations ?? {}) as { packages?: string[] };
  const images = (stored.body.image_requests ?? []) as { architecture?: string }[];
  const distribution = String(stored.body.distribution ?? ctx.defaultDistro);
  const architecture = images[0]?.architecture ?? ctx.hostArch;
  const resolved = await depsolvePackages(ctx.deps, {
    distribution,
    architecture,
    packages: customizations.packages ?? [],
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
    const stored = await findBlueprint(ctx, name);
    if (!stored) {
      errors.push({ id: 'UnknownBlueprint', msg: `${name}: ` });
      continue;
    }
    const bp = presentBlueprint(stored);
    blueprints.push(bp);
    changes.push({ changed: false, name: String(bp.name) });
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
    const stored = await findBlueprint(ctx, name);
    if (!stored) {
      errors.push({ id: 'UnknownBlueprint', msg: `${name}: blueprint not found` });
      continue;
    }
    let dependencies: Obj[] = [];
    try {
      dependencies = (await depsolveStored(ctx, stored)).map(presentDepsolved);
    } catch (error) {
      errors.push({ id: 'BlueprintsError', msg: `${name}: ${(error as Error).message}` });
    }
    blueprints.push({ blueprint: presentBlueprint(stored), dependencies });
  }
  return jsonReply({ blueprints, errors });
}

async function freeze(ctx: WeldrContext, request: WeldrRequest, params: Record<string, string>): Promise<WeldrReply> {
  const names = namesOf(params.names);
  const blueprints: { blueprint: Obj }[] = [];
  const errors: WeldrErrorEntry[] = [];
  for (const name of names) {
    const stored = await findBlueprint(ctx, name);
    if (!stored) {
      errors.push({ id: 'UnknownBlueprint', msg: `${name}: blueprint not found` });
      break;
    }
    try {
      const frozen = freezeBlueprint(presentBlueprint(stored), await depsolveStored(ctx, stored));
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
  if (!stored) throw new WeldrError(400, 'UnknownCommit', `Unknown blueprint: ${name}`);
  const found = (await listChanges(ctx, stored)).find((c) => c.change.commit === commit);
  if (!found) throw new WeldrError(400, 'UnknownCommit', `Unknown commit: ${commit}`);
  return found.version;
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
      const bp = presentBlueprint(await versionOfCommit(ctx, params.name, params.commit));
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
  {
    method: 'POST',
    pattern: '/blueprints/undo/:name/:commit',
    errorId: 'BlueprintsError',
    handler: async (ctx, _request, params) => {
      const version = await versionOfCommit(ctx, params.name, params.commit);
      // The old version saved again as the newest, its version field as it was (composer pushes it unchanged).
      await pushBlueprint(ctx, presentBlueprint(version));
      return okReply();
    },
  },
  {
    method: 'DELETE',
    pattern: '/blueprints/delete/:name',
    errorId: 'BlueprintsError',
    handler: async (ctx, _request, params) => {
      checkNames([params.name]);
      await deleteBlueprintByName(ctx, params.name);
      return okReply();
    },
  },
];
