/** An `aws` upload's result as the API shows it: the hosted AWSUploadStatus (`{ami, region}`) plus every region's. */
import type { components } from '../api/generated/openapi-types.ts';
import type { AwsUploadResult } from './aws-target.ts';

type UploadStatus = components['schemas']['UploadStatus'];

export function presentAwsUploadStatus(result: AwsUploadResult): UploadStatus {
  const images = result.images.map(({ ami, region }) => ({ ami, region }));
  return { status: 'success', type: 'aws', options: images[0], images, snapshot_method: result.method };
}
