import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexStore, RepoDepsolver, refusedAddressReason } from '../../layers/src/depsolve/index.ts';
import { RepositoryError } from '../../layers/src/depsolve/repo-metadata.ts';
import { writeRepo } from './repo-generator.ts';
import { craftedMain } from './scenarios.ts';

const subst = { arch: 'x86_64', releasever: '40' };
let dir: string;
let server: Server;
let port: number;
const requests: string[] = [];

/** Serves the repository under /gz, redirects /redirect/* to metadata.test, and a metalink naming metadata.test. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'depsolve-guard-'));
  mkdirSync(join(dir, 'gz'));
  writeRepo(join(dir, 'gz'), craftedMain, { compression: 'gz' });
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push(`${req.headers.host}${path}`);
    if (path.startsWith('/redirect/')) return void res.writeHead(302, { location: `http://metadata.test:${port}/gz/${path.slice('/redirect/'.length)}` }).end();
    if (path === '/metalink.xml') {
      return void res.end(`<?xml version="1.0"?><metalink version="3.0" xmlns="http://www.metalinker.org/"><files><file name="repomd.xml"><resources>
<url protocol="http" type="http" location="XX" preference="100">http://metadata.test:${port}/gz/repodata/repomd.xml</url></resources></file></files></metalink>`);
    }
    try {
      res.end(readFileSync(join(dir, path.replace(/\.\./g, ''))));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A resolver stub: host name → the addresses it answers, one per call (the last one repeats). */
function stubLookup(answers: Record<string, string[]>): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const fn = ((hostname: string, _options: unknown, callback: (err: Error | null, addresses: { address: string; family: number }[]) => void) => {
    calls.push(hostname);
    const list = answers[hostname];
    if (!list) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    const address = list.length > 1 ? list.shift()! : list[0];
    callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
  }) as unknown as LookupFunction & { calls: string[] };
  fn.calls = calls;
  return fn;
}

/** The test server is on 127.0.0.1: treat exactly that address as public so the first hop can connect. */
const serverIsPublic = (a: string) => (a === '127.0.0.1' ? undefined : refusedAddressReason(a));

