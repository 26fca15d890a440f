/**
 * `ibs blueprints` against the local stack (API, manifest worker, runner with the osbuild test double) as child
 * processes: push (create, new version), list, show, export (TOML, JSON, hosted; push of the hosted export), depsolve
 * and freeze against a repository served on 127.0.0.1, compose, delete.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serveDirectory, type StaticServer } from '../depsolve/helpers.ts';
import { writeRepo, type GenPackage } from '../depsolve/repo-generator.ts';
import { runIbs, startStack, type RunOptions, type StackProcess } from './helpers.ts';

// Each case starts `ibs` processes; a loaded CI machine needs more than the default 30 s.
vi.setConfig({ testTimeout: 120_000 });

const work = mkdtempSync(join(tmpdir(), 'ibs-cli-blueprints-'));
const write = (name: string, text: string) => {
  const path = join(work, name);
  writeFileSync(path, text);
  return path;
};

const MOTD_TOML = `name = "motd"
description = "a message of the day"
version = "0.0.1"

[customizations]
hostname = "motd-host"
colour = "blue"

[[customizations.files]]
path = "/etc/motd"
data = "hello\\n"

[[customizations.directories]]
path = "/srv/motd"
mode = "0755"
`;
const motd = write('motd.toml', MOTD_TOML);

const WEB_TOML = `name = "web"
version = "1.0.0"

[[packages]]
name = "httpd"
version = "*"

[[packages]]
name = "glib*"

[[groups]]
name = "base"
`;
const web = write('web.toml', WEB_TOML);

const pkg = (name: string, extra: Partial<GenPackage> = {}): GenPackage => ({ name, version: '1.0', release: '1.el9', arch: 'x86_64', ...extra });
const PACKAGES = [
  pkg('bash', { requires: ['glibc'] }),
  pkg('glibc', { version: '2.34', epoch: 2 }),
  pkg('glib2', { version: '2.68' }),
  pkg('httpd', { requires: ['bash'] }),
];
const repoRoot = mkdtempSync(join(tmpdir(), 'ibs-cli-bp-repo-'));

let stack: StackProcess;
let repo: StaticServer;
const ibs = (args: string[], options: RunOptions = {}) => runIbs(args, { ...options, env: { IBS_URL: stack.url, IBS_TOKEN: stack.token, ...options.env } });

beforeAll(async () => {
  writeRepo(repoRoot, { packages: PACKAGES, groups: [{ id: 'base', packages: [{ name: 'bash', type: 'mandatory' }] }] });
  [stack, repo] = await Promise.all([startStack({ IBS_PROGRESS_INTERVAL_MS: '200' }), serveDirectory(repoRoot)]);
}, 120_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), repo?.close()]);
});

describe('ibs blueprints', () => {
  it('push creates, reports unknown keys on stderr; a second push is a new version keeping distribution and types', async () => {
    const first = await ibs(['blueprints', 'push', motd, '--distro', 'test-distro-1', '--type', 'tar', '--arch', 'x86_64']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^created blueprint motd \(version 1, id [0-9a-f-]{36}\)$/m);
    expect(first.stderr).toContain(`ibs: warning: blueprint ${motd}: customizations.colour: not a blueprint key; left out`);

    writeFileSync(motd, MOTD_TOML.replace('motd-host', 'motd-two'));
    const second = await ibs(['blueprints', 'push', motd, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual([expect.objectContaining({ file: motd, version: 2, created: false, format: 'toml' })]);

    const strict = await ibs(['blueprints', 'push', motd, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('customizations.colour');
    expect(strict.stderr).toContain('(--strict)');
  });

  it('push refuses a new composer blueprint without image types, naming the option', async () => {
    const r = await ibs(['blueprints', 'push', write('lonely.toml', 'name = "lonely"\ndistro = "test-distro-1"\n')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/image_requests: composer blueprints name no image types.*--type/);
    const missing = await ibs(['blueprints', 'push', join(work, 'nope.toml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
  });

  it('list and show', async () => {
    const list = await ibs(['blueprints', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^NAME +VERSION +MODIFIED +ID +DESCRIPTION$/m);
    expect(list.stdout).toMatch(/^motd +2 +\S+ +[0-9a-f-]{36} +a message of the day$/m);
    expect((await ibs(['blueprints', 'list', '-q'])).stdout.split('\n')).toContain('motd');

    const show = await ibs(['blueprints', 'show', 'motd']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^Version: +2$/m);
    expect(show.stdout).toMatch(/^Image types: +tar \(x86_64\)$/m);
    expect(show.stdout).toContain('hostname = "motd-two"');
    const old = await ibs(['blueprints', 'show', 'motd', '--version', '1', '--json']);
    expect(JSON.parse(old.stdout)).toMatchObject({ name: 'motd', customizations: { hostname: 'motd-host' } });
    const unknown = await ibs(['blueprints', 'show', 'no-such-blueprint']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no blueprint named "no-such-blueprint"');
  });

  it('export writes the pushed TOML back (unknown key left out), JSON, and the hosted shape that push takes again', async () => {
    const toml = await ibs(['blueprints', 'export', 'motd']);
    expect(toml.code, toml.stderr).toBe(0);
    const { colour: _dropped, ...customizations } = (parseToml(MOTD_TOML) as { customizations: Record<string, unknown> }).customizations;
    expect(parseToml(toml.stdout)).toEqual({ ...parseToml(MOTD_TOML), customizations: { ...customizations, hostname: 'motd-two' } });

    const json = await ibs(['blueprints', 'export', 'motd', '--format', 'json', '--version', '1']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'motd', version: '0.0.1', customizations: { hostname: 'motd-host', directories: [{ path: '/srv/motd', mode: '0755' }] } });

    const hostedFile = join(work, 'motd-hosted.json');
    const hosted = await ibs(['blueprints', 'export', 'motd', '-f', 'hosted', '-o', hostedFile]);
    expect(hosted.code, hosted.stderr).toBe(0);
    expect(JSON.parse(readFileSync(hostedFile, 'utf8'))).toMatchObject({ name: 'motd', distribution: 'test-distro-1', metadata: { is_on_prem: true } });
    const copy = await ibs(['blueprints', 'push', hostedFile, '--name', 'motd-copy', '--type', 'tar', '--arch', 'x86_64']);
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toMatch(/^created blueprint motd-copy \(version 1/m);
    expect(parseToml((await ibs(['blueprints', 'export', 'motd-copy'])).stdout)).toMatchObject({ name: 'motd-copy', distro: 'test-distro-1', customizations: { hostname: 'motd-two' } });
  });

  it("depsolve and freeze resolve the blueprint's packages (globs and groups too) from a repository on 127.0.0.1", async () => {
    const pushed = await ibs(['blueprints', 'push', web, '--distro', 'centos-9', '--type', 'guest-image', '--arch', 'x86_64']);
    expect(pushed.code, pushed.stderr).toBe(0);

    const depsolve = await ibs(['blueprints', 'depsolve', 'web', '--repo', `base=${repo.url}/`]);
    expect(depsolve.code, depsolve.stderr).toBe(0);
    expect(depsolve.stderr).toContain('blueprint web: centos-9 x86_64, 4 packages');
    expect(depsolve.stdout).toMatch(/^glibc-2:2\.34-1\.el9\.x86_64 +base$/m);

    const freeze = await ibs(['blueprints', 'freeze', 'web', '--repo', `base=${repo.url}/`]);
    expect(freeze.code, freeze.stderr).toBe(0);
    expect(parseToml(freeze.stdout)).toEqual({
      name: 'web',
      version: '1.0.0',
      packages: [
        { name: 'glib2', version: '2.68-1.el9.x86_64' },
        { name: 'glibc', version: '2:2.34-1.el9.x86_64' },
        { name: 'httpd', version: '1.0-1.el9.x86_64' },
      ],
      groups: [{ name: 'base' }],
    });
    // The frozen file pushes as the next version, pinning the versions.
    const frozen = write('web-frozen.toml', freeze.stdout);
    const again = await ibs(['blueprints', 'push', frozen, '--json']);
    expect(JSON.parse(again.stdout)[0]).toMatchObject({ version: 2, created: false });
    const detail = JSON.parse((await ibs(['blueprints', 'show', 'web', '--json'])).stdout);
    expect(detail.customizations.packages).toEqual(['glib2-2.68-1.el9.x86_64', 'glibc-2:2.34-1.el9.x86_64', 'httpd-1.0-1.el9.x86_64', '@base']);
    const pinned = await ibs(['blueprints', 'depsolve', 'web', '--repo', `base=${repo.url}/`, '--json']);
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(JSON.parse(pinned.stdout).packages.map((p: { name: string }) => p.name).sort()).toEqual(['bash', 'glib2', 'glibc', 'httpd']);
  });

  it("compose builds the blueprint's image types and waits for them", async () => {
    const r = await ibs(['blueprints', 'compose', 'motd', '--wait', '--interval', '0.2'], { timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^compose [0-9a-f-]{36} started$/m);
    expect(r.stdout).toMatch(/^compose [0-9a-f-]{36} finished: success/m);
    const none = await ibs(['blueprints', 'compose', 'motd', '--type', 'guest-image']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('the blueprint has none of guest-image');
  });

  it('delete frees the name', async () => {
    const r = await ibs(['blueprints', 'delete', 'motd', 'motd-copy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('deleted blueprint motd\ndeleted blueprint motd-copy\n');
    expect((await ibs(['blueprints', 'list', '-q'])).stdout.split('\n')).not.toContain('motd');
    expect((await ibs(['blueprints', 'show', 'motd'])).code).toBe(1);
  });

  it('lists its verbs in help', async () => {
    const r = await runIbs(['blueprints', '--help']);
    expect(r.code).toBe(0);
    for (const verb of ['push', 'list', 'show', 'delete', 'depsolve', 'freeze', 'export', 'compose']) expect(r.stdout).toMatch(new RegExp(`^  ibs blueprints ${verb}\\b`, 'm'));
  });
});
