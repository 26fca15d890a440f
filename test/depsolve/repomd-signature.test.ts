import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IndexStore } from '../../layers/src/depsolve/index.ts';
import { readPublicKeys, verifyDetachedSignature } from '../../layers/src/depsolve/openpgp-verify.ts';
import { serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo } from './repo-generator.ts';
import { craftedMain } from './scenarios.ts';

const hasGpg = spawnSync('gpg', ['--version']).status === 0;
const subst = { arch: 'x86_64', releasever: '40' };
let home: string;
let dir: string;
let server: StaticServer;
const keys: Record<'rsa' | 'ed', string> = { rsa: '', ed: '' };

const gpg = (...args: string[]) => {
  const r = spawnSync('gpg', ['--batch', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: home } });
  if (r.status !== 0) throw new Error(`gpg ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.toString();
};

/** A repository in `dir/<name>`, its repomd.xml signed by `key` (none: unsigned). */
function repo(name: string, key?: 'rsa' | 'ed'): void {
  mkdirSync(join(dir, name));
  writeRepo(join(dir, name), craftedMain);
  if (key) gpg('--armor', '--detach-sign', '-u', `${key}@example.org`, '-o', join(dir, name, 'repodata/repomd.xml.asc'), join(dir, name, 'repodata/repomd.xml'));
}

describe.skipIf(!hasGpg)(`check_repo_gpg: repomd.xml.asc checked against the repository's keys${hasGpg ? '' : ' (skipped: no gpg to make keys and signatures)'}`, () => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'gnupg-'));
    chmodSync(home, 0o700);
    dir = mkdtempSync(join(tmpdir(), 'signed-repos-'));
    gpg('--quick-gen-key', 'Repo RSA <rsa@example.org>', 'rsa2048', 'sign', 'never');
    gpg('--quick-gen-key', 'Repo Ed <ed@example.org>', 'ed25519', 'sign', 'never');
    keys.rsa = gpg('--armor', '--export', 'rsa@example.org');
    keys.ed = gpg('--armor', '--export', 'ed@example.org');
    writeFileSync(join(dir, 'RPM-GPG-KEY-rsa'), keys.rsa);
    repo('rsa', 'rsa');
    repo('ed', 'ed');
    repo('unsigned');
    repo('tampered', 'rsa');
    appendFileSync(join(dir, 'tampered/repodata/repomd.xml'), '\n');
    server = await serveDirectory(dir);
  });
  afterAll(async () => {
    spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { ...process.env, GNUPGHOME: home } });
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.requests.length = 0;
  });

  const load = (name: string, gpgkeys: string[], checkRepoGpg = true) =>
    new IndexStore().load({ id: name, baseurl: [`${server.url}/${name}`], gpgkeys, checkRepoGpg }, subst);

  it('a repository signed by its key (RSA or Ed25519; inline or by URL) loads', async () => {
    expect((await load('rsa', [keys.rsa])).index.packageCount).toBe(craftedMain.packages.length);
    expect((await load('ed', [keys.rsa, keys.ed])).index.packageCount).toBe(craftedMain.packages.length);
    await load('rsa', [`${server.url}/RPM-GPG-KEY-rsa`]);
    expect(server.requests).toContain('/rsa/repodata/repomd.xml.asc');
  });

  it('a signature by another key, a changed repomd.xml or no signature at all is refused, naming the repository', async () => {
    await expect(load('ed', [keys.rsa])).rejects.toThrow(/repository "ed": .*repomd\.xml\.asc: the signature of repomd\.xml is not made by the repository's GPG keys/);
    await expect(load('tampered', [keys.rsa])).rejects.toThrow(/repository "tampered": .*not made by the repository's GPG keys/);
    await expect(load('unsigned', [keys.rsa])).rejects.toThrow(/repository "unsigned": .*repomd\.xml\.asc.*HTTP 404/);
    await expect(load('rsa', [])).rejects.toThrow(/repository "rsa": check_repo_gpg is on but the repository has no GPG key/);
  });

  it('without check_repo_gpg the signature is not fetched', async () => {
    await load('unsigned', [keys.rsa], false);
    expect(server.requests.some((r) => r.endsWith('.asc'))).toBe(false);
  });

  it('text-mode signatures verify too; keys of other kinds are skipped, not fatal', () => {
    const data = readFileSync(join(dir, 'rsa/repodata/repomd.xml'));
    const file = join(dir, 'doc.txt');
    writeFileSync(file, 'line one\nline two\n');
    gpg('--armor', '--detach-sign', '--textmode', '-u', 'rsa@example.org', '-o', `${file}.asc`, file);
    const rsa = readPublicKeys([keys.rsa]);
    expect(verifyDetachedSignature(readFileSync(file), readFileSync(`${file}.asc`, 'utf8'), rsa)).toBe(true);
    expect(verifyDetachedSignature(data, readFileSync(`${file}.asc`, 'utf8'), rsa)).toBe(false);
    expect(verifyDetachedSignature(data, readFileSync(join(dir, 'rsa/repodata/repomd.xml.asc'), 'utf8'), [...readPublicKeys([keys.ed]), ...rsa])).toBe(true);
  });
});
