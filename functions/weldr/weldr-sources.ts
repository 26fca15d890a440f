/**
 * Weldr sources: the default distribution's repositories are the system sources (never overwritten: SystemSource);
 * user sources are kept per organization in the blob store as composer's SourceConfigV1 and, as in composer, add
 * payload repositories to every depsolve and compose of the distributions they name (all when they name none).
 */
import { text } from 'node:stream/consumers';
import { findArchitecture, findDistribution } from '../../layers/src/distro/registry.ts';
import { ValidationError } from '../../layers/src/errors.ts';
import type { RepositoryConfig } from '../../layers/src/packages/package-set.ts';
import type { WeldrContext } from './weldr-router.ts';

export interface WeldrSource {
  id: string;
  name: string;
  type: 'yum-baseurl' | 'yum-mirrorlist' | 'yum-metalink';
  url: string;
  check_gpg: boolean;
  check_ssl: boolean;
  system: boolean;
  proxy?: string;
  gpgkeys?: string[];
  distros?: string[];
  rhsm?: boolean;
  check_repogpg?: boolean;
  module_hotfixes?: boolean;
}

export const SOURCE_TYPES = ['yum-baseurl', 'yum-mirrorlist', 'yum-metalink'];
const sourcesKey = (orgId: string) => `weldr/${orgId}/sources.json`;

/** The default distribution's repositories on the host architecture, as system sources. */
export function systemSources(ctx: WeldrContext): WeldrSource[] {
  try {
    const arch = findArchitecture(findDistribution(ctx.defaultDistro), ctx.hostArch);
    return arch.repositories.map((r) => ({
      id: r.id,
      name: r.name ?? r.id,
      type: r.metalink ? 'yum-metalink' : r.mirrorlist ? 'yum-mirrorlist' : 'yum-baseurl',
      url: r.metalink ?? r.mirrorlist ?? r.baseurl?.[0] ?? '',
      check_gpg: r.checkGpg ?? false,
      check_ssl: r.sslverify ?? true,
      system: true,
      ...(r.gpgkeys?.length ? { gpgkeys: r.gpgkeys } : {}),
    }));
  } catch {
    return [];
  }
}

export async function readUserSources(ctx: WeldrContext): Promise<Record<string, WeldrSource>> {
  const stream = await ctx.deps.blobs.get(sourcesKey(ctx.orgId));
  return stream ? (JSON.parse(await text(stream)) as Record<string, WeldrSource>) : {};
}

export const writeUserSources = (ctx: WeldrContext, sources: Record<string, WeldrSource>) =>
  ctx.deps.blobs.put(sourcesKey(ctx.orgId), JSON.stringify(sources), { contentType: 'application/json' });

/** The user sources that apply to a distribution. */
async function sourcesFor(ctx: WeldrContext, distribution: string): Promise<WeldrSource[]> {
  return Object.values(await readUserSources(ctx)).filter((s) => !s.distros?.length || s.distros.includes(distribution));
}

const urlOf = (s: WeldrSource) => (s.type === 'yum-metalink' ? { metalink: s.url } : s.type === 'yum-mirrorlist' ? { mirrorlist: s.url } : { baseurl: [s.url] });

/** The user sources as depsolver repositories. */
export async function sourceRepositories(ctx: WeldrContext, distribution: string): Promise<RepositoryConfig[]> {
  return (await sourcesFor(ctx, distribution)).map((s) => ({
    id: s.id,
    name: s.name,
    ...urlOf(s),
    checkGpg: s.check_gpg,
    sslverify: s.check_ssl,
    ...(s.gpgkeys?.length ? { gpgkeys: s.gpgkeys } : {}),
  }));
}

/** The user sources as the hosted API's `customizations.payload_repositories`. */
export async function sourcePayloadRepositories(ctx: WeldrContext, distribution: string): Promise<Record<string, unknown>[]> {
  return (await sourcesFor(ctx, distribution)).map((s) => {
    const { baseurl, ...url } = urlOf(s) as { baseurl?: string[]; metalink?: string; mirrorlist?: string };
    return {
      id: s.id,
      ...(baseurl ? { baseurl: baseurl[0] } : url),
      check_gpg: s.check_gpg,
      ignore_ssl: !s.check_ssl,
      ...(s.gpgkeys?.length ? { gpgkey: s.gpgkeys.join('\n') } : {}),
    };
  });
}

/** `repositories` for depsolvePackages: the distribution's own plus the user sources (nothing when there are none). */
export async function withSourceRepositories(ctx: WeldrContext, distribution: string, architecture: string): Promise<{ repositories?: RepositoryConfig[] }> {
  const sources = await sourceRepositories(ctx, distribution);
  if (sources.length === 0) return {};
  let own: RepositoryConfig[];
  try {
    own = [...findArchitecture(findDistribution(distribution), architecture).repositories];
  } catch (error) {
    if (error instanceof ValidationError) return {};
    throw error;
  }
  return { repositories: [...own, ...sources] };
}
