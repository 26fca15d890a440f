import { describe, expect, it } from 'vitest';
import { presentComposeStatus } from '../../layers/src/api/present-compose.ts';
import type { Compose } from '../../layers/src/compose/compose.ts';

const compose = (result: Compose['result']): Compose => ({
  id: '123e4567-e89b-12d3-a456-426655440000',
  orgId: 'o',
  request: { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] },
  spec: { distribution: 'test-distro-1', architecture: 'x86_64', imageType: 'tar', size: 0, uploadType: 'aws.s3' },
  state: 'success',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  attempt: 1,
  artifacts: [],
  seed: 's',
  result,
});

describe('a build whose log could not be stored', () => {
  it('says so in image_status.log_error, and a complete log adds nothing', () => {
    const lost = 'the build log could not be stored: 3 of 3 chunks refused (ENOSPC: no space left on device)';
    expect(presentComposeStatus(compose({ success: true, logError: lost })).image_status).toMatchObject({ status: 'success', log_error: lost });
    expect(presentComposeStatus(compose({ success: true })).image_status).not.toHaveProperty('log_error');
  });
});
