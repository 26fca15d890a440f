/** In-process tests of the CLI's pure parts: blueprint → API conversion, tables, progress, config, routing. */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../../layers/src/api/validate.ts';
import { blueprintFromApiCustomizations } from '../../layers/src/blueprint/from-api-customizations.ts';
import { parseBlueprint } from '../../layers/src/blueprint/parse-blueprint.ts';
import { UnsupportedBlueprintError, apiCustomizationsFromBlueprint, composeRequestFrom, readBlueprintFile } from '../../cli/src/blueprint-request.ts';
import { normalizeApiUrl, resolveServiceConfig } from '../../cli/src/config.ts';
import { COMMANDS } from '../../cli/src/main.ts';
import { formatBytes, formatKeyValues, formatTable } from '../../cli/src/output.ts';
import { routeCommand, sizeOption } from '../../cli/src/parse.ts';
import { UsageError } from '../../cli/src/errors.ts';
import { parseCliSize } from '../../layers/src/blueprint/sizes.ts';
import { StatusLine, composeProgressText, describeStep, progressFraction } from '../../cli/src/progress.ts';

const SHARED_BLUEPRINTS = resolve(import.meta.dirname, '../../../shared/reference/blueprints');

describe('blueprint → API customizations', () => {
  const toml = `
name = "web"
description = "a web server"
[[packages]]
name = "httpd"
version = "2.4.*"
[[packages]]
name = "tmux"
version = "*"
[[modules]]
name = "nodejs"
[[groups]]
name = "core"
[customizations]
hostname = "web1"
[customizations.kernel]
append = "console=ttyS0"
[[customizations.sshkey]]
user = "admin"
key = "ssh-ed25519 AAAA admin"
[[customizations.user]]
name = "admin"
password = "$6$salt$hash"
groups = ["wheel"]
[[customizations.group]]
name = "web"
gid = 1500
[customizations.timezone]
timezone = "Europe/Prague"
ntpservers = ["0.pool.ntp.org"]
[customizations.locale]
languages = ["en_US.UTF-8"]
keyboard = "us"
[customizations.firewall]
ports = ["8080:tcp"]
[customizations.firewall.services]
enabled = ["http"]
[customizations.services]
enabled = ["httpd"]
masked = ["cups"]
[[customizations.filesystem]]
mountpoint = "/var"
minsize = "2 GiB"
[[customizations.files]]
path = "/etc/motd"
data = "hi\\n"
mode = "0644"
user = "root"
[[customizations.directories]]
path = "/srv/www"
mode = "0755"
[[customizations.repositories]]
id = "extra"
baseurls = ["http://127.0.0.1/extra"]
gpgcheck = false
[[customizations.repositories]]
id = "payload"
baseurls = ["http://127.0.0.1/payload"]
install_from = true
`;

  it('maps every field onto the API names and back to the same blueprint', () => {
    const { blueprint } = parseBlueprint(toml);
    const api = apiCustomizationsFromBlueprint(blueprint);
    expect(api).toMatchObject({
      packages: ['httpd-2.4.*', 'tmux', 'nodejs', '@core'],
      users: [{ name: 'admin', password: '$6$salt$hash', groups: ['wheel'], ssh_key: 'ssh-ed25519 AAAA admin' }],
      filesystem: [{ mountpoint: '/var', min_size: '2 GiB' }],
      custom_repositories: [{ id: 'extra', baseurl: ['http://127.0.0.1/extra'], check_gpg: false }],
      payload_repositories: [{ id: 'payload', baseurl: 'http://127.0.0.1/payload' }],
    });
    const body = composeRequestFrom({ distribution: 'fedora-43', architecture: 'x86_64', imageType: 'guest-image', blueprint });
    expect(validateSchema('ComposeRequest', body)).toMatchObject({ image_name: 'web', image_description: 'a web server' });

    // The service's conversion gives back the blueprint (sshkey folded into the user, versions into the names).
    const back = blueprintFromApiCustomizations(api);
    const c = blueprint.customizations;
    expect(back.customizations).toEqual({
      hostname: c.hostname,
      kernel: c.kernel,
      user: [{ ...c.user![0], key: 'ssh-ed25519 AAAA admin' }],
      group: c.group,
      timezone: c.timezone,
      locale: c.locale,
      firewall: c.firewall,
      services: c.services,
      filesystem: c.filesystem,
      files: c.files,
      directories: c.directories,
      repositories: c.repositories,
    });
    expect(back.groups).toEqual([{ name: 'core' }]);
  });

  it('names the settings the API cannot express', () => {
    const { blueprint } = parseBlueprint('[customizations.sshd]\nPermitRootLogin = "no"\n[customizations.firewall]\n[[customizations.firewall.zones]]\nname = "trusted"\n');
    expect(() => apiCustomizationsFromBlueprint(blueprint)).toThrow(UnsupportedBlueprintError);
    try {
      apiCustomizationsFromBlueprint(blueprint);
    } catch (e) {
      expect((e as UnsupportedBlueprintError).fields).toEqual(['customizations.firewall.zones', 'customizations.sshd']);
    }
  });

  it('refuses two different keys for one user', () => {
    const { blueprint } = parseBlueprint('[[customizations.user]]\nname = "a"\nkey = "k1"\n[[customizations.sshkey]]\nuser = "a"\nkey = "k2"\n');
    expect(() => apiCustomizationsFromBlueprint(blueprint)).toThrow(/customizations.sshkey\[0\]: user "a" already has a different key/);
  });

  describe.skipIf(!existsSync(SHARED_BLUEPRINTS))('reference blueprints (skipped: ../shared/reference/blueprints not found)', () => {
    const files = existsSync(SHARED_BLUEPRINTS)
      ? ['weldr-client-toml', 'images-test-configs-json'].flatMap((d) => readdirSync(join(SHARED_BLUEPRINTS, d)).map((f) => join(SHARED_BLUEPRINTS, d, f)))
      : [];
    it.each(files)('%s becomes a schema-valid ComposeRequest or names what it cannot send', (file) => {
      const parsed = readBlueprintFile(file);
      expect(parsed.unknownKeys).toEqual([]);
      let body;
      try {
        body = composeRequestFrom({ distribution: 'fedora-43', architecture: 'x86_64', imageType: 'guest-image', blueprint: parsed.blueprint });
      } catch (e) {
        expect(e).toBeInstanceOf(UnsupportedBlueprintError);
        for (const field of (e as UnsupportedBlueprintError).fields) {
          const top = field.replace(/^customizations\./, '').split(/[.[]/)[0];
          expect(parsed.blueprint.customizations).toHaveProperty(top);
        }
        return;
      }
      expect(() => validateSchema('ComposeRequest', body)).not.toThrow();
      // ... and the service's own conversion accepts it (locked users without password or key included)
      expect(() => blueprintFromApiCustomizations(body.customizations)).not.toThrow();
    });
  });
});

describe('output', () => {
  it('aligns table columns and marks empty cells', () => {
    expect(formatTable(['ID', 'STATUS', 'NAME'], [['a', 'success', undefined], ['bbbb', 'failure', 'x']])).toBe(
      'ID    STATUS   NAME\na     success  -\nbbbb  failure  x\n',
    );
    expect(formatKeyValues([['ID', 'a'], ['Skipped', undefined], ['Image type', 'tar']])).toBe('ID:          a\nImage type:  tar\n');
    expect(formatBytes(10240)).toBe('10.0 KiB');
    expect(formatBytes(512)).toBe('512 B');
  });
});

describe('progress', () => {
  it('counts finished pipelines plus the share of the current one', () => {
    expect(progressFraction(undefined)).toBeUndefined();
    expect(progressFraction({ done: 0, total: 0 })).toBeUndefined();
    expect(progressFraction({ done: 1, total: 4, subprogress: { done: 2, total: 4 } })).toBeCloseTo(0.375);
    expect(progressFraction({ done: 4, total: 4, subprogress: { done: 1, total: 4 } })).toBe(1);
    expect(describeStep({ done: 1, total: 3, pipeline: 'os', stage: 'org.osbuild.rpm', subprogress: { done: 3, total: 9 } })).toBe(
      'pipeline os (2/3), stage org.osbuild.rpm (4/9)',
    );
    expect(composeProgressText('building', { done: 1, total: 2, pipeline: 'os' }, 65_000)).toBe(
      `[${'#'.repeat(12)}${'-'.repeat(12)}]  50% building   1m05s  pipeline os (2/2)`,
    );
  });

  it('redraws one line on a TTY and writes nothing elsewhere', () => {
    const written: string[] = [];
    const tty = new StatusLine({ write: (s: string) => written.push(s), isTTY: true, columns: 20 });
    tty.draw('a'.repeat(40));
    tty.clear();
    expect(written).toEqual([`\r\x1b[2K${'a'.repeat(18)}…`, '\r\x1b[2K']);
    const plain: string[] = [];
    const file = new StatusLine({ write: (s: string) => plain.push(s) });
    file.draw('x');
    file.clear();
    expect(plain).toEqual([]);
  });
});

describe('--size', () => {
  const MiB = 1024 ** 2;
  it('reads a bare number as MiB, as composer-cli does, and units as written', () => {
    expect(parseCliSize('4096', '--size')).toBe(4096 * MiB);
    expect(parseCliSize('4GiB', '--size')).toBe(4 * 1024 * MiB);
    expect(parseCliSize('4096MiB', '--size')).toBe(4096 * MiB);
    expect(parseCliSize('4 GiB', '--size')).toBe(4 * 1024 * MiB);
    expect(parseCliSize('10G', '--size')).toBe(10 * 1024 * MiB);
    expect(parseCliSize('512M', '--size')).toBe(512 * MiB);
    expect(parseCliSize('1TB', '--size')).toBe(1e12);
    expect(parseCliSize('10GB', '--size')).toBe(10e9);
    expect(parseCliSize('1.5G', '--size')).toBe(1.5 * 1024 * MiB);
    expect(parseCliSize('4294967296B', '--size')).toBe(4294967296);
  });
  it('is a usage error (exit 2) naming the option for anything else', () => {
    const spec = COMMANDS.find((c) => c.path.join(' ') === 'compose start')!;
    expect(sizeOption(spec, { size: '2GiB' })).toBe(2 * 1024 * MiB);
    expect(sizeOption(spec, {})).toBeUndefined();
    for (const bad of ['12 parsecs', '-1', 'G', '1e9', '99999999999TiB']) {
      expect(() => sizeOption(spec, { size: bad })).toThrow(UsageError);
    }
    expect(() => sizeOption(spec, { size: 'big' })).toThrow(/ibs compose start: --size: "big" is not a size \(a number of MiB/);
  });
});

describe('config and routing', () => {
  it('accepts an origin or the full API base', () => {
    expect(normalizeApiUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/api/image-builder/v1');
    expect(normalizeApiUrl('http://127.0.0.1:8080/api/image-builder/v1/')).toBe('http://127.0.0.1:8080/api/image-builder/v1');
    expect(normalizeApiUrl('https://example.test/prefix')).toBe('https://example.test/prefix/api/image-builder/v1');
  });

  it('prefers flags over the environment', () => {
    const config = resolveServiceConfig({ token: 'flag' }, { HOME: '/nonexistent', IBS_TOKEN: 'env', IBS_ORG: 'o1', IBS_URL: 'http://h:1' });
    expect(config).toEqual({ apiUrl: 'http://h:1/api/image-builder/v1', token: 'flag', org: 'o1', file: undefined });
  });

  it('finds commands behind global options', () => {
    const r = routeCommand(['--url', 'http://x', '--json', 'compose', 'status', 'ID', '--org', 'o'], COMMANDS);
    expect(r.spec?.path).toEqual(['compose', 'status']);
    expect(r.rest).toEqual(['--url', 'http://x', '--json', 'ID', '--org', 'o']);
    expect(routeCommand(['compose', 'nope'], COMMANDS)).toMatchObject({ spec: undefined, words: ['compose'], unknown: 'nope' });
  });
});
