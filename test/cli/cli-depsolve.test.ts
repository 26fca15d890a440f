/** `ibs depsolve` offline against a generated repository served on 127.0.0.1. */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serveDirectory, type StaticServer } from '../depsolve/helpers.ts';
import { pkgId, pkgLocation, writeRepo, type GenPackage } from '../depsolve/repo-generator.ts';
import { closedPort, runIbs } from './helpers.ts';

// Each case starts `ibs` processes (and stacks); a loaded CI machine needs more than the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

const pkg = (name: string, extra: Partial<GenPackage> = {}): GenPackage => ({ name, version: '1.0', release: '1.fc43', arch: 'x86_64', ...extra });
const PACKAGES = [
  pkg('bash', { requires: ['libc.so.6()(64bit)', 'filesystem'] }),
  pkg('glibc', { version: '2.40', provides: ['libc.so.6()(64bit)'] }),
  pkg('filesystem', { arch: 'noarch', version: '3.18' }),
  pkg('httpd', { requires: ['bash'], recommends: ['mod_ssl'] }),
  pkg('mod_ssl', { requires: ['httpd'] }),
  pkg('broken', { requires: ['libmissing.so.1()(64bit)'] }),
];

const root = mkdtempSync(join(tmpdir(), 'ibs-cli-repo-'));
const cache = mkdtempSync(join(tmpdir(), 'ibs-cli-cache-'));
let server: StaticServer;

beforeAll(async () => {
  writeRepo(root, { packages: PACKAGES, groups: [{ id: 'web', packages: [{ name: 'httpd', type: 'mandatory' }] }] });
  server = await serveDirectory(root);
});
afterAll(() => server?.close());

const depsolve = (args: string[]) => runIbs(['depsolve', '--arch', 'x86_64', '--cache-dir', cache, ...args]);

describe('ibs depsolve', () => {
  it('resolves a package with its dependencies (JSON: NEVRA, checksum, URL, repository)', async () => {
    const r = await depsolve(['--repo', `base=${server.url}/`, 'bash', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const set = JSON.parse(r.stdout) as { name: string; nevra: string; checksum: string; url: string; repository: string }[];
    expect(set.map((p) => p.name).sort()).toEqual(['bash', 'filesystem', 'glibc']);
    const glibc = set.find((p) => p.name === 'glibc')!;
    const generated = PACKAGES.find((p) => p.name === 'glibc')!;
    expect(glibc).toMatchObject({ nevra: 'glibc-2.40-1.fc43.x86_64', checksum: `sha256:${pkgId(generated)}`, url: `${server.url}/${pkgLocation(generated)}`, repository: 'base' });
    expect(readdirSync(cache).length).toBeGreaterThan(0);
  });

  it('prints a table, with weak dependencies unless --no-weak-deps', async () => {
    const withWeak = await depsolve(['--repo', server.url, '@web']);
    expect(withWeak.code, withWeak.stderr).toBe(0);
    expect(withWeak.stdout).toMatch(/^NEVRA +REPOSITORY +CHECKSUM +URL$/m);
    expect(withWeak.stdout).toMatch(/^mod_ssl-1\.0-1\.fc43\.x86_64 +repo1 +sha256:[0-9a-f]{64} +http:\/\/127\.0\.0\.1:\d+\/Packages\/m\/mod_ssl/m);
    expect(withWeak.stderr).toContain('(5 packages)');
    const noWeak = await depsolve(['--repo', server.url, '--no-weak-deps', '@web']);
    expect(noWeak.stdout).not.toContain('mod_ssl');
    expect(noWeak.stderr).toContain('(4 packages)');
  });

  it("exits 1 with dnf's problem text when nothing provides a dependency", async () => {
    const r = await depsolve(['--repo', server.url, 'broken']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('nothing provides libmissing.so.1()(64bit) needed by broken-1.0-1.fc43.x86_64');
  });

  it('names the repository that cannot be reached (exit 1)', async () => {
    const port = await closedPort();
    const r = await depsolve(['--repo', `gone=http://127.0.0.1:${port}/`, 'bash']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('repository "gone"');
  });

  it('needs a repository or a distribution (exit 2)', async () => {
    expect((await depsolve(['bash'])).code).toBe(2);
    expect((await depsolve(['--repo', 'not a url', 'bash'])).code).toBe(2);
    expect((await depsolve([])).stderr).toContain('missing PACKAGE');
  });

  it('reports a distribution without default repositories', async () => {
    const r = await depsolve(['--distro', 'test-distro-1', 'bash']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('test-distro-1 x86_64 has no default repositories; pass --repo URL');
    expect(existsSync(cache)).toBe(true);
  });
});
