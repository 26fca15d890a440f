import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddedAdapters } from '../../layers/src/adapters/embedded/embedded-adapters.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { createCompose } from '../../layers/src/service/compose-service.ts';
import { generateComposeManifest } from '../../layers/src/service/generate-compose-manifest.ts';
import type { ServiceDeps } from '../../layers/src/service/deps.ts';

function makeDeps(): ServiceDeps {
  const adapters = createEmbeddedAdapters({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-mjob-')), publicBaseUrl: 'http://127.0.0.1:1' });
  return { ...adapters, log: createLogger({}, { write: () => {} }), config: { downloadUrlTtlSeconds: 60, version: 'test' } };
}

const request = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] };

describe('manifest job', () => {
  it('queues the compose before its build job exists, and a redelivered job sends the build job again', async () => {
    const deps = makeDeps();
    const compose = await createCompose(deps, 'org', request);
    const job = { kind: 'manifest' as const, orgId: 'org', composeId: compose.id };
    expect(await generateComposeManifest(deps, job)).toBe('queued');
    const queued = await deps.store.get('org', compose.id);
    expect(queued).toMatchObject({ state: 'queued', exports: ['archive'] });
    expect(queued?.manifestKey).toBe(`manifests/org/${compose.id}/manifest.json`);
    expect(await deps.queue.depth('build-x86_64')).toEqual({ visible: 1, inFlight: 0 });

    // Redelivery (the worker died before deleting the manifest job): the build job is sent again, never lost.
    expect(await generateComposeManifest(deps, job)).toBe('queued');
    expect(await deps.queue.depth('build-x86_64')).toEqual({ visible: 2, inFlight: 0 });
  });

  it('does nothing for a compose that was cancelled or is unknown', async () => {
    const deps = makeDeps();
    const compose = await createCompose(deps, 'org', request);
    await deps.store.transition('org', compose.id, { from: ['pending'], to: 'cancelled' });
    expect(await generateComposeManifest(deps, { kind: 'manifest', orgId: 'org', composeId: compose.id })).toBe('skipped');
    expect(await generateComposeManifest(deps, { kind: 'manifest', orgId: 'org', composeId: '00000000-0000-0000-0000-000000000000' })).toBe('skipped');
    expect(await deps.queue.depth('build-x86_64')).toEqual({ visible: 0, inFlight: 0 });
  });
});
