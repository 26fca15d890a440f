/** The hosted API's experimental operations: package recommendations and the blueprint linter's fixup. */
import { validateSchema } from '../../layers/src/api/validate.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import { fixupBlueprint } from '../../layers/src/service/blueprint-fixup.ts';
import { type RecommendationRequest, recommendPackages } from '../../layers/src/service/package-recommendations.ts';
import type { Route } from './http.ts';
import { uuidParam } from './params.ts';
import { ok } from './replies.ts';

export const EXPERIMENTAL_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    path: '/experimental/recommendations',
    operationId: 'recommendPackage',
    handle: async ({ deps, body }) => {
      if (body === undefined) throw new ValidationError('(body)', 'a RecommendPackageRequest JSON body is required');
      return ok(await recommendPackages(deps, validateSchema<RecommendationRequest>('RecommendPackageRequest', body)));
    },
  },
  {
    method: 'POST',
    path: '/experimental/blueprints/{id}/fixup',
    operationId: 'fixupBlueprint',
    handle: async ({ deps, orgId, params }) => {
      await fixupBlueprint(deps, orgId, uuidParam(params, 'id'));
      // As the hosted spec says (200, no body); its implementation answers 201, as it does for PUT /blueprints/{id}.
      return { status: 200, body: undefined };
    },
  },
];
