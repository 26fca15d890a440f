/**
 * The hosted API's OpenSCAP operations, answered from the SCAP content this service holds: none yet (no
 * scap-security-guide data ships with our distributions and the build does not run OpenSCAP remediation), so every
 * distribution lists no profiles (with a note saying why) and asking for a profile's or a policy's customizations is a
 * client error naming the reason, as the hosted service answers a profile it has no customizations file for (400).
 */
import { findDistribution } from '../../layers/src/distro/registry.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import type { Route } from './http.ts';
import { uuidParam } from './params.ts';
import { ok } from './replies.ts';

/** The response header that explains an empty profile list (a JSON array has no room for a note). */
export const OSCAP_NOTE_HEADER = 'x-ibs-note';

/** Why `distribution` has no OpenSCAP profiles here. */
export const noScapContentNote = (distribution: string): string =>
  `no SCAP content is available for ${distribution} on this service: OpenSCAP profiles cannot be applied to its images yet`;

export const OSCAP_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/oscap/{distribution}/profiles',
    operationId: 'getOscapProfiles',
    handle: async ({ params }) => {
      const distro = findDistribution(params.distribution ?? '');
      return { ...ok([]), headers: { [OSCAP_NOTE_HEADER]: noScapContentNote(distro.name) } };
    },
  },
  {
    method: 'GET',
    path: '/oscap/{distribution}/{profile}/customizations',
    operationId: 'getOscapCustomizations',
    handle: async ({ params }) => {
      const distro = findDistribution(params.distribution ?? '');
      throw new ValidationError(
        'profile',
        `"${params.profile ?? ''}" is not an OpenSCAP profile of ${distro.name} here (${noScapContentNote(distro.name)}; GET /oscap/${distro.name}/profiles lists none)`,
      );
    },
  },
  {
    method: 'GET',
    path: '/oscap/{policy}/{distribution}/policy_customizations',
    operationId: 'getOscapCustomizationsForPolicy',
    handle: async ({ params }) => {
      uuidParam(params, 'policy');
      const distro = findDistribution(params.distribution ?? '');
      // The hosted service asks the Insights Compliance service for the policy's tailoring, and only for RHEL.
      throw new ValidationError(
        'policy',
        `compliance policies need the Insights Compliance service (RHEL only), which this service does not have; ${distro.name} has no policy customizations`,
      );
    },
  },
];
