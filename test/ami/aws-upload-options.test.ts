import { describe, expect, it } from 'vitest';
import { presentComposeStatus } from '../../layers/src/api/present-compose.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';
import { resolveImageRequest } from '../../layers/src/service/compose-service.ts';
import { resolveAwsUpload } from '../../layers/src/upload/aws-upload-options.ts';

const hosted = (distribution: string, architecture: string, options: Record<string, unknown>) => ({
  distribution,
  image_requests: [{ architecture, image_type: 'aws', upload_request: { type: 'aws', options } }],
});

describe('aws upload requests (hosted shape) at request time', () => {
  it('accepts the hosted body for a real distribution and resolves the boot mode from the image type (uefi on aarch64)', () => {
    const x86 = resolveImageRequest(hosted('fedora-44', 'x86_64', { share_with_accounts: ['123456789012'] }));
    expect(x86).toMatchObject({ imageType: 'aws', uploadType: 'aws', upload: { type: 'aws', shareWithAccounts: ['123456789012'], copyToRegions: [], bootMode: 'uefi-preferred', tags: {} } });
    expect(x86.upload?.method).toBeUndefined();
    const arm = resolveImageRequest(hosted('fedora-44', 'aarch64', {}));
    expect(arm.upload?.bootMode).toBe('uefi');
    expect(() => resolveImageRequest(hosted('fedora-44', 'aarch64', { boot_mode: 'legacy-bios' }))).toThrow(/boot_mode: aarch64 images boot with UEFI only/);
  });

  it('resolves share_with_sources through the configured source → account map, and refuses unknown sources', () => {
    const facts = { architecture: 'x86_64', filename: 'image.raw', bootMode: 'hybrid', size: 0 };
    expect(resolveAwsUpload({ share_with_accounts: ['123456789012'], share_with_sources: ['7', '8'] }, facts, { '7': '210987654321', '8': '123456789012' }).shareWithAccounts).toEqual([
      '123456789012',
      '210987654321',
    ]);
    expect(() => resolveAwsUpload({ share_with_sources: ['9'] }, facts, {})).toThrow(/share_with_sources\[0\]: unknown source "9"/);
  });

  it('names the field of every other mistake: size over 16 TiB, reserved tags, kms key, duplicate regions', () => {
    const facts = { architecture: 'x86_64', filename: 'image.raw', bootMode: 'hybrid', size: 0 };
    expect(() => resolveAwsUpload({}, { ...facts, size: 16 * 1024 ** 4 + 1 })).toThrow(/image_requests\[0\]\.size/);
    expect(() => resolveAwsUpload({ tags: { 'aws:x': 'y' } }, facts)).toThrow(/tags\.aws:x: the prefixes aws: and ibs: are reserved/);
    expect(() => resolveAwsUpload({ kms_key_id: 'alias/mine' }, facts)).toThrow(/kms_key_id: must be the ARN/);
    expect(() => resolveAwsUpload({ regions: ['us-east-1', 'us-east-1'] }, facts)).toThrow(/regions: regions must be unique/);
    expect(resolveAwsUpload({ kms_key_id: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }, facts).kmsKeyArn).toMatch(/^arn:aws:kms/);
  });

  it('keeps copies and the KMS key in one AWS partition (CopyImage never crosses aws, aws-cn, aws-us-gov)', () => {
    const facts = { architecture: 'x86_64', filename: 'image.raw', bootMode: 'hybrid', size: 0 };
    expect(() => resolveAwsUpload({ regions: ['eu-west-1', 'cn-north-1'] }, facts)).toThrow(/regions\[1\]: "cn-north-1" is in the aws-cn partition and "eu-west-1" in aws/);
    expect(() => resolveAwsUpload({ regions: ['us-gov-west-1'], kms_key_id: 'arn:aws:kms:us-east-1:123456789012:key/abcd' }, facts)).toThrow(/kms_key_id: the key is in the aws partition, the regions in aws-us-gov/);
    expect(resolveAwsUpload({ regions: ['cn-north-1', 'cn-northwest-1'], kms_key_id: 'arn:aws-cn:kms:cn-north-1:123456789012:key/abcd' }, facts).copyToRegions).toEqual(['cn-north-1', 'cn-northwest-1']);
  });
});

describe('aws upload status in the API', () => {
  const base = {
    id: 'c1', orgId: 'o', request: { distribution: 'test-distro-1', image_requests: [] }, state: 'uploading', createdAt: 't', updatedAt: 't', attempt: 1, artifacts: [], seed: 's',
    spec: { distribution: 'test-distro-1', architecture: 'x86_64', imageType: 'aws', size: 0, uploadType: 'aws', upload: { type: 'aws', shareWithAccounts: [], copyToRegions: [], tags: {}, bootMode: 'uefi-preferred' } },
    progress: { done: 2, total: 2, subprogress: { done: 40, total: 128 } },
  } as unknown as Compose;

  it('is `registering` with the blocks as subprogress while the AMI is made, then the hosted AWSUploadStatus plus every region', () => {
    expect(presentComposeStatus(base).image_status).toMatchObject({ status: 'registering', progress: { subprogress: { done: 40, total: 128 } } });
    const done = { ...base, state: 'success', uploadResult: { type: 'aws', method: 'ebs-direct', images: [{ ami: 'ami-1', region: 'eu-west-1', snapshotId: 'snap-1' }, { ami: 'ami-2', region: 'us-east-1', snapshotId: 'snap-2' }] } } as Compose;
    expect(presentComposeStatus(done).image_status.upload_status).toEqual({
      status: 'success',
      type: 'aws',
      options: { ami: 'ami-1', region: 'eu-west-1' },
      images: [{ ami: 'ami-1', region: 'eu-west-1' }, { ami: 'ami-2', region: 'us-east-1' }],
      snapshot_method: 'ebs-direct',
    });
    const s3 = { ...base, spec: { ...base.spec, uploadType: 'aws.s3', upload: undefined } } as Compose;
    expect(presentComposeStatus(s3).image_status.status).toBe('uploading');
  });
});
