import { describe, expect, it } from 'vitest';
import { hashRequestPasswords, redactRequestPasswords } from '../../layers/src/blueprint/password-intake.ts';
import { blueprintFromApiCustomizations } from '../../layers/src/blueprint/from-api-customizations.ts';
import { findArchitecture, findDistribution, findImageType } from '../../layers/src/distro/registry.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { sha512Crypt } from '../../layers/src/manifest/crypt.ts';
import { generateWithFakePackages } from '../manifest/fixtures.ts';

const CRYPTED_FORMS = ['$6$salt$hash', '$5$salt$hash', '$y$j9T$salt$hash', '$2b$10$hash', '$1$salt$hash'];

describe('passwords on intake', () => {
  it('hashes plain text with SHA-512 crypt and a fresh salt; keeps crypted values, empty and absent passwords', () => {
    const customizations = { users: [{ name: 'a', password: 'secret' }, ...CRYPTED_FORMS.map((password, i) => ({ name: `c${i}`, password })), { name: 'e', password: '' }, { name: 'n' }] };
    const hashed = hashRequestPasswords({ distribution: 'x', customizations });
    const users = (hashed.customizations as typeof customizations).users;
    expect(users[0].password).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$/);
    expect(users[0].password).toBe(sha512Crypt('secret', users[0].password!.split('$')[2]));
    expect(users.slice(1, 1 + CRYPTED_FORMS.length).map((u) => u.password)).toEqual(CRYPTED_FORMS);
    expect(users.at(-2)).toEqual({ name: 'e', password: '' });
    expect(users.at(-1)).toEqual({ name: 'n' });
    // two intakes of one password draw two salts; the caller's object is left alone
    expect((hashRequestPasswords({ customizations }).customizations as typeof customizations).users[0].password).not.toBe(users[0].password);
    expect(customizations.users[0].password).toBe('secret');
  });

  it('shows no password or hash, only hasPassword', () => {
    const shown = redactRequestPasswords({ customizations: { hostname: 'h', users: [{ name: 'a', password: '$6$s$h' }, { name: 'b', password: '' }, { name: 'c', ssh_key: 'k' }] } });
    expect(shown).toEqual({ customizations: { hostname: 'h', users: [{ name: 'a', hasPassword: true }, { name: 'b' }, { name: 'c', ssh_key: 'k' }] } });
  });

  it('the manifest gets the stored hash, unchanged', () => {
    const stored = hashRequestPasswords({ customizations: { users: [{ name: 'alice', password: 'secret' }] } });
    const hash = (stored.customizations as { users: { password: string }[] }).users[0].password;
    const distro = findDistribution('fedora-43');
    const arch = findArchitecture(distro, 'x86_64');
    const type = findImageType(distro, arch, 'guest-image');
    const blueprint = blueprintFromApiCustomizations(stored.customizations);
    const { generated } = generateWithFakePackages(type, { distribution: 'fedora-43', architecture: 'x86_64', imageType: type.name, size: 0, blueprint, seed: 's' });
    const text = JSON.stringify(generated.manifest);
    expect(text).toContain(JSON.stringify(hash));
    expect(text).not.toContain('"secret"');
  });
});

describe('log redaction', () => {
  it('writes no password at any depth (deeper than it walks is not written at all)', () => {
    const lines: string[] = [];
    const log = createLogger({}, { write: (line) => void lines.push(line) });
    let deep: Record<string, unknown> = { password: 'deep-secret' };
    for (let i = 0; i < 12; i++) deep = { nested: deep };
    log.info('request', { request: { customizations: { users: [{ name: 'a', password: 'shallow-secret' }] } }, deep });
    expect(lines.join('\n')).not.toMatch(/shallow-secret|deep-secret/);
    expect(lines[0]).toContain('[redacted]');
  });
});
