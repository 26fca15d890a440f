import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { emptyBlueprint } from '../../layers/src/blueprint/blueprint.ts';
import { fetchWithLocalMetalink } from '../support/local-metalink.ts';
import { type GenGroup, type GenPackage, pkgLocation, writeRepo } from '../depsolve/repo-generator.ts';

/**
 * A real distribution's compose through the whole product path: the image type's package sets are resolved by the
 * real depsolver from a repository served on 127.0.0.1 (Fedora's metalinks are answered with a local metalink), the
 * manifest's curl sources download the (stand-in) RPMs from it, the runner runs the osbuild test double.
 */
const root = resolve(import.meta.dirname, '../..');
const repoDir = mkdtempSync(join(tmpdir(), 'ibs-fedora-repo-'));
let repoServer: Server;
let repoUrl: string;
let stack: LocalStack;
let api: string;
let auth: Record<string, string>;

/** Every name the fedora-44 guest-image asks for, as a package without dependencies; every @group with one member. */
function makeRepository() {
  const distro = findDistribution('fedora-44');
  const arch = findArchitecture(distro, 'x86_64');
  const type = findImageType(distro, arch, 'guest-image');
  const blueprint = emptyBlueprint();
  blueprint.packages.push({ name: 'tmux' });
  const sets = type.packageSets(type.prepare({ distribution: distro.name, architecture: 'x86_64', imageType: type.name, size: 0, blueprint, seed: 's' }));
  const names = new Set<string>(['tmux']);
  const groups = new Map<string, GenGroup>();
  for (const set of Object.values(sets)) {
    for (const spec of set.include) {
      if (spec.startsWith('@')) {
        const id = spec.slice(1);
        groups.set(id, { id, packages: [{ name: `${id}-member`, type: 'mandatory' }] });
        names.add(`${id}-member`);
      } else if (!/[*?[\]/]/.test(spec)) {
        names.add(spec);
      }
    }
  }
  const packages: GenPackage[] = [...names].sort().map((name) => ({ name, version: '1.0', release: '1.fc44', arch: 'x86_64', summary: `${name} (test)` }));
  const repomd = writeRepo(repoDir, { packages, groups: [...groups.values()] });
  return { packages, repomd };
}

beforeAll(async () => {
  const { repomd } = makeRepository();
  // The stand-in RPM's bytes are its NEVRA string, so the checksum in primary.xml (the generator's pkgId) verifies.
  repoServer = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    const file = join(repoDir, path);
    if (path.startsWith('Packages/')) {
      const m = path.match(/^Packages\/.\/(.+)-([^-]+)-([^-]+)\.([^.]+)\.rpm$/);
      if (!m) return void res.writeHead(404).end();
      return void res.writeHead(200).end(`${m[1]}-0:${m[2]}-${m[3]}.${m[4]}`);
    }
    if (!file.startsWith(repoDir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((r) => repoServer.listen(0, '127.0.0.1', r));
  repoUrl = `http://127.0.0.1:${(repoServer.address() as AddressInfo).port}`;
  const localFetch = fetchWithLocalMetalink(repoUrl, repomd);
  stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), 'ibs-fedora-')),
    port: 0,
    runners: 1,
    runnerEnv: { IBS_OSBUILD: join(root, 'test/osbuild-double/osbuild'), IBS_LOG_LEVEL: 'warn' },
    depsolver: new RepoDepsolver({ fetch: localFetch }),
    log: createLogger({}, { write: () => {} }),
  });
  api = `${stack.url}/api/image-builder/v1`;
  auth = { authorization: `Bearer ${await stack.mintToken('local')}` };
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => repoServer?.close(() => r()));
});

const post = (path: string, body: unknown) =>
  fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });

