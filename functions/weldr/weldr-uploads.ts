/**
 * The `upload` of a Weldr compose start (osbuild-composer internal/weldr/upload.go) over our upload targets: `aws`
 * becomes the hosted API's `upload_request: {type: aws}` (an AMI registered by our runner); providers composer knows
 * but this service cannot deliver are refused, unknown ones answer composer's decode error (404). The `uploads`
 * of compose info and queue entries are composer's uploadResponse, without credentials.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Compose } from '../../layers/src/compose/compose.ts';
import { WeldrError } from './weldr-errors.ts';
import type { WeldrQueueStatus } from './weldr-composes.ts';
import type { WeldrAwsUploadSettings, WeldrComposeRecord } from './weldr-compose-record.ts';

/** composer's uploadRequest.UnmarshalJSON providers. */
const COMPOSER_PROVIDERS = ['azure', 'aws', 'aws.s3', 'gcp', 'vmware', 'oci', 'generic.s3', 'container', 'pulp.ostree'];
/** awsUploadSettings: every field a string. */
const AWS_SETTINGS = ['region', 'accessKeyID', 'secretAccessKey', 'sessionToken', 'bucket', 'key'];

/** The hosted API's upload_request for a Weldr upload. */
export interface HostedUploadRequest {
  type: 'aws';
  options: { ami_name?: string; regions?: string[] };
}

// composer's json decode failure of the whole compose request: its 404.
const undecodable = (why: string) => new WeldrError(404, 'HTTPError', 'Not Found', { code: 404, cause: new Error(why) });

/**
 * Decodes `upload` as composer does (both API versions decode it; only v1 uses it). Undefined: no upload (absent or
 * null). An `aws` upload keeps `image_name` as the AMI name and `settings.region` as a region the AMI is copied to;
 * credentials, bucket and key are not used (the runner imports with the service's own AWS account), but region,
 * bucket and key are kept as composer's target keeps them (`key` defaults to `composer-api-<uuid>`), to show them.
 */
export function decodeWeldrUpload(upload: unknown): { provider: string; request?: HostedUploadRequest; settings?: WeldrAwsUploadSettings } | undefined {
  if (upload === undefined || upload === null) return undefined;
  if (typeof upload !== 'object' || Array.isArray(upload)) throw undecodable('upload is not an object');
  const { provider, image_name: imageName, settings } = upload as Record<string, unknown>;
  if (provider !== undefined && provider !== null && typeof provider !== 'string') throw undecodable('provider is not a string');
  if (imageName !== undefined && imageName !== null && typeof imageName !== 'string') throw undecodable('image_name is not a string');
  if (typeof provider !== 'string' || !COMPOSER_PROVIDERS.includes(provider)) throw undecodable('unexpected provider name');
  // json.Unmarshal of absent settings fails ("unexpected end of JSON input"); null leaves them empty.
  if (settings === undefined) throw undecodable('settings missing');
  if (settings !== null && (typeof settings !== 'object' || Array.isArray(settings))) throw undecodable('settings is not an object');
  if (provider !== 'aws') return { provider };
  const fields = (settings ?? {}) as Record<string, unknown>;
  for (const key of AWS_SETTINGS) if (fields[key] !== undefined && fields[key] !== null && typeof fields[key] !== 'string') throw undecodable(`settings.${key} is not a string`);
  const text = (key: string): string => (typeof fields[key] === 'string' ? (fields[key] as string) : '');
  const region = text('region');
  return {
    provider,
    // composer's uploadRequestToTarget: an empty key becomes composer-api-<uuid>.
    settings: { region, bucket: text('bucket'), key: text('key') || `composer-api-${randomUUID()}` },
    request: { type: 'aws', options: { ...(imageName ? { ami_name: imageName } : {}), ...(region ? { regions: [region] } : {}) } },
  };
}

/** A provider composer accepts that this service cannot deliver: ComposeError, before anything is stored. */
export function refuseUnsupportedProvider(provider: string): never {
  throw new WeldrError(400, 'ComposeError', `Upload provider "${provider}" is not supported by this service; supported: aws (an AMI)`);
}

/** A stable uuid for the compose's one upload target (composer gives each target its own). */
function uploadUuid(composeId: string): string {
  const hex = createHash('sha256').update(`${composeId}:upload`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * composer's targetsToUploadResponses for API v1: the `aws` upload of a compose with the compose's state and the
 * settings the client sent (region, bucket, key: no credentials), or undefined (the field is omitted, as Go's
 * omitempty does for a compose without upload targets).
 */
export function presentUploads(compose: Compose, status: WeldrQueueStatus, record?: WeldrComposeRecord): Record<string, unknown>[] | undefined {
  const image = (compose.request as { image_requests?: { upload_request?: { type?: string; options?: { ami_name?: string; regions?: string[] } } }[] })
    .image_requests?.[0];
  const upload = image?.upload_request;
  if (upload?.type !== 'aws') return undefined;
  return [
    {
      uuid: uploadUuid(compose.id),
      status,
      provider_name: 'aws',
      image_name: upload.options?.ami_name ?? '',
      creation_time: Date.parse(compose.createdAt) / 1000,
      settings: record?.upload?.settings ?? { region: upload.options?.regions?.[0] ?? '', bucket: '', key: '' },
    },
  ];
}
