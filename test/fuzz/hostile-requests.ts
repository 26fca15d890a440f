/**
 * Shared by the hostile-input tests and bench: a depsolver stand-in (package routes never reach a repository) and the
 * worst-case compose request, every list at its request limit, that still fits the 1 MiB body limit.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { createLogger } from '../../layers/src/log/logger.ts';
import { CUSTOMIZATION_LIMITS } from '../../layers/src/blueprint/limits.ts';
import type { Depsolver, ResolvedPackage } from '../../layers/src/packages/package-set.ts';

const fakePackage = (name: string, repoId: string): ResolvedPackage => ({
  name,
  epoch: 0,
  version: '1.0',
  release: '1.fc43',
  arch: 'x86_64',
  checksum: `sha256:${createHash('sha256').update(name).digest('hex')}`,
  remoteLocation: `http://127.0.0.1:9/packages/${encodeURIComponent(name)}-1.0-1.fc43.x86_64.rpm`,
  repoId,
});

/** Resolves every plain name to one made-up package; searches find nothing. Counts its calls. */
export function createStubDepsolver(): Depsolver & { calls: number } {
  const stub = {
    calls: 0,
    async resolve(request: Parameters<Depsolver['resolve']>[0]) {
      stub.calls++;
      return Object.fromEntries(
        Object.entries(request.sets).map(([set, req]) => [
          set,
          req.include.filter((name) => !name.startsWith('@') && !/[*?[]/.test(name)).map((name) => fakePackage(name, req.repositories[0]?.id ?? 'stub')),
        ]),
      );
    },
    async searchPackages() {
      stub.calls++;
      return { total: 0, packages: [] };
    },
  };
  return stub;
}

export const WORST_CASE_TARGET = { distribution: 'fedora-43', image_requests: [{ architecture: 'x86_64', image_type: 'guest-image' }] };

/**
 * Every list of the request at its limit: files and directories (each path several levels deep, so ensure_parents
 * and the parent checks have work), users with the most supplementary groups, groups, packages, services.
 */
export function worstCaseComposeRequest(scale = 1): Record<string, unknown> {
  const n = (limit: number) => Math.max(1, Math.floor(limit * scale));
  const L = CUSTOMIZATION_LIMITS;
  const groups = Array.from({ length: n(L.groups) }, (_, i) => ({ name: `g${i}`, gid: 20000 + i }));
  return {
    ...WORST_CASE_TARGET,
    customizations: {
      packages: Array.from({ length: n(L.packages) }, (_, i) => `p${i}`),
      files: Array.from({ length: n(L.files) }, (_, i) => ({ path: `/etc/ibs/a${i % 37}/b${i % 11}/f${i}`, data: 'x', ensure_parents: true })),
      directories: Array.from({ length: n(L.directories) }, (_, i) => ({ path: `/var/lib/ibs/d${i % 50}/e${i}`, ensure_parents: true })),
      groups,
      users: Array.from({ length: n(L.users) }, (_, i) => ({
        name: `u${i}`,
        uid: 30000 + i,
        groups: groups.slice(0, n(L.user_groups)).map((g) => g.name),
        ssh_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDq1 user@example.com',
      })),
      services: { enabled: Array.from({ length: n(L.services) }, (_, i) => `s${i}.service`) },
    },
  };
}

/** The same request shape with one entry per list: the small request a hostile one is compared with. */
export const smallComposeRequest = (): Record<string, unknown> => worstCaseComposeRequest(0);

/** The local stack on 127.0.0.1 (port 0) without runners, with the stub depsolver and a quiet log. */
export async function startStubbedStack(name: string): Promise<{ stack: LocalStack; api: string }> {
  const stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), `ibs-${name}-`)),
    port: 0,
    runners: 0,
    log: createLogger({}, { write: () => {} }),
    depsolver: createStubDepsolver(),
  });
  return { stack, api: `${stack.url}/api/image-builder/v1` };
}
