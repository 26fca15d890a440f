/**
 * The `aws` upload target (an AMI) as the compose records it: what the request asked for, resolved at request time
 * (accounts, regions, boot mode), and what the runner made. Shared by the API (validation), the runner and the views.
 */

/** EC2's boot modes (RegisterImage `BootMode`). */
export type AmiBootMode = 'legacy-bios' | 'uefi' | 'uefi-preferred';

/** How the snapshot is written: EBS direct APIs (fast, default) or S3 + EC2 ImportSnapshot (compatible). */
export type SnapshotMethod = 'ebs-direct' | 'import-snapshot';

export const SNAPSHOT_METHODS: readonly SnapshotMethod[] = ['ebs-direct', 'import-snapshot'];
export const AMI_BOOT_MODES: readonly AmiBootMode[] = ['legacy-bios', 'uefi', 'uefi-preferred'];

export interface AwsUploadTarget {
  type: 'aws';
  /** Accounts the image (and its snapshot) is shared with: `share_with_accounts` plus the accounts of `share_with_sources`. */
  shareWithAccounts: string[];
  /** Other regions the image is copied to (and shared in); the runner's own region always gets the image. */
  copyToRegions: string[];
  /** The user's AMI name; without it the runner derives a unique one from the request and the compose id. */
  amiName?: string;
  /** User tags, put on every image and snapshot beside ours. */
  tags: Record<string, string>;
  bootMode: AmiBootMode;
  /** KMS key ARN: the snapshot (and every copy) is encrypted with it. */
  kmsKeyArn?: string;
  /** Undefined: the stack's choice (`IBS_AMI_SNAPSHOT_METHOD`, default ebs-direct). */
  method?: SnapshotMethod;
}

/** One image the runner registered or copied. */
export interface AmiImage {
  ami: string;
  region: string;
  snapshotId: string;
}

/** What an `aws` upload made: the images per region (the first is the primary region's) and the path it took. */
export interface AwsUploadResult {
  type: 'aws';
  method: SnapshotMethod;
  images: AmiImage[];
}
