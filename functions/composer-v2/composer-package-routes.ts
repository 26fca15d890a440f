/** POST /depsolve/blueprint and POST /search/packages: the depsolver's use cases in the cloud API v2 shapes. */
import { importBlueprint } from '../../layers/src/blueprint/composer-blueprint-import.ts';
import { depsolvePackages, searchPackages } from '../../layers/src/service/package-service.ts';
import type { Route } from '../api/http.ts';
import { ok } from '../api/replies.ts';
import { repositoryFromApi } from '../api/repositories.ts';
import { ComposerError, ComposerErrorCode as Code } from './composer-errors.ts';
import { presentPackageMetadata } from './composer-present.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The common fields of DepsolveRequest and SearchPackagesRequest (both additionalProperties: false). */
function readTarget(body: unknown, allowed: readonly string[]) {
  if (!isObj(body)) throw new ComposerError(Code.BodyDecodingError, 'a JSON object body is required');
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new ComposerError(Code.BodyDecodingError, `unknown field ${extra.join(', ')} (allowed: ${allowed.join(', ')})`);
  if (typeof body.distribution !== 'string') throw new ComposerError(Code.UnsupportedDistribution, 'distribution is required');
  if (typeof body.architecture !== 'string') throw new ComposerError(Code.UnsupportedArchitecture, 'architecture is required');
  if (body.repositories !== undefined && !Array.isArray(body.repositories)) throw new ComposerError(Code.InvalidRepository, 'repositories must be an array');
  const repositories = (body.repositories as unknown[] | undefined)?.map((r, i) => repositoryFromApi(r, `repositories[${i}]`));
  return { body, distribution: body.distribution, architecture: body.architecture, ...(repositories && repositories.length > 0 ? { repositories } : {}) };
}

const globRegex = (glob: string) => new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

export const COMPOSER_PACKAGE_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/depsolve/blueprint',
    operationId: 'postDepsolveBlueprint',
    handle: async ({ deps, body: raw }) => {
      const { body, ...target } = readTarget(raw, ['repositories', 'distribution', 'architecture', 'blueprint', 'image_type']);
      if (!isObj(body.blueprint)) throw new ComposerError(Code.BodyDecodingError, 'blueprint is required');
      const customizations = importBlueprint(body.blueprint, 'json', 'blueprint').customizations;
      const packages = Array.isArray(customizations.packages) ? (customizations.packages as string[]) : [];
      const resolved = await depsolvePackages(deps, { ...target, packages });
      return ok({ packages: resolved.map(presentPackageMetadata) });
    },
  },
  {
    method: 'POST',
    path: '/search/packages',
    operationId: 'postSearchPackages',
    handle: async ({ deps, body: raw }) => {
      const { body, distribution, architecture } = readTarget(raw, ['repositories', 'distribution', 'architecture', 'packages']);
      if (body.repositories !== undefined) throw new ComposerError(Code.InvalidRepository, 'repositories: search runs over the distribution\'s own repositories here');
      if (!Array.isArray(body.packages) || !body.packages.every((p) => typeof p === 'string' && p !== '')) {
        throw new ComposerError(Code.BodyDecodingError, 'packages must be an array of package names (with * wildcards)');
      }
      const found = new Map<string, Obj>();
      for (const name of body.packages as string[]) {
        const wanted = globRegex(name);
        const result = await searchPackages(deps, { distribution, architecture, search: name, limit: 1000, offset: 0 });
        for (const p of result.packages.filter((q) => wanted.test(q.name))) {
          found.set(`${p.name}.${p.arch}`, {
            name: p.name,
            summary: p.summary,
            version: p.version,
            release: p.release,
            ...(p.epoch ? { epoch: String(p.epoch) } : {}),
            arch: p.arch,
          });
        }
      }
      return ok({ packages: [...found.values()] });
    },
  },
];
