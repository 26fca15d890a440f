import { describe, expect, it } from 'vitest';
import { emptyBlueprint, type Blueprint } from '../../layers/src/blueprint/blueprint.ts';
import { listDistributions } from '../../layers/src/distro/registry.ts';
import type { ImageType, ManifestRequest } from '../../layers/src/distro/distribution.ts';
import { ValidationError } from '../../layers/src/errors.ts';

// Issue 17 item 7: the blueprint path policy (osbuild/images pkg/policies) holds for every distribution, the test
// distribution included.
const BAD_FILES = ['/etc/shadow', '/etc/passwd', '/proc/self/x', '/sys/kernel/x', '/dev/sda', '/boot/x', '/etc/../etc/shadow', '/etc//x', 'etc/motd', '/etc/x/'];
const BAD_DIRECTORIES = ['/proc/x', '/sys/x', '/tmp/x', '/usr/x', '/run/x', '/etc/./x'];

const requestFor = (distro: string, arch: string, type: ImageType, customizations: Blueprint['customizations']): ManifestRequest => ({
  distribution: distro,
  architecture: arch,
  imageType: type.name,
  size: 0,
  blueprint: { ...emptyBlueprint(), customizations },
  seed: 'policy',
});

/** One image type per distribution that takes files and directories (an allowed path passes), with its arch. */
function typesTakingFiles() {
  return listDistributions().flatMap((d) => {
    for (const arch of d.architectures) {
      for (const type of arch.imageTypes) {
        try {
          type.validate(requestFor(d.name, arch.name, type, { files: [{ path: '/etc/ok.conf', data: 'x' }], directories: [{ path: '/etc/ok.d' }] }));
          return [{ distro: d.name, arch: arch.name, type }];
        } catch {
          // this image type takes no files: try the next
        }
      }
    }
    return [];
  });
}

describe('path policy for every distribution', () => {
  const cases = typesTakingFiles();

  it('covers the test distribution and the real ones', () => {
    expect(cases.map((c) => c.distro)).toContain('test-distro-1');
    expect(cases.length).toBeGreaterThan(3);
  });

  it.each(BAD_FILES)('refuses file %s', (path) => {
    for (const { distro, arch, type } of cases) {
      const request = requestFor(distro, arch, type, { files: [{ path, data: 'x' }] });
      expect(() => type.validate(request), `${distro} ${type.name}`).toThrow(ValidationError);
      try {
        type.validate(request);
      } catch (error) {
        expect((error as ValidationError).field, `${distro} ${type.name}`).toBe('customizations.files[0].path');
      }
    }
  });

  it.each(BAD_DIRECTORIES)('refuses directory %s', (path) => {
    for (const { distro, arch, type } of cases) {
      expect(() => type.validate(requestFor(distro, arch, type, { directories: [{ path }] })), `${distro} ${type.name}`).toThrow(ValidationError);
    }
  });
});
