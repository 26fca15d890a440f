import { describe, expect, it } from 'vitest';
import { conflictingVariables, deployedRoutePaths } from '../../functions/aws/route-paths.ts';

describe('deployed route paths (API Gateway: one variable name per level and parent)', () => {
  const hosted = ['/oscap/{distribution}/profiles', '/oscap/{distribution}/{profile}/customizations', '/oscap/{policy}/{distribution}/policy_customizations', '/composes/{composeId}', '/blueprints/{id}/composes'];

  it('finds the conflicts the hosted oscap paths have', () => {
    expect(conflictingVariables(hosted)).toEqual([
      '/oscap/{policy}/{distribution}/policy_customizations: {policy} beside {distribution} under /oscap',
      '/oscap/{policy}/{distribution}/policy_customizations: {distribution} beside {profile} under /oscap/{}',
    ]);
  });

  it('renames variables after the first route with one at that place, leaving the rest alone', () => {
    const deployed = deployedRoutePaths(hosted);
    expect(deployed).toEqual(['/oscap/{distribution}/profiles', '/oscap/{distribution}/{profile}/customizations', '/oscap/{distribution}/{profile}/policy_customizations', '/composes/{composeId}', '/blueprints/{id}/composes']);
    expect(conflictingVariables(deployed)).toEqual([]);
  });
});
