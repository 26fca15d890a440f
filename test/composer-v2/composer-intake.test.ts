/**
 * Issue 16: the parts of the v2 compose intake that need no stack: an image request's `Repository` objects read as
 * composer's genRepoConfig reads them (precedence, package_sets, the file:// policy of the deployment), and the
 * request kept for the metadata without user passwords.
 */
import { describe, expect, it } from 'vitest';
import { readImageRepositories } from '../../functions/composer-v2/composer-repositories.ts';
import { storedComposerRequest } from '../../functions/composer-v2/composer-compose.ts';
import { ComposerError } from '../../functions/composer-v2/composer-errors.ts';
import { ValidationError } from '../../layers/src/errors.ts';

const body = (repositories: unknown) => ({ distribution: 'fedora-44', image_request: { architecture: 'x86_64', image_type: 'guest-image', repositories } });
const local = { fileRepositories: true };

describe('image_request.repositories', () => {
  it('reads each field as genRepoConfig: baseurl before mirrorlist before metalink, keys, TLS, package sets', () => {
    const [first, second, third] = readImageRepositories(local, body([
      { baseurl: 'file:///srv/mirror/', mirrorlist: 'http://127.0.0.1/list', check_gpg: true, gpgkey: 'KEY', ignore_ssl: true, check_repo_gpg: true, package_sets: ['build'] },
      { baseurl: '', mirrorlist: 'http://127.0.0.1/list', metalink: 'http://127.0.0.1/link' },
      { metalink: 'http://127.0.0.1/link', module_hotfixes: true },
    ]))!;
    expect(first).toEqual({ id: 'image-repository-0', baseurl: ['file:///srv/mirror/'], gpgkeys: ['KEY'], checkGpg: true, checkRepoGpg: true, sslverify: false, packageSets: ['build'] });
    expect(second).toEqual({ id: 'image-repository-1', mirrorlist: 'http://127.0.0.1/list', gpgkeys: [], checkGpg: false });
    expect(third).toEqual({ id: 'image-repository-2', metalink: 'http://127.0.0.1/link', gpgkeys: [], checkGpg: false });
  });

  it('keeps the distribution\'s for an empty or missing list, as composer does', () => {
    expect(readImageRepositories(local, body([]))).toBeUndefined();
    expect(readImageRepositories(local, body(undefined))).toBeUndefined();
    expect(readImageRepositories(local, { distribution: 'd', image_requests: [{ architecture: 'x86_64', image_type: 't', repositories: [] }] })).toBeUndefined();
  });

  it('refuses file:// where the deployment does not read its own disk (AWS), naming the field', () => {
    expect(() => readImageRepositories({ fileRepositories: false }, body([{ baseurl: 'file:///srv/mirror/' }]))).toThrow(ValidationError);
    try {
      readImageRepositories({ fileRepositories: false }, body([{ baseurl: 'http://127.0.0.1/' }, { baseurl: 'file:///srv/mirror/' }]));
    } catch (error) {
      expect((error as ValidationError).field).toBe('image_request.repositories[1].baseurl');
    }
    expect(() => readImageRepositories(local, body([{ baseurl: 'http://127.0.0.1/', package_sets: 'os' }]))).toThrow(ComposerError);
  });
});

describe('the request kept for GET /composes/{id}/metadata', () => {
  it('is the request as sent without user passwords (customizations.users, blueprint.customizations.user)', () => {
    const sent = {
      distribution: 'fedora-44',
      customizations: { hostname: 'h', users: [{ name: 'alice', password: 'secret', key: 'ssh-ed25519 AAAA' }] },
    };
    expect(storedComposerRequest(sent)).toEqual({ distribution: 'fedora-44', customizations: { hostname: 'h', users: [{ name: 'alice', key: 'ssh-ed25519 AAAA' }] } });
    expect(sent.customizations.users[0]!.password).toBe('secret');
    const blueprint = { distribution: 'fedora-44', blueprint: { name: 'bp', customizations: { user: [{ name: 'bob', password: 'x' }] } } };
    expect(JSON.stringify(storedComposerRequest(blueprint))).not.toContain('"password"');
    expect(storedComposerRequest({ distribution: 'd', blueprint: { name: 'bp' } })).toEqual({ distribution: 'd', blueprint: { name: 'bp' } });
  });
});
