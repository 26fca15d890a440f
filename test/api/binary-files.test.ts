import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { blueprintFromApiCustomizations } from '../../layers/src/blueprint/from-api-customizations.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import type { Manifest } from '../../layers/src/manifest/manifest.ts';
import { generateWithFakePackages } from '../manifest/fixtures.ts';

// Issue 17 item 5: `data_encoding: base64` file contents reach the image as exactly the bytes sent.
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const REGRESSION = Buffer.from('fffe0080', 'hex'); // once became efbfbdefbfbd00efbfbd
const files = [
  { path: '/etc/every-byte.bin', data: EVERY_BYTE.toString('base64'), data_encoding: 'base64' },
  { path: '/etc/regression.bin', data: REGRESSION.toString('base64'), data_encoding: 'base64' },
  { path: '/etc/text.conf', data: 'grüße\n' },
];

/** The bytes the manifest's org.osbuild.copy stage writes to `path`, read from its inline source. */
function bytesWrittenTo(manifest: Manifest, path: string): Buffer {
  const stages = manifest.pipelines.flatMap((p) => p.stages ?? []);
  for (const stage of stages.filter((s) => s.type === 'org.osbuild.copy')) {
    const paths = (stage.options as { paths: { from: string; to: string }[] }).paths;
    const hit = paths.find((p) => p.to === `tree://${path}` || p.to.endsWith(`:/${path.slice(1)}`));
    if (!hit) continue;
    const checksum = hit.from.slice(hit.from.lastIndexOf('/') + 1);
    const item = (manifest.sources?.['org.osbuild.inline'] as { items: Record<string, { encoding: string; data: string }> }).items[checksum];
    expect(item.encoding).toBe('base64');
    return Buffer.from(item.data, 'base64');
  }
  throw new Error(`no copy stage writes ${path}`);
}

function expectExactFiles(manifest: Manifest) {
  expect(bytesWrittenTo(manifest, '/etc/every-byte.bin').equals(EVERY_BYTE)).toBe(true);
  expect(bytesWrittenTo(manifest, '/etc/regression.bin').toString('hex')).toBe('fffe0080');
  expect(bytesWrittenTo(manifest, '/etc/text.conf').toString('utf8')).toBe('grüße\n');
}

let stack: LocalStack;
let api: string;
beforeAll(async () => {
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'ibs-bin-')), port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
  api = `${stack.url}/api/image-builder/v1`;
});
afterAll(() => stack.stop());

describe('binary file contents', () => {
  it('every byte value 0..255 goes from the API request into the manifest unchanged (test distribution)', async () => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await stack.mintToken('org-bin')}` };
    const body = { distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }], customizations: { files } };
    const created = await fetch(`${api}/compose`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await expect.poll(async () => ((await (await fetch(`${api}/composes/${id}`, { headers })).json()) as { state: string }).state, { timeout: 60_000 }).toBe('queued');
    const { manifests } = (await (await fetch(`${api}/composes/${id}/manifests`, { headers })).json()) as { manifests: Manifest[] };
    expectExactFiles(manifests[0]);
    // Waits for background manifest generation: more than the default 30 s on a loaded machine.
  }, 90_000);

  it('every byte value 0..255 reaches the manifest of a generic distribution image unchanged', () => {
    const distro = findDistribution('fedora-43');
    const arch = findArchitecture(distro, 'x86_64');
    const type = findImageType(distro, arch, 'guest-image');
    const blueprint = blueprintFromApiCustomizations({ files });
    const { generated } = generateWithFakePackages(type, { distribution: 'fedora-43', architecture: 'x86_64', imageType: type.name, size: 0, blueprint, seed: 'bytes' });
    expectExactFiles(generated.manifest);
  });
});
