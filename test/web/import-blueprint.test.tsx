/** Blueprint files users have, read into the wizard: composer-cli TOML and JSON (../shared examples), our export. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBlueprint } from '../../web/src/blueprints/import-blueprint.ts';
import { noteSkip, skipTitle } from '../support/skip-notice.ts';

const SHARED = resolve(import.meta.dirname, '../../../shared/reference/blueprints');
const missing = noteSkip(!existsSync(SHARED), 'blueprint import of the shared examples', `reference blueprints (${SHARED})`);

describe('importBlueprint', () => {
  it('reads a composer-cli TOML blueprint: packages, groups, users, services, kernel, fips; reports what it leaves out', () => {
    const toml = `name = "web"\ndescription = "d"\nversion = "1.0.0"\ndistro = "fedora-43"\n
[[packages]]\nname = "httpd"\nversion = "*"\n
[[groups]]\nname = "core"\n
[customizations]\nhostname = "web01"\nfips = true\n
[customizations.kernel]\nappend = "nosmt=force"\n
[[customizations.user]]\nname = "admin"\npassword = "$6$hash"\nkey = "ssh-ed25519 AAAA me"\ngroups = ["wheel"]\n
[customizations.services]\nenabled = ["httpd"]\n
[[customizations.filesystem]]\nmountpoint = "/var"\nminsize = 2147483648\n
[customizations.openscap]\nprofile_id = "x"\n`;
    const { state, ignored } = importBlueprint('web.toml', toml);
    expect(state).toMatchObject({ name: 'web', distribution: 'fedora-43', packages: ['httpd', '@core'], hostname: 'web01', fips: true, kernelAppend: 'nosmt=force', servicesEnabled: 'httpd' });
    expect(state.users).toEqual([{ name: 'admin', password: '', sshKey: 'ssh-ed25519 AAAA me', groups: 'wheel', hasPassword: false }]);
    expect(state.filesystems).toEqual([{ mountpoint: '/var', size: '2', unit: 'GiB' }]);
    expect(ignored).toEqual(expect.arrayContaining(['customizations.openscap', expect.stringContaining('password')]));
  });

  it('reads this service\'s JSON export back, and says what is wrong with a broken file', () => {
    const exported = { name: 'bp', description: '', distribution: 'test-distro-1', customizations: { hostname: 'h', users: [{ name: 'u', hasPassword: true }] }, metadata: { parent_id: 'x', exported_at: '', is_on_prem: false } };
    expect(importBlueprint('bp.json', JSON.stringify(exported)).state).toMatchObject({ name: 'bp', hostname: 'h', users: [{ name: 'u', hasPassword: true }] });
    expect(() => importBlueprint('bad.toml', 'name = ')).toThrow(/bad\.toml is not valid TOML/);
    expect(() => importBlueprint('x.json', '[1]')).toThrow(/does not hold a blueprint/);
  });

  it.skipIf(missing)(skipTitle(missing, 'reads every composer-cli example of ../shared with its name and packages', 'reference blueprints'), () => {
    const dir = join(SHARED, 'weldr-client-toml');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.toml'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const { state } = importBlueprint(file, text);
      expect(state.name, file).toMatch(/^example-/);
      const names = [...text.matchAll(/\[\[packages\]\]\s*\nname = "([^"]+)"/g)].map((m) => m[1]);
      for (const name of names) expect(state.packages, file).toContain(name);
    }
  });
});
