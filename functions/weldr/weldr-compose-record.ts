/**
 * What composer keeps with a Weldr compose that our Compose has no field for: the compose type name as the client
 * sent it (composer shows its image type's name; upstream's current names are aliases of ours) and the upload
 * target's settings as composer's AWSTargetOptions hold them (region, bucket, key; never the credentials).
 */
import { text } from 'node:stream/consumers';
import type { WeldrContext } from './weldr-router.ts';

/** composer's awsUploadSettings as targetsToUploadResponses returns them: no access keys or session token. */
export interface WeldrAwsUploadSettings {
  region: string;
  bucket: string;
  key: string;
}

export interface WeldrComposeRecord {
  /** The `compose_type` of the start request (resolved to one of our image types). */
  composeType: string;
  upload?: { provider: 'aws'; settings: WeldrAwsUploadSettings };
}

const recordKey = (orgId: string, composeId: string) => `weldr/${orgId}/compose-records/${composeId}.json`;

export async function saveComposeRecord(ctx: WeldrContext, composeId: string, record: WeldrComposeRecord): Promise<void> {
  await ctx.deps.blobs.put(recordKey(ctx.orgId, composeId), JSON.stringify(record), { contentType: 'application/json' });
}

/** The record of a compose started over the socket; undefined for one started elsewhere (the hosted API). */
export async function readComposeRecord(ctx: WeldrContext, composeId: string): Promise<WeldrComposeRecord | undefined> {
  const stream = await ctx.deps.blobs.get(recordKey(ctx.orgId, composeId));
  return stream ? (JSON.parse(await text(stream)) as WeldrComposeRecord) : undefined;
}

export async function deleteComposeRecord(ctx: WeldrContext, composeId: string): Promise<void> {
  await ctx.deps.blobs.delete(recordKey(ctx.orgId, composeId));
}
