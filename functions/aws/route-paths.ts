/**
 * API Gateway refuses two routes whose variables differ in name at the same level under the same parent
 * (ConflictException "conflicting variable on the same hierarchical level"): the hosted spec has such siblings
 * (`/oscap/{distribution}/...` beside `/oscap/{policy}/...`). Deployed paths therefore name each variable after the first
 * route that has a variable there; our router matches `rawPath` itself, so the names API Gateway sees do not matter.
 */

const VARIABLE = /^\{[^}]+\}$/;

/** The deployed form of each route path (OpenAPI form, below the API base), in the order given. */
export function deployedRoutePaths(paths: readonly string[]): string[] {
  const nameAt = new Map<string, string>();
  return paths.map((path) => {
    const shape: string[] = [];
    return path
      .split('/')
      .map((segment) => {
        if (!VARIABLE.test(segment)) {
          shape.push(segment);
          return segment;
        }
        const slot = shape.join('/');
        if (!nameAt.has(slot)) nameAt.set(slot, segment);
        shape.push('{}');
        return nameAt.get(slot)!;
      })
      .join('/');
  });
}

/** Variables at the same level under the same parent with different names: empty when API Gateway accepts `paths`. */
export function conflictingVariables(paths: readonly string[]): string[] {
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  for (const path of paths) {
    const segments = path.split('/');
    segments.forEach((segment, i) => {
      if (!VARIABLE.test(segment)) return;
      const slot = segments.slice(0, i).map((s) => (VARIABLE.test(s) ? '{}' : s)).join('/');
      const first = seen.get(slot);
      if (first === undefined) seen.set(slot, segment);
      else if (first !== segment) conflicts.push(`${path}: ${segment} beside ${first} under ${slot || '/'}`);
    });
  }
  return conflicts;
}
