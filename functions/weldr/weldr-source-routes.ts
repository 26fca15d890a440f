/** Weldr's `/projects/source/*` routes (osbuild-composer internal/weldr/api.go) over weldr-sources.ts. */
import { parse as parseToml } from 'smol-toml';
import { listDistributions } from '../../layers/src/distro/registry.ts';
import { readUserSources, SOURCE_TYPES, systemSources, writeUserSources, type WeldrSource } from './weldr-sources.ts';
import { WeldrError, type WeldrErrorEntry } from './weldr-errors.ts';
import { blueprintToml } from './weldr-blueprint-routes.ts';
import { jsonReply, okReply, type WeldrContext, type WeldrRequest, type WeldrRoute } from './weldr-router.ts';

/**
 * composer's DecodeSourceConfigV1 (v0: DecodeSourceConfigV0) and checks: a JSON or TOML (`[key]` table or bare)
 * source with name, type, url and, in v1, an id (the table's key when absent). A v0 source's key is its name.
 */
function decodeSource(request: WeldrRequest): Record<string, unknown> {
  if (request.contentType === undefined) throw new WeldrError(400, 'HTTPError', 'malformed Content-Type header');
  if (request.body.length === 0) throw new WeldrError(400, 'ProjectsError', 'Missing source');
  const bad = (msg: string, cause?: unknown) => new WeldrError(400, 'ProjectsError', `Problem parsing POST body: ${msg}`, { cause });
  let source: Record<string, unknown>;
  try {
    if (request.contentType === 'application/json') source = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    else if (request.contentType === 'text/x-toml') {
      const raw = parseToml(request.body.toString('utf8')) as Record<string, unknown>;
      const tables = Object.keys(raw).filter((k) => typeof raw[k] === 'object' && raw[k] !== null && !Array.isArray(raw[k])).sort();
      if (raw.url === undefined && tables.length > 0) source = { ...(request.version >= 1 ? { id: tables[0] } : {}), ...(raw[tables[0]] as Record<string, unknown>) };
      else source = raw;
    } else throw bad('blueprint must be in json or toml format');
  } catch (error) {
    if (error instanceof WeldrError) throw error;
    throw bad((error as Error).message.split('\n')[0], error);
  }
  if (typeof source !== 'object' || source === null || Array.isArray(source)) throw bad('a source must be an object');
  if (request.version < 1) source = { ...source, id: source.name };
  else if (typeof source.id !== 'string' || source.id === '') throw bad("'id' field is missing from request");
  if (typeof source.name !== 'string' || source.name === '') throw bad("'name' field is missing from request");
  if (typeof source.type !== 'string' || source.type === '') throw bad("'type' field is missing from request");
  if (typeof source.url !== 'string' || source.url === '') throw bad("'url' field is missing from request");
  if (!SOURCE_TYPES.includes(source.type)) throw bad(`unknown source type: ${source.type}`);
  return source;
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined);

async function newSource(ctx: WeldrContext, request: WeldrRequest) {
  const s = decodeSource(request);
  const distros = strings(s.distros) ?? [];
  const valid = listDistributions().map((d) => d.name);
  const invalid = distros.filter((d) => !valid.includes(d));
  if (invalid.length) throw new WeldrError(400, 'ProjectsError', `Invalid distributions: ${invalid.join(',')}`);
  const id = String(s.id);
  if (systemSources(ctx).some((sys) => sys.id === id)) throw new WeldrError(400, 'SystemSource', `${id} is a system source, it cannot be changed.`);
  const source: WeldrSource = {
    id,
    name: String(s.name),
    type: s.type as WeldrSource['type'],
    url: String(s.url),
    check_gpg: s.check_gpg === true,
    check_ssl: s.check_ssl === true,
    system: false,
    ...(typeof s.proxy === 'string' && s.proxy ? { proxy: s.proxy } : {}),
    ...(strings(s.gpgkeys)?.length ? { gpgkeys: strings(s.gpgkeys) } : {}),
    ...(distros.length ? { distros } : {}),
    rhsm: s.rhsm === true,
    check_repogpg: s.check_repogpg === true,
    ...(typeof s.module_hotfixes === 'boolean' ? { module_hotfixes: s.module_hotfixes } : {}),
  };
  await writeUserSources(ctx, { ...(await readUserSources(ctx)), [id]: source });
  return okReply();
}

