/**
 * Request-time checks of an `aws` upload (the hosted AWSUploadRequestOptions plus our extensions), so a bad account id
 * or region is a 400 naming the field now, not an EC2 error an hour later.
 */
import { validateSchema } from '../api/validate.ts';
import { ValidationError } from '../errors.ts';
import { AMI_BOOT_MODES, SNAPSHOT_METHODS, type AmiBootMode, type AwsUploadTarget, type SnapshotMethod } from './aws-target.ts';

/** The request's `upload_request.options` for `type: aws`, as the schema lets it through. */
export interface AwsUploadRequestOptions {
  share_with_accounts?: string[];
  share_with_sources?: string[];
  regions?: string[];
  ami_name?: string;
  tags?: Record<string, string>;
  boot_mode?: string;
  kms_key_id?: string;
  snapshot_method?: string;
}

/** What the image request says that the upload depends on. */
export interface AwsImageFacts {
  architecture: string;
  /** The image type's exported file: only a raw disk becomes a snapshot. */
  filename: string;
  /** The image type's boot mode (distribution.ts `BootMode`). */
  bootMode: string;
  /** Requested size in bytes (0: the image type's default). */
  size: number;
}

/** Regions of the `aws` partition and the two others (a copy never leaves the partition: checked by the runner). */
export const AWS_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2',
  'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3',
  'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7', 'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-south-1',
  'me-central-1', 'mx-central-1', 'sa-east-1', 'us-gov-east-1', 'us-gov-west-1', 'cn-north-1', 'cn-northwest-1',
]);

/** The AWS partition of a region: CopyImage and a KMS key never cross one (aws, aws-cn, aws-us-gov). */
export const partitionOf = (region: string): string => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');

/** Copies in two partitions, or a KMS key of another partition, would fail at CopyImage after the build: refuse now. */
function checkOnePartition(regions: readonly string[], kmsKeyArn: string | undefined): void {
  const first = regions[0];
  if (first === undefined) return;
  const partition = partitionOf(first);
  regions.forEach((region, i) => {
    if (partitionOf(region) !== partition) {
      throw new ValidationError(`${FIELD}.regions[${i}]`, `"${region}" is in the ${partitionOf(region)} partition and "${first}" in ${partition}: an AMI is copied only within one partition`);
    }
  });
  const kmsPartition = kmsKeyArn?.split(':')[1];
  if (kmsPartition !== undefined && KMS_KEY_ARN.test(kmsKeyArn!) && kmsPartition !== partition) {
    throw new ValidationError(`${FIELD}.kms_key_id`, `the key is in the ${kmsPartition} partition, the regions in ${partition}`);
  }
}

/** A gp3 volume holds at most 16 TiB; the AMI's root volume is gp3. */
export const MAX_AMI_VOLUME_BYTES = 16 * 1024 ** 4;
const MAX_SHARES = 100;
/** EC2 allows 50 tags per resource; ours take up to 6. */
const MAX_USER_TAGS = 40;
const FIELD = 'image_requests[0].upload_request.options';

/** EC2's AMI name rule: 3–128 characters of letters, digits, ( ) [ ] space . / - ' @ _ */
export const AMI_NAME_PATTERN = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;
const KMS_KEY_ARN = /^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

/**
 * Source ids of `share_with_sources` → AWS account ids. The hosted service asks its Sources service; this deployment
 * reads the map from `IBS_AWS_SOURCE_ACCOUNTS` (JSON `{"<source id>": "<account id>"}`).
 */
export function sourceAccountsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const raw = env.IBS_AWS_SOURCE_ACCOUNTS;
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Record<string, string>;
  } catch (error) {
    throw new Error('IBS_AWS_SOURCE_ACCOUNTS is not a JSON object', { cause: error });
  }
}

const bootModeOf = (facts: AwsImageFacts): AmiBootMode => {
  // Graviton instances boot UEFI only.
  if (facts.architecture === 'aarch64') return 'uefi';
  return facts.bootMode === 'uefi' ? 'uefi' : facts.bootMode === 'hybrid' ? 'uefi-preferred' : 'legacy-bios';
};

/** Share-list check (at most 100, each 12 digits), also used by composer v2 clones. */
export function checkAccounts(accounts: readonly string[], field: string): void {
  if (accounts.length > MAX_SHARES) throw new ValidationError(field, `at most ${MAX_SHARES} accounts`);
  accounts.forEach((account, i) => {
    if (!/^\d{12}$/.test(account)) throw new ValidationError(`${field}[${i}]`, `"${account}" is not an AWS account id (12 digits)`);
  });
}

function checkTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags);
  if (entries.length > MAX_USER_TAGS) throw new ValidationError(`${FIELD}.tags`, `at most ${MAX_USER_TAGS} tags`);
  for (const [key, value] of entries) {
    const field = `${FIELD}.tags.${key}`;
    if (key.length < 1 || key.length > 128) throw new ValidationError(field, 'a tag key has 1 to 128 characters');
    if (/^aws:/i.test(key) || /^ibs:/i.test(key)) throw new ValidationError(field, 'the prefixes aws: and ibs: are reserved');
    if (typeof value !== 'string' || value.length > 256) throw new ValidationError(field, 'a tag value is a string of at most 256 characters');
  }
}

/** Checks an `aws` upload request and resolves it (accounts of sources, boot mode) into the compose's target. */
export function resolveAwsUpload(
  options: AwsUploadRequestOptions,
  facts: AwsImageFacts,
  sourceAccounts: Record<string, string> = sourceAccountsFromEnv(),
): AwsUploadTarget {
  if (!facts.filename.endsWith('.raw')) {
    throw new ValidationError('image_requests[0].image_type', `an aws upload needs an image type that makes a raw disk (this one makes ${facts.filename})`);
  }
  if (facts.size > MAX_AMI_VOLUME_BYTES) {
    throw new ValidationError('image_requests[0].size', `an AMI's gp3 root volume holds at most 16 TiB (${MAX_AMI_VOLUME_BYTES} bytes)`);
  }
  const accounts = options.share_with_accounts ?? [];
  checkAccounts(accounts, `${FIELD}.share_with_accounts`);
  const sourced = (options.share_with_sources ?? []).map((source, i) => {
    const account = sourceAccounts[source];
    if (account === undefined) throw new ValidationError(`${FIELD}.share_with_sources[${i}]`, `unknown source "${source}"`);
    return account;
  });
  const regions = options.regions ?? [];
  regions.forEach((region, i) => {
    if (!AWS_REGIONS.has(region)) throw new ValidationError(`${FIELD}.regions[${i}]`, `"${region}" is not an AWS region`);
  });
  if (new Set(regions).size !== regions.length) throw new ValidationError(`${FIELD}.regions`, 'regions must be unique');
  checkOnePartition(regions, options.kms_key_id);
  if (options.ami_name !== undefined && !AMI_NAME_PATTERN.test(options.ami_name)) {
    throw new ValidationError(`${FIELD}.ami_name`, "an AMI name has 3 to 128 characters: letters, digits, spaces and ( ) [ ] . / - ' @ _");
  }
  checkTags(options.tags ?? {});
  if (options.boot_mode !== undefined && !AMI_BOOT_MODES.includes(options.boot_mode as AmiBootMode)) {
    throw new ValidationError(`${FIELD}.boot_mode`, `must be one of ${AMI_BOOT_MODES.join(', ')}`);
  }
  if (options.boot_mode === 'legacy-bios' && facts.architecture === 'aarch64') {
    throw new ValidationError(`${FIELD}.boot_mode`, 'aarch64 images boot with UEFI only');
  }
  if (options.kms_key_id !== undefined && !KMS_KEY_ARN.test(options.kms_key_id)) {
    throw new ValidationError(`${FIELD}.kms_key_id`, 'must be the ARN of a KMS key (arn:aws:kms:<region>:<account>:key/<id>)');
  }
  if (options.snapshot_method !== undefined && !SNAPSHOT_METHODS.includes(options.snapshot_method as SnapshotMethod)) {
    throw new ValidationError(`${FIELD}.snapshot_method`, `must be one of ${SNAPSHOT_METHODS.join(', ')}`);
  }
  return {
    type: 'aws',
    shareWithAccounts: [...new Set([...accounts, ...sourced])],
    copyToRegions: regions,
    ...(options.ami_name !== undefined ? { amiName: options.ami_name } : {}),
    tags: { ...options.tags },
    bootMode: (options.boot_mode as AmiBootMode | undefined) ?? bootModeOf(facts),
    ...(options.kms_key_id !== undefined ? { kmsKeyArn: options.kms_key_id } : {}),
    ...(options.snapshot_method !== undefined ? { method: options.snapshot_method as SnapshotMethod } : {}),
  };
}

/** The schema check (AWSUploadRequestOptions) and the checks above, every field named from the request's root. */
export function resolveAwsUploadRequest(options: unknown, facts: AwsImageFacts): AwsUploadTarget {
  let checked: AwsUploadRequestOptions;
  try {
    checked = validateSchema<AwsUploadRequestOptions>('AWSUploadRequestOptions', options ?? {});
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const inner = error.field === '(body)' ? '' : `.${error.field}`;
    throw new ValidationError(`${FIELD}${inner}`, error.message.slice(error.field.length + 2), { cause: error });
  }
  return resolveAwsUpload(checked, facts);
}
