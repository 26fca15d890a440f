/**
 * POST /experimental/blueprints/{id}/fixup as the hosted service does it: the linter's fixes applied and the result
 * saved as a new version. The hosted linter only checks compliance policies (packages, file systems, services, kernel,
 * FIPS a policy requires); this service refuses policies at intake, so there is never anything to add and the fixup
 * saves the blueprint unchanged as its next version (password hashes kept as they are).
 */
import { ConflictError, NotFoundError } from '../errors.ts';
import type { StoredBlueprint } from '../ports/blueprint-store.ts';
import { getBlueprint } from './blueprint-service.ts';
import type { ServiceDeps } from './deps.ts';

export async function fixupBlueprint(deps: ServiceDeps, orgId: string, id: string): Promise<StoredBlueprint> {
  const current = await getBlueprint(deps, orgId, id);
  const change = { name: current.name, description: current.description, body: current.body };
  const saved = await deps.blueprints!.update(orgId, id, change, { expectedVersion: current.version });
  if (saved) return saved;
  if (!(await deps.blueprints!.get(orgId, id))) throw new NotFoundError(`blueprint ${id} not found`);
  throw new ConflictError(`blueprint ${id} was saved by another request meanwhile; fix it up again`);
}