describe('fedora-44 through the product path (local repository, osbuild test double)', () => {
  it('searches packages in the distribution repositories', async () => {
    const response = await fetch(`${api}/packages?distribution=fedora-44&architecture=x86_64&search=tmu`, { headers: auth });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { meta: { count: number }; data: { name: string; summary: string }[] };
    expect(body.data.map((p) => p.name)).toContain('tmux');
    expect(body.data.find((p) => p.name === 'tmux')?.summary).toBe('tmux (test)');
    const missing = await fetch(`${api}/packages?distribution=fedora-44&architecture=x86_64`, { headers: auth });
    expect(missing.status).toBe(400);
  });

  it('depsolves a package list against replaced repositories, and reports dnf problems and unreachable repositories', async () => {
    const solved = await post('/depsolve', { distribution: 'fedora-44', architecture: 'x86_64', packages: ['tmux'], repositories: [{ id: 'local', baseurl: [`${repoUrl}/`] }] });
    expect(solved.status).toBe(200);
    const { packages } = (await solved.json()) as { packages: { name: string; url: string; checksum: string; repository: string }[] };
    expect(packages).toEqual([expect.objectContaining({ name: 'tmux', repository: 'local', url: `${repoUrl}/${pkgLocation({ name: 'tmux', version: '1.0', release: '1.fc44', arch: 'x86_64' })}` })]);
    expect(packages[0].checksum).toMatch(/^sha256:[0-9a-f]{64}$/);

    const unsatisfiable = await post('/depsolve', { distribution: 'fedora-44', architecture: 'x86_64', packages: ['no-such-package'], repositories: [{ id: 'local', baseurl: [`${repoUrl}/`] }] });
    expect(unsatisfiable.status).toBe(422);
    expect(JSON.stringify(await unsatisfiable.json())).toMatch(/no-such-package/);

    const unreachable = await post('/depsolve', { distribution: 'fedora-44', architecture: 'x86_64', packages: ['tmux'], repositories: [{ id: 'gone', baseurl: ['http://127.0.0.1:9/repo/'] }] });
    expect(unreachable.status).toBe(502);
    expect(JSON.stringify(await unreachable.json())).toMatch(/repository \\"gone\\"/);
  });

  it('previews the manifest with its packages and pipeline ids', async () => {
    const request = { distribution: 'fedora-44', image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }], customizations: { packages: ['tmux'] } };
    const first = (await (await post('/manifest', request)).json()) as { manifest: unknown; pipelines: { name: string; id: string }[]; exports: string[]; packages: Record<string, { name: string }[]> };
    expect(first.exports).toEqual(['qcow2']);
    expect(first.pipelines.map((p) => p.name)).toEqual(expect.arrayContaining(['build', 'os', 'image', 'qcow2']));
    expect(first.pipelines.every((p) => /^[0-9a-f]{64}$/.test(p.id))).toBe(true);
    expect(first.packages.os.map((p) => p.name)).toContain('tmux');
    const second = (await (await post('/manifest', request)).json()) as { manifest: unknown };
    expect(JSON.stringify(second.manifest)).toBe(JSON.stringify(first.manifest));
  });

  it('builds a guest-image compose to success and lists its packages in the metadata', { timeout: 120_000 }, async () => {
    const created = await post('/compose', {
      distribution: 'fedora-44',
      image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }],
      customizations: { packages: ['tmux'], hostname: 'fedora-test' },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    let status: { state: string; image_status: { status: string; error?: unknown }; artifacts: { name: string; size: number; sha256: string }[] };
    for (;;) {
      status = (await (await fetch(`${api}/composes/${id}`, { headers: auth })).json()) as typeof status;
      if (['success', 'failure'].includes(status.image_status.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status.image_status.error).toBeUndefined();
    expect(status.state).toBe('success');
    expect(status.artifacts.map((a) => a.name)).toEqual(['disk.qcow2']);

    const metadata = (await (await fetch(`${api}/composes/${id}/metadata`, { headers: auth })).json()) as { packages: { name: string; type: string }[] };
    expect(metadata.packages.map((p) => p.name)).toContain('tmux');
    const sboms = (await (await fetch(`${api}/composes/${id}/sboms`, { headers: auth })).json()) as {
      items: { pipeline_name: string; pipeline_purpose: string; sbom_type: string; sbom: { spdxVersion: string; packages: { name: string }[] } }[][];
    };
    expect(sboms.items[0].map((s) => [s.pipeline_name, s.pipeline_purpose, s.sbom_type])).toEqual([
      ['os', 'image', 'spdx'],
      ['build', 'buildroot', 'spdx'],
    ]);
    expect(sboms.items[0][0].sbom.spdxVersion).toBe('SPDX-2.3');
    expect(sboms.items[0][0].sbom.packages.map((p) => p.name)).toContain('tmux');
    const manifest = (await (await fetch(`${api}/composes/${id}/manifests`, { headers: auth })).json()) as { manifests: { sources: Record<string, { items: Record<string, { url: string }> }> }[] };
    const urls = Object.values(manifest.manifests[0].sources['org.osbuild.curl'].items).map((item) => item.url);
    expect(urls.every((u) => u.startsWith(repoUrl))).toBe(true);
  });

  it('fails a compose whose repository is unreachable, naming the repository', { timeout: 60_000 }, async () => {
    const created = await post('/compose', {
      distribution: 'fedora-44',
      image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }],
      customizations: { payload_repositories: [{ id: 'offline-extras', baseurl: 'http://127.0.0.1:9/extras/', rhsm: false, check_gpg: false }] },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    let status: { state: string; image_status: { status: string; error?: { id: number; reason: string } } };
    for (;;) {
      status = (await (await fetch(`${api}/composes/${id}`, { headers: auth })).json()) as typeof status;
      if (['success', 'failure'].includes(status.image_status.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status.state).toBe('failure');
    expect(status.image_status.error?.id).toBe(3);
    expect(status.image_status.error?.reason).toMatch(/repository "offline-extras"/);
  });
});
