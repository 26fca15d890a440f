/** The resolved packages come back in NEVRA order: names by UTF-16 code units (then EVR and architecture). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { compareEvr } from '../../layers/src/depsolve/rpm-version.ts';
import { serveDirectory, type StaticServer } from './helpers.ts';
import { writeRepo, type GenPackage } from './repo-generator.ts';

const pkg = (name: string, arch = 'x86_64', extra: Partial<GenPackage> = {}): GenPackage => ({ name, version: '1.0', release: '1.fc41', arch, ...extra });

describe('resolved package order', () => {
  let dir: string;
  let server: StaticServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'depsolve-order-'));
    // Names that order differently by case, by a shared prefix, by punctuation and beyond ASCII.
    writeRepo(dir, {
      packages: [
        pkg('alpha', 'x86_64', { requires: ['alpha-libs', 'Zeta'] }),
        pkg('alpha-libs'),
        pkg('alpha.x', 'noarch'),
        pkg('alpha_'),
        pkg('Zeta'),
        pkg('zeta'),
        pkg('beta'),
        pkg('éclair', 'noarch'),
      ],
    });
    server = await serveDirectory(dir);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sorts names by code units: upper case first, a name before its longer forms, non-ASCII last', async () => {
    const repositories = [{ id: 'order', baseurl: [server.url] }];
    const include = ['alpha', 'alpha.x', 'alpha_', 'zeta', 'beta', 'éclair'];
    const out = await new RepoDepsolver({ allowPrivateAddresses: true }).resolve({
      architecture: 'x86_64',
      releasever: '41',
      sets: { os: { include, exclude: [], installWeakDeps: true, repositories } },
    });
    const got = out.os.map((p) => `${p.name}.${p.arch}`);
    expect(got).toEqual([
      'Zeta.x86_64',
      'alpha.x86_64',
      'alpha-libs.x86_64',
      'alpha.x.noarch',
      'alpha_.x86_64',
      'beta.x86_64',
      'zeta.x86_64',
      'éclair.noarch',
    ]);
    // The same order as one comparison of name, EVR and arch.
    const byNevra = [...out.os].sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : compareEvr(a, b) || (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0)));
    expect(out.os).toEqual(byNevra);
  });
});
