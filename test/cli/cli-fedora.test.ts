/**
 * `ibs packages search` against a service whose fedora-44 repositories are served on 127.0.0.1, and `ibs manifest`
 * generating a real fedora-44 image offline with --repo pointing at the same repository. No internet: the service
 * runs in this process with a fetch that answers Fedora's metalink locally; `ibs` runs as a child process.
 */
import { fetchWithLocalMetalink } from '../support/local-metalink.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { serveDirectory, type StaticServer } from '../depsolve/helpers.ts';
import { pkgLocation } from '../depsolve/repo-generator.ts';
import { writeImageMirror } from '../support/image-mirror.ts';
import { runIbs } from './helpers.ts';

// Each case starts `ibs` processes (and stacks); a loaded CI machine needs more than the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

const repoDir = mkdtempSync(join(tmpdir(), 'ibs-cli-fedora-repo-'));
let repo: StaticServer;
let stack: LocalStack;
let token: string;

beforeAll(async () => {
  // Every name the fedora-44 guest-image asks for, plus the two the search finds.
  const repomd = await writeImageMirror(repoDir, 'fedora-44', 'guest-image', ['tmux', 'tmux-plugins'], 'test');
  repo = await serveDirectory(repoDir);
  const localFetch = fetchWithLocalMetalink(repo.url, repomd);
  stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), 'ibs-cli-fedora-')),
    port: 0,
    runners: 0,
    depsolver: new RepoDepsolver({ fetch: localFetch }),
    log: createLogger({}, { write: () => {} }),
  });
  token = await stack.mintToken('local');
});

afterAll(async () => {
  await stack?.stop();
  await repo?.close();
});

describe('ibs packages search', () => {
  it('prints name, version, arch and summary of the matches', async () => {
    const r = await runIbs(['packages', 'search', 'tmu', '--distro', 'fedora-44', '--arch', 'x86_64'], { env: { IBS_URL: stack.url, IBS_TOKEN: token } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME +VERSION +ARCH +SUMMARY\ntmux +1\.0-1\.fc44 +x86_64 +tmux \(test\)\ntmux-plugins +1\.0-1\.fc44 +x86_64 +tmux-plugins \(test\)\n$/);
    const page = await runIbs(['packages', 'search', 'tmu', '-d', 'fedora-44', '-a', 'x86_64', '--limit', '1', '--json'], { env: { IBS_URL: stack.url, IBS_TOKEN: token } });
    expect(JSON.parse(page.stdout)).toMatchObject({ meta: { count: 2 }, data: [{ name: 'tmux', summary: 'tmux (test)' }] });
  });

  it('needs --distro and --arch (exit 2), and shows the service error for a bad one (exit 1)', async () => {
    expect((await runIbs(['packages', 'search', 'tmux', '--arch', 'x86_64'], { env: { IBS_URL: stack.url, IBS_TOKEN: token } })).code).toBe(2);
    const bad = await runIbs(['packages', 'search', 'tmux', '-d', 'fedora-44', '-a', 'sparc'], { env: { IBS_URL: stack.url, IBS_TOKEN: token } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/architecture "sparc" is not available for fedora-44.*\(HTTP 400\)/);
  });
});

describe('ibs manifest for a real distribution, offline', () => {
  it('resolves the package sets from --repo and writes curl sources for them', async () => {
    const bp = join(repoDir, 'tmux.toml');
    writeFileSync(bp, '[[packages]]\nname = "tmux"\n');
    const cache = mkdtempSync(join(tmpdir(), 'ibs-cli-cache-'));
    const args = ['manifest', '-d', 'fedora-44', '-t', 'guest-image', '-a', 'x86_64', '-b', bp, '--repo', `${repo.url}/`, '--cache-dir', cache];
    const r = await runIbs([...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const preview = JSON.parse(r.stdout);
    expect(preview.pipelines.map((p: { name: string }) => p.name)).toEqual(preview.manifest.pipelines.map((p: { name: string }) => p.name));
    expect(preview.pipelines.every((p: { id: string }) => /^[0-9a-f]{64}$/.test(p.id))).toBe(true);
    const os = preview.packages.os as { name: string; url: string; checksum: string }[];
    const tmux = os.find((p) => p.name === 'tmux')!;
    expect(tmux.url).toBe(`${repo.url}/${pkgLocation({ name: 'tmux', version: '1.0', release: '1.fc44', arch: 'x86_64' })}`);
    expect(preview.manifest.sources['org.osbuild.curl'].items[tmux.checksum]).toMatchObject({ url: tmux.url });
    // The plain output is the manifest itself, and the same inputs give the same bytes.
    const plain = await runIbs(args);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toEqual(preview.manifest);
    expect((await runIbs(args)).stdout).toBe(plain.stdout);
  });
});

describe('--remote: the same previews from the service', () => {
  it('ibs manifest --remote gives the pipelines and packages the offline run gives', async () => {
    const bp = join(repoDir, 'tmux-remote.toml');
    writeFileSync(bp, '[[packages]]\nname = "tmux"\n');
    const remote = await runIbs(['manifest', '--remote', '-d', 'fedora-44', '-t', 'guest-image', '-a', 'x86_64', '-b', bp, '--json'], { env: { IBS_URL: stack.url, IBS_TOKEN: token } });
    expect(remote.code, remote.stderr).toBe(0);
    const cache = mkdtempSync(join(tmpdir(), 'ibs-cli-cache-'));
    const local = await runIbs(['manifest', '-d', 'fedora-44', '-t', 'guest-image', '-a', 'x86_64', '-b', bp, '--repo', `${repo.url}/`, '--cache-dir', cache, '--json']);
    expect(local.code, local.stderr).toBe(0);
    const [r, l] = [JSON.parse(remote.stdout), JSON.parse(local.stdout)];
    expect(r.pipelines.map((p: { name: string }) => p.name)).toEqual(l.pipelines.map((p: { name: string }) => p.name));
    const names = (preview: { packages: Record<string, { nevra: string }[]> }) => Object.fromEntries(Object.entries(preview.packages).map(([k, v]) => [k, v.map((p) => p.nevra)]));
    expect(names(r)).toEqual(names(l));
    expect(names(r).os).toContain('tmux-1.0-1.fc44.x86_64');
  });

  it('ibs depsolve --remote resolves on the service and reports its problem text (exit 1)', async () => {
    const env = { IBS_URL: stack.url, IBS_TOKEN: token };
    const ok = await runIbs(['depsolve', '--remote', '-d', 'fedora-44', '-a', 'x86_64', '--repo', `local=${repo.url}/`, 'tmux', '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([expect.objectContaining({ nevra: 'tmux-1.0-1.fc44.x86_64', repository: 'local' })]);
    const bad = await runIbs(['depsolve', '--remote', '-d', 'fedora-44', '-a', 'x86_64', 'no-such-package'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no-such-package.*\(HTTP 422\)/);
  });
});
