import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { findArchitecture, findImageType, loadDistributions } from '../../layers/src/distro/registry.ts';
import { parseRepositoryOverride, readRepositoryOverrides } from '../../layers/src/distro/repository-overrides.ts';
import { emptyBlueprint } from '../../layers/src/blueprint/blueprint.ts';

const KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n';
const mirrorFile = {
  x86_64: [
    { name: 'mirror-os', baseurl: 'file:///srv/mirror/fedora/44/x86_64/', gpgkey: KEY, check_gpg: true, metadata_expire: '1d', unknown_field: 1 },
    { name: 'mirror-build', baseurl: 'http://mirror.lan/build/', package_sets: ['build'], ignore_ssl: true },
    { name: 'mirror-gce', metalink: 'https://mirror.lan/metalink?repo=gce', image_type_tags: ['gce'] },
  ],
};

function overrideDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ibs-repos-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), typeof data === 'string' ? data : JSON.stringify(data));
  return dir;
}

const find = (distros: ReturnType<typeof loadDistributions>, name: string) => distros.find((d) => d.name === name)!;

describe('IBS_REPOSITORIES_DIR (composer repository override files)', () => {
  it("replaces the distribution's system repositories, per architecture, and only that distribution's", () => {
    const builtIn = loadDistributions({});
    const distros = loadDistributions({ IBS_REPOSITORIES_DIR: overrideDir({ 'fedora-44.json': mirrorFile, 'rhel-9.json': {}, 'notes.txt': 'x' }) });
    const x86 = findArchitecture(find(distros, 'fedora-44'), 'x86_64');
    // untagged repositories are the architecture's; gce's only for its image type
    expect(x86.repositories).toEqual([
      { id: 'mirror-os', name: 'mirror-os', baseurl: ['file:///srv/mirror/fedora/44/x86_64/'], gpgkeys: [KEY], checkGpg: true },
      { id: 'mirror-build', name: 'mirror-build', baseurl: ['http://mirror.lan/build/'], gpgkeys: [], checkGpg: false, sslverify: false, packageSets: ['build'] },
    ]);
    // an architecture the file does not name has no repositories (as in composer)
    expect(findArchitecture(find(distros, 'fedora-44'), 'aarch64').repositories).toEqual([]);
    expect(find(distros, 'fedora-43')).toBe(find(builtIn, 'fedora-43'));
    expect(findArchitecture(find(builtIn, 'fedora-44'), 'x86_64').repositories.map((r) => r.id)).not.toContain('mirror-os');
  });

  it("the image types' package sets are resolved from the override (build-only repository only in the build set)", () => {
    const distros = loadDistributions({ IBS_REPOSITORIES_DIR: overrideDir({ 'fedora-44.json': mirrorFile }) });
    const distro = find(distros, 'fedora-44');
    const arch = findArchitecture(distro, 'x86_64');
    const type = findImageType(distro, arch, 'guest-image');
    const sets = type.packageSets(type.prepare({ distribution: distro.name, architecture: 'x86_64', imageType: type.name, size: 0, blueprint: emptyBlueprint(), seed: 's' }));
    expect(sets.os.repositories.map((r) => r.id)).toEqual(['mirror-os']);
    expect(sets.build.repositories.map((r) => r.id)).toEqual(['mirror-os', 'mirror-build']);
  });

  it('refuses unusable files naming the file and the field', () => {
    const at = (data: unknown) => () => parseRepositoryOverride(data, 'f.json');
    expect(at([])).toThrow(/f\.json: expected an object of architectures/);
    expect(at({ x86_64: {} })).toThrow(/x86_64 must be a list/);
    expect(at({ x86_64: [{ baseurl: 'http://a/' }] })).toThrow(/x86_64\[0\]\.name: required/);
    expect(at({ x86_64: [{ name: 'a' }] })).toThrow(/one of baseurl, metalink or mirrorlist is required/);
    expect(at({ x86_64: [{ name: 'a', baseurl: 'ftp://a/' }] })).toThrow(/baseurl: "ftp:\/\/a\/" is not an http, https or file URL/);
    expect(at({ x86_64: [{ name: 'a', baseurl: 'http://a/', rhsm: true }] })).toThrow(/rhsm: Red Hat subscription/);
    expect(at({ x86_64: [{ name: 'a', baseurl: 'http://a/', check_gpg: 'yes' }] })).toThrow(/check_gpg: expected true or false/);
    expect(at({ x86_64: [{ name: 'a', baseurl: 'http://a/', check_gpg: true }] })).toThrow(/check_gpg is true but no gpgkey/);
    expect(() => loadDistributions({ IBS_REPOSITORIES_DIR: overrideDir({ 'fedora-44.json': '{ not json' }) })).toThrow(/fedora-44\.json: .*JSON/);
    expect(() => loadDistributions({ IBS_REPOSITORIES_DIR: join(tmpdir(), 'no-such-ibs-dir') })).toThrow(/IBS_REPOSITORIES_DIR .*no-such-ibs-dir.*ENOENT/);
  });

  it('npm start with an unusable IBS_REPOSITORIES_DIR stops with one line naming the setting and the file', async () => {
    const dir = overrideDir({ 'fedora-44.json': { x86_64: [{ name: 'm', baseurl: 'ftp://mirror/' }] } });
    const run = await execa('node', ['--import', 'tsx', 'local/start.ts'], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { IBS_REPOSITORIES_DIR: dir, IBS_DATA_DIR: mkdtempSync(join(tmpdir(), 'ibs-start-')), IBS_PORT: '0', IBS_RUNNERS: '0' },
      reject: false,
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(2);
    expect(run.stderr.trim()).toMatch(/^ibs: bad setting: IBS_REPOSITORIES_DIR \(.*fedora-44\.json: x86_64\[0\]\.baseurl: "ftp:\/\/mirror\/" is not an http, https or file URL\)$/);
  });

  it('lists the files of distributions it does not build as ignored', () => {
    const dir = overrideDir({ 'fedora-44.json': mirrorFile, 'rhel-9.json': {} });
    expect(readRepositoryOverrides(dir, ['fedora-44']).ignored).toEqual(['rhel-9.json']);
  });

  const upstream = resolve(import.meta.dirname, '../../../shared/reference/images-distrodefs/repositories/fedora-44.json');
  it.skipIf(!existsSync(upstream))(`upstream's own fedora-44.json read as an override gives the built-in repositories${existsSync(upstream) ? '' : ' (skipped: ../shared reference data absent)'}`, () => {
    const dir = overrideDir({ 'fedora-44.json': readFileSync(upstream, 'utf8') });
    const distros = loadDistributions({ IBS_REPOSITORIES_DIR: dir });
    for (const arch of ['x86_64', 'aarch64']) {
      expect(findArchitecture(find(distros, 'fedora-44'), arch).repositories).toEqual(findArchitecture(find(loadDistributions({}), 'fedora-44'), arch).repositories);
    }
  });
});