/** composer's SourceInfoResponseV0: keyed by name, NewSourceConfigV0's six fields (no proxy, gpgkeys or distros). */
function presentSourcesV0(sources: Record<string, WeldrSource>): Record<string, unknown> {
  const v0: Record<string, unknown> = {};
  for (const s of Object.values(sources)) v0[s.name] = { name: s.name, type: s.type, url: s.url, check_gpg: s.check_gpg, check_ssl: s.check_ssl, system: s.system };
  return v0;
}

/** composer's NewSourceConfigV1: keyed by id; `rhsm` and `check_repogpg` always, `proxy` never (composer drops it). */
function presentSourcesV1(sources: Record<string, WeldrSource>): Record<string, unknown> {
  const v1: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(sources)) {
    v1[id] = {
      id,
      name: s.name,
      type: s.type,
      url: s.url,
      check_gpg: s.check_gpg,
      check_ssl: s.check_ssl,
      system: s.system,
      ...(s.gpgkeys?.length ? { gpgkeys: s.gpgkeys } : {}),
      ...(s.distros?.length ? { distros: s.distros } : {}),
      rhsm: s.rhsm ?? false,
      check_repogpg: s.check_repogpg ?? false,
      ...(s.module_hotfixes !== undefined ? { module_hotfixes: s.module_hotfixes } : {}),
    };
  }
  return v1;
}

export const WELDR_SOURCE_ROUTES: readonly WeldrRoute[] = [
  {
    method: 'GET',
    pattern: '/projects/source/list',
    errorId: 'ProjectsError',
    // v0 lists user sources by name, v1 by id (composer's ListSourcesByName/ById); system sources by id in both.
    handler: async (ctx, request) => {
      const users = Object.entries(await readUserSources(ctx)).map(([id, s]) => (request.version >= 1 ? id : s.name));
      return jsonReply({ sources: [...users.sort(), ...systemSources(ctx).map((s) => s.id)] });
    },
  },
  {
    method: 'GET',
    pattern: '/projects/source/info/*names',
    errorId: 'ProjectsError',
    handler: async (ctx, request, params) => {
      if (params.names === '') throw new WeldrError(404, 'HTTPError', 'Not Found', { code: 404 });
      const all: Record<string, WeldrSource> = { ...(await readUserSources(ctx)) };
      for (const s of systemSources(ctx)) all[s.id] = s;
      const sources: Record<string, WeldrSource> = {};
      const errors: WeldrErrorEntry[] = [];
      for (const name of params.names === '*' ? Object.keys(all) : params.names.split(',')) {
        if (all[name]) sources[name] = all[name];
        else errors.push({ id: 'UnknownSource', msg: `${name} is not a valid source` });
      }
      const format = request.query.get('format') ?? '';
      if (format === '' || format === 'json') return jsonReply({ sources: request.version >= 1 ? presentSourcesV1(sources) : presentSourcesV0(sources), errors });
      if (format === 'toml') return blueprintToml(sources as unknown as Record<string, unknown>);
      throw new WeldrError(400, 'InvalidChars', `invalid format parameter: ${format}`);
    },
  },
  { method: 'POST', pattern: '/projects/source/new', errorId: 'ProjectsError', handler: newSource },
  {
    method: 'DELETE',
    pattern: '/projects/source/delete/*name',
    errorId: 'ProjectsError',
    handler: async (ctx, request, params) => {
      const id = params.name.split(',')[0];
      if (id === '') throw new WeldrError(404, 'HTTPError', 'Not Found', { code: 404 });
      if (systemSources(ctx).some((s) => s.id === id)) throw new WeldrError(400, 'SystemSource', `${id} is a system source, it cannot be deleted.`);
      const sources = await readUserSources(ctx);
      if (!sources[id]) throw new WeldrError(400, 'UnknownSource', `${id} is not a valid source.`);
      // composer's DeleteSourceByName (v0) removes every source of that name; DeleteSourceByID (v1) the one.
      if (request.version >= 1) delete sources[id];
      else for (const [key, s] of Object.entries(sources)) if (s.name === id) delete sources[key];
      await writeUserSources(ctx, sources);
      return okReply();
    },
  },
];