describe('public-address guard for repositories (allowPrivateAddresses: false)', () => {
  it('tells public addresses from loopback, private, link-local, CGNAT, unspecified, multicast and embedded ones', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '2a00:1450::1']) expect(refusedAddressReason(a), a).toBeUndefined();
    const refused: Record<string, RegExp> = {
      '169.254.169.254': /link-local/,
      '127.0.0.1': /loopback/,
      '127.8.9.10': /loopback/,
      '10.1.2.3': /private/,
      '172.16.0.1': /private/,
      '172.31.255.255': /private/,
      '192.168.1.1': /private/,
      '100.64.0.1': /CGNAT/,
      '100.127.255.254': /CGNAT/,
      '0.0.0.0': /unspecified/,
      '224.0.0.1': /multicast/,
      '255.255.255.255': /reserved/,
      '::1': /loopback/,
      '::': /unspecified/,
      'fe80::1': /link-local/,
      'fd00:ec2::254': /unique local/,
      'fc00::1': /unique local/,
      'ff02::1': /multicast/,
      '::ffff:127.0.0.1': /loopback/,
      '::ffff:a9fe:a9fe': /link-local/,
      '64:ff9b::a9fe:a9fe': /link-local/,
      '2002:0a00:0001::1': /private/,
      '[::1]': /loopback/,
    };
    for (const [a, why] of Object.entries(refused)) expect(refusedAddressReason(a), a).toMatch(why);
  });

  it('refuses a loopback baseurl (IP literal) without connecting, naming the repository and the reason', async () => {
    const before = requests.length;
    const solver = new RepoDepsolver({ allowPrivateAddresses: false });
    const err = await solver.store.load({ id: 'local', baseurl: [`http://127.0.0.1:${port}/gz`] }, subst).catch((e) => e);
    expect(err).toBeInstanceOf(RepositoryError);
    expect(err.message).toMatch(/^repository "local": .*127\.0\.0\.1 is a loopback address: only public addresses are allowed/);
    await expect(new IndexStore({ allowPrivateAddresses: false }).load({ id: 'md', baseurl: ['http://169.254.169.254/latest'] }, subst)).rejects.toThrow(
      /repository "md": .*169\.254\.169\.254 is a link-local address \(instance metadata\)/,
    );
    await expect(new IndexStore({ allowPrivateAddresses: false }).load({ id: 'v6', baseurl: ['http://[fd00:ec2::254]/latest'] }, subst)).rejects.toThrow(/unique local/);
    for (const disguised of [`http://2130706433:${port}/gz`, `http://0x7f.1:${port}/gz`, `http://[::ffff:127.0.0.1]:${port}/gz`]) {
      await expect(new IndexStore({ allowPrivateAddresses: false }).load({ id: 'disguised', baseurl: [disguised] }, subst), disguised).rejects.toThrow(/loopback address/);
    }
    expect(requests.length).toBe(before);
  });

  it('checks the resolved address of a host name (stub resolver) and connects to nothing private', async () => {
    const lookup = stubLookup({ 'mirror.test': ['10.0.0.7'] });
    const store = new IndexStore({ allowPrivateAddresses: false, addressGuard: { lookup } });
    await expect(store.load({ id: 'internal', baseurl: [`http://mirror.test:${port}/gz`] }, subst)).rejects.toThrow(
      /repository "internal": .*mirror\.test resolves to 10\.0\.0\.7, a private address/,
    );
    expect(lookup.calls).toContain('mirror.test');
  });

  it('loads a repository on an allowed address through the guarded transport', async () => {
    const lookup = stubLookup({ 'repo.test': ['127.0.0.1'] });
    const store = new IndexStore({ allowPrivateAddresses: false, addressGuard: { lookup, isRefused: serverIsPublic } });
    const l = await store.load({ id: 'ok', baseurl: [`http://repo.test:${port}/gz`] }, subst);
    expect(l.index.packageCount).toBe(craftedMain.packages.length);
  });

  it('checks every redirect hop', async () => {
    const lookup = stubLookup({ 'repo.test': ['127.0.0.1'], 'metadata.test': ['169.254.169.254'] });
    const store = new IndexStore({ allowPrivateAddresses: false, addressGuard: { lookup, isRefused: serverIsPublic } });
    const before = requests.length;
    await expect(store.load({ id: 'redir', baseurl: [`http://repo.test:${port}/redirect`] }, subst)).rejects.toThrow(
      /repository "redir": .*metadata\.test resolves to 169\.254\.169\.254, a link-local address/,
    );
    expect(requests.slice(before)).toEqual([`repo.test:${port}/redirect/repodata/repomd.xml`]);
  });

  it('checks the mirrors a metalink names', async () => {
    const lookup = stubLookup({ 'repo.test': ['127.0.0.1'], 'metadata.test': ['fe80::1'] });
    const store = new IndexStore({ allowPrivateAddresses: false, addressGuard: { lookup, isRefused: serverIsPublic } });
    await expect(store.load({ id: 'ml', metalink: `http://repo.test:${port}/metalink.xml` }, subst)).rejects.toThrow(
      /repository "ml": .*metadata\.test resolves to fe80::1, a link-local address/,
    );
  });

  it('checks each connection, so a host that re-resolves to a private address (DNS rebinding) is refused', async () => {
    const lookup = stubLookup({ 'rebind.test': ['127.0.0.1', '10.0.0.1'] });
    const store = new IndexStore({ allowPrivateAddresses: false, addressGuard: { lookup, isRefused: serverIsPublic } });
    await expect(store.load({ id: 'rebind', baseurl: [`http://rebind.test:${port}/gz`] }, subst)).rejects.toThrow(
      /repository "rebind": .*rebind\.test resolves to 10\.0\.0\.1, a private address/,
    );
    expect(lookup.calls.length).toBeGreaterThanOrEqual(2); // repomd.xml connected to the first answer, primary asked again
  });

  it('fetches only http(s), whatever the address policy', async () => {
    for (const store of [new IndexStore(), new IndexStore({ allowPrivateAddresses: false })]) {
      await expect(store.load({ id: 'ftp', baseurl: ['ftp://example.org/repo'] }, subst)).rejects.toThrow(/repository "ftp": .*only http, https and file URLs/);
      await expect(store.load({ id: 'data', baseurl: ['data:text/plain,x'] }, subst)).rejects.toThrow(/repository "data": .*only http, https and file URLs/);
    }
    expect(() => new IndexStore({ allowPrivateAddresses: false, fetch })).toThrow(/either fetch or allowPrivateAddresses/);
  });

  it('keeps local mirrors on 127.0.0.1 working by default (local mode)', async () => {
    const l = await new IndexStore().load({ id: 'local', baseurl: [`http://127.0.0.1:${port}/gz`] }, subst);
    expect(l.index.packageCount).toBe(craftedMain.packages.length);
  });
});
