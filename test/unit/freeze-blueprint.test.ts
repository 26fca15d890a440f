/** `blueprints freeze` as composer does it: exact EVRAs, globs expanded, names without a resolved package reported. */
import { describe, expect, it } from 'vitest';
import { evraOf, freezeBlueprint } from '../../layers/src/blueprint/freeze-blueprint.ts';

const p = (name: string, version: string, epoch = 0, arch = 'x86_64') => ({ name, epoch, version, release: '1.fc43', arch });
const RESOLVED = [p('bash', '5.2'), p('glibc', '2.40', 2), p('python3-libs', '3.13'), p('python3', '3.13'), p('tzdata', '2025a', 0, 'noarch')];

describe('freezeBlueprint', () => {
  it('writes version-release.arch, with the epoch when it is not 0', () => {
    expect(evraOf(p('bash', '5.2'))).toBe('5.2-1.fc43.x86_64');
    expect(evraOf(p('glibc', '2.40', 2))).toBe('2:2.40-1.fc43.x86_64');
  });

  it('pins packages and modules by name, expands globs, sorts by name and keeps the rest of the blueprint', () => {
    const { blueprint, missing } = freezeBlueprint(
      { name: 'bp', version: '0.1.0', packages: [{ name: 'glibc', version: '*' }, { name: 'python3*' }], modules: [{ name: 'tzdata' }], customizations: { hostname: 'h' } },
      RESOLVED,
    );
    expect(missing).toEqual([]);
    expect(blueprint).toEqual({
      name: 'bp',
      version: '0.1.0',
      packages: [
        { name: 'glibc', version: '2:2.40-1.fc43.x86_64' },
        { name: 'python3', version: '3.13-1.fc43.x86_64' },
        { name: 'python3-libs', version: '3.13-1.fc43.x86_64' },
      ],
      modules: [{ name: 'tzdata', version: '2025a-1.fc43.noarch' }],
      customizations: { hostname: 'h' },
    });
  });

  it('names what the depsolve result does not have', () => {
    expect(freezeBlueprint({ packages: [{ name: 'bash' }, { name: 'nosuch' }, { name: 'zz*' }] }, RESOLVED).missing).toEqual(['packages[1] nosuch', 'packages[2] zz*']);
  });
});
