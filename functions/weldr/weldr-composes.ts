/**
 * Our composes as Weldr shows them: composer's four queue states, ComposeEntry fields (times in float seconds, the
 * image size only once FINISHED), compose type names as composer spells them (qcow2, ami, vhd...), and the build log.
 */
import type { Compose } from '../../layers/src/compose/compose.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import type { Architecture, Distribution, ImageType } from '../../layers/src/distro/distribution.ts';
import { readComposeLogs } from '../../layers/src/service/compose-service.ts';
import { text } from 'node:stream/consumers';
import type { WeldrContext } from './weldr-router.ts';
import { presentBlueprint } from './weldr-blueprints.ts';

const snapshotKey = (orgId: string, composeId: string) => `weldr/${orgId}/compose-blueprints/${composeId}.json`;

/** composer keeps a copy of the blueprint in each compose: info and entries show it after the blueprint is deleted. */
export async function saveComposeBlueprint(ctx: WeldrContext, composeId: string, blueprint: Record<string, unknown>): Promise<void> {
  await ctx.deps.blobs.put(snapshotKey(ctx.orgId, composeId), JSON.stringify(blueprint), { contentType: 'application/json' });
}

export async function deleteComposeBlueprint(ctx: WeldrContext, composeId: string): Promise<void> {
  await ctx.deps.blobs.delete(snapshotKey(ctx.orgId, composeId));
}

async function readComposeBlueprint(ctx: WeldrContext, composeId: string): Promise<Record<string, unknown> | undefined> {
  const stream = await ctx.deps.blobs.get(snapshotKey(ctx.orgId, composeId));
  return stream ? (JSON.parse(await text(stream)) as Record<string, unknown>) : undefined;
}

export type WeldrQueueStatus = 'WAITING' | 'RUNNING' | 'FINISHED' | 'FAILED';

export function queueStatusOf(compose: Compose): WeldrQueueStatus {
  switch (compose.state) {
    case 'pending':
    case 'queued':
      return 'WAITING';
    case 'building':
    case 'uploading':
      return 'RUNNING';
    case 'success':
      return 'FINISHED';
    default:
      return 'FAILED';
  }
}

/** Our image type names whose composer name differs (composer's names are our aliases). */
const WELDR_TYPE_NAMES: Record<string, string> = { 'guest-image': 'qcow2', aws: 'ami', azure: 'vhd', vsphere: 'vmdk', 'vsphere-ova': 'ova', gcp: 'gce' };

export const weldrTypeName = (imageType: string): string => WELDR_TYPE_NAMES[imageType] ?? imageType;

/**
 * Upstream Fedora image types (osbuild/images' current names) with no type of their own here, accepted as the
 * type of ours that builds the same kind of image (weldr-client's tests start `server-qcow2`), by our type's
 * upstream name.
 */
const UPSTREAM_EXTRA_NAMES: Record<string, readonly string[]> = {
  'generic-qcow2': ['server-qcow2', 'cloud-qcow2'],
  'generic-ami': ['cloud-ec2'],
  'generic-vhd': ['cloud-azure'],
};

const upstreamNameOf = (type: ImageType): string | undefined => (type as { upstreamName?: string }).upstreamName;

/**
 * The names compose/types lists for one of our types: composer's short name, and, where osbuild/images names the
 * type otherwise today (Fedora's `generic-qcow2`, `server-qcow2`...), those names too, as composer lists images'
 * type names.
 */
export function weldrTypeNames(type: ImageType): string[] {
  const upstream = upstreamNameOf(type);
  return [...new Set([weldrTypeName(type.name), ...(upstream ? [upstream, ...(UPSTREAM_EXTRA_NAMES[upstream] ?? [])] : [])])];
}

/** The type a Weldr `compose_type` names: our names and aliases, then upstream's names listed by compose/types. */
export function findWeldrImageType(distro: Distribution, arch: Architecture, name: string): ImageType {
  try {
    return findImageType(distro, arch, name);
  } catch (error) {
    const type = arch.imageTypes.find((t) => weldrTypeNames(t).includes(name));
    if (!type) throw error;
    return type;
  }
}

