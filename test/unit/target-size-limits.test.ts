/** Image size limits per target, as hosted: AWS ≤ 64 GiB, Azure ≤ 128 GiB, the larger of size and the filesystems. */
import { describe, expect, it } from 'vitest';
import { resolveImageRequest } from '../../layers/src/service/compose-service.ts';
import { FS_MAX_SIZE } from '../../layers/src/blueprint/target-size-limits.ts';

const request = (image_type: string, size?: number, filesystem?: { mountpoint: string; min_size: number | string }[]) => ({
  distribution: 'fedora-43',
  image_requests: [{ architecture: 'x86_64', image_type, ...(size === undefined ? {} : { size }) }],
  ...(filesystem ? { customizations: { filesystem } } : {}),
});

describe('image size limits per target', () => {
  it('accepts an AWS image of exactly 64 GiB and refuses one byte more, naming the size field', () => {
    expect(resolveImageRequest(request('ami', FS_MAX_SIZE)).imageType).toBe('aws');
    expect(() => resolveImageRequest(request('ami', FS_MAX_SIZE + 1))).toThrow(
      `image_requests[0].size: Total AWS image size cannot exceed ${FS_MAX_SIZE} bytes (64 GiB); the image size asked for is ${FS_MAX_SIZE + 1} bytes`,
    );
  });

  it('adds up the filesystems (with units) and names them when they are the larger', () => {
    const filesystem = [
      { mountpoint: '/', min_size: '40 GiB' },
      { mountpoint: '/var', min_size: 30 * 1024 ** 3 },
    ];
    expect(() => resolveImageRequest(request('aws', 0, filesystem))).toThrow(/^customizations\.filesystem: Total AWS image size cannot exceed .* add up to 75161927680 bytes/);
    // Azure allows twice as much; other targets have no such limit.
    expect(resolveImageRequest(request('vhd', 0, filesystem)).imageType).toBe('azure');
    expect(() => resolveImageRequest(request('azure', 2 * FS_MAX_SIZE + 1))).toThrow(/Total Azure image size cannot exceed 137438953472 bytes \(128 GiB\)/);
    expect(resolveImageRequest(request('guest-image', 2 * FS_MAX_SIZE + 1)).imageType).toBe('guest-image');
  });
});
