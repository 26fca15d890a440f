import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RepoDepsolver } from '../../layers/src/depsolve/index.ts';
import { rankByGroups } from '../../layers/src/service/package-recommendations.ts';
import { writeRepo, type GenPackage } from '../depsolve/repo-generator.ts';

const pkg = (name: string): GenPackage => ({ name, version: '1.0', release: '1', arch: 'x86_64' });

/** Two local repositories whose comps both define `web` (merged by id) and one group each of their own. */
function writeRepos(): string[] {
  const root = mkdtempSync(join(tmpdir(), 'ibs-groups-'));
  writeRepo(join(root, 'base'), {
    packages: ['nginx', 'certbot', 'vim-enhanced', 'nano'].map(pkg),
    groups: [
      { id: 'web', name: 'Web Server', packages: [{ name: 'nginx' }, { name: 'certbot', type: 'default' }] },
      { id: 'editors', name: 'Editors', packages: [{ name: 'vim-enhanced' }, { name: 'nano', type: 'optional' }] },
    ],
  });
  writeRepo(join(root, 'extras'), {
    packages: ['mod_ssl', 'php'].map(pkg),
    groups: [
      { id: 'web', name: 'Web Server', packages: [{ name: 'mod_ssl' }] },
      { id: 'php', name: 'PHP', packages: [{ name: 'php' }, { name: 'nginx' }] },
    ],
  });
  return [join(root, 'base'), join(root, 'extras')];
}

describe('RepoDepsolver.packageGroups (what package recommendations read)', () => {
  it('returns the comps groups of all repositories, merged by id, with every package type', async () => {
    const repositories = writeRepos().map((dir, i) => ({ id: `r${i}`, baseurl: [pathToFileURL(dir).href], gpgkeys: [], checkGpg: false }));
    const groups = await new RepoDepsolver().packageGroups({ repositories, architecture: 'x86_64', releasever: '1' });
    expect(groups.map((g) => [g.id, g.packages]).sort()).toEqual([
      ['editors', ['vim-enhanced', 'nano']],
      ['php', ['php', 'nginx']],
      ['web', ['nginx', 'certbot', 'mod_ssl']],
    ]);
    // nginx: php shares half its group, certbot and mod_ssl a third each.
    expect(rankByGroups(groups, ['nginx'], 3)).toEqual(['php', 'certbot', 'mod_ssl']);
  });
});