/** The image type of a compose (for its file name and MIME type); undefined when the distribution is gone. */
export function imageTypeOf(compose: Compose): ImageType | undefined {
  try {
    const distro = findDistribution(compose.spec.distribution);
    return findImageType(distro, findArchitecture(distro, compose.spec.architecture), compose.spec.imageType);
  } catch {
    return undefined;
  }
}

/** The file name composer gives the image (the image type's), `<uuid>-` in front where composer puts it. */
export const imageFileName = (compose: Compose): string => compose.artifacts[0]?.name ?? imageTypeOf(compose)?.filename ?? 'image';

/** The size composer records: the one asked for, else the image type's default. */
export const imageSizeOf = (compose: Compose): number => compose.spec.size || imageTypeOf(compose)?.defaultSize || 0;

const seconds = (iso: string | undefined): number | undefined => (iso ? Date.parse(iso) / 1000 : undefined);

/** The blueprint name and composer version a compose was built from (cached per request). */
export type BlueprintLabels = (compose: Compose) => Promise<{ name: string; version: string; blueprint?: Record<string, unknown> }>;

export function createBlueprintLabels(ctx: WeldrContext): BlueprintLabels {
  const cache = new Map<string, Promise<{ name: string; version: string; blueprint?: Record<string, unknown> }>>();
  return (compose) => {
    const origin = compose.blueprint;
    const fallback = { name: compose.imageName ?? '', version: '' };
    if (!origin || !ctx.deps.blueprints) return Promise.resolve(fallback);
    const key = `${origin.id}:${origin.version}`;
    if (!cache.has(key)) {
      cache.set(
        key,
        ctx.deps.blueprints.getVersion(ctx.orgId, origin.id, origin.version).then(async (version) => {
          // A deleted blueprint's versions are gone from the store: the copy saved with a Weldr compose remains.
          const blueprint = version ? presentBlueprint(version) : await readComposeBlueprint(ctx, compose.id);
          if (!blueprint) return fallback;
          return { name: String(blueprint.name ?? fallback.name), version: String(blueprint.version ?? ''), blueprint };
        }),
      );
    }
    return cache.get(key)!;
  };
}

/** composer's ComposeEntry. */
export async function presentComposeEntry(compose: Compose, labels: BlueprintLabels): Promise<Record<string, unknown>> {
  const status = queueStatusOf(compose);
  const { name, version } = await labels(compose);
  const started = seconds(compose.startedAt ?? compose.history?.find((h) => h.state === 'building')?.at);
  const finished = seconds(compose.finishedAt ?? compose.updatedAt);
  return {
    id: compose.id,
    blueprint: name,
    version,
    compose_type: weldrTypeName(compose.spec.imageType),
    image_size: status === 'FINISHED' ? imageSizeOf(compose) : 0,
    queue_status: status,
    job_created: seconds(compose.createdAt),
    ...(status !== 'WAITING' && started ? { job_started: started } : {}),
    ...((status === 'FINISHED' || status === 'FAILED') && finished ? { job_finished: finished } : {}),
  };
}

/** The whole build log of a compose (every slice the runner stored). */
export async function readWholeLog(ctx: WeldrContext, compose: Compose): Promise<string> {
  let text = '';
  for (let offset = 0; ; ) {
    const slice = await readComposeLogs(ctx.deps, ctx.orgId, compose.id, offset);
    text += slice.text;
    if (slice.nextOffset === offset) break;
    offset = slice.nextOffset;
  }
  return text;
}

/** Every compose of the organization, oldest first. */
export async function listAllComposes(ctx: WeldrContext): Promise<Compose[]> {
  const all: Compose[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await ctx.deps.store.list(ctx.orgId, { limit: 100, offset });
    all.push(...page.items.filter((c) => !c.deletedAt));
    if (offset + 100 >= page.total) break;
  }
  return all.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
