/**
 * Image size limits per upload target, as the hosted service has them (image-builder-crc validateComposeRequest,
 * FSMaxSize): an AWS image may be at most 64 GiB and an Azure image 128 GiB, where the size asked for is the larger of
 * the image request's `size` and the sum of the filesystem customizations' `min_size`.
 */
import { ValidationError } from '../errors.ts';
import { parseSize } from './sizes.ts';

/** image-builder-crc's FSMaxSize: 64 GiB. */
export const FS_MAX_SIZE = 68_719_476_736;

/** The limited image types (canonical names; the aliases ami and vhd resolve to them) and their cloud. */
const TARGET_LIMITS: Readonly<Record<string, { cloud: string; maxBytes: number }>> = {
  aws: { cloud: 'AWS', maxBytes: FS_MAX_SIZE },
  azure: { cloud: 'Azure', maxBytes: 2 * FS_MAX_SIZE },
};

/** 400 naming the field (the size or the filesystems) when the image would exceed its target's limit. */
export function checkTargetImageSize(imageType: string, size: number, customizations: unknown): void {
  const limit = TARGET_LIMITS[imageType];
  if (!limit) return;
  const filesystems = (customizations as { filesystem?: { min_size?: number | string }[] } | undefined)?.filesystem ?? [];
  const fsTotal = filesystems.reduce(
    (sum, fs, i) => sum + (fs.min_size === undefined ? 0 : parseSize(fs.min_size, `customizations.filesystem[${i}].min_size`)),
    0,
  );
  const total = Math.max(size, fsTotal);
  if (total <= limit.maxBytes) return;
  const field = fsTotal >= size ? 'customizations.filesystem' : 'image_requests[0].size';
  const asked = fsTotal >= size ? 'the filesystems\' min_size values add up to' : 'the image size asked for is';
  throw new ValidationError(
    field,
    `Total ${limit.cloud} image size cannot exceed ${limit.maxBytes} bytes (${limit.maxBytes / 1024 ** 3} GiB); ${asked} ${total} bytes`,
  );
}
