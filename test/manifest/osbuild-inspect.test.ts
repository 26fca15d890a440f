/**
 * Real osbuild accepts every manifest we generate: `osbuild --inspect` validates a manifest against osbuild's own
 * schemas and module code and prints the ids, which must equal ours. Needs a real osbuild (IBS_TEST_OSBUILD, e.g.
 * `python3 -m osbuild --libdir /src/osbuild` wrapped in a script); skipped visibly without one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DISTRIBUTIONS } from '../../layers/src/distro/registry.ts';
import type { GenericImageType } from '../../layers/src/distro/generic/image-type.ts';
import { emptyBlueprint } from '../../layers/src/blueprint/blueprint.ts';
import { computeManifestIds } from '../../layers/src/manifest/ids.ts';
import { fullBlueprint, generateWithFakePackages, restrictBlueprint } from './fixtures.ts';
import { noteSkip } from '../support/skip-notice.ts';

const osbuild = process.env.IBS_TEST_OSBUILD;
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'ibs-inspect-'));

const cases = DISTRIBUTIONS.filter((d) => d.name !== 'test-distro-1').flatMap((d) =>
  d.architectures.flatMap((a) => a.imageTypes.map((t) => ({ distro: d.name, arch: a.name, type: t as GenericImageType }))),
);

describe.skipIf(noteSkip(!osbuild, 'osbuild --inspect of every generated manifest', 'no real osbuild (set IBS_TEST_OSBUILD)'))(osbuild ? `osbuild --inspect (${osbuild})` : 'osbuild --inspect (skipped: set IBS_TEST_OSBUILD to a real osbuild command)', () => {
  for (const { distro, arch, type } of cases) {
    it(`${distro} ${arch} ${type.name}: accepted by osbuild, ids equal`, { timeout: 60_000 }, async () => {
      for (const [label, blueprint] of [
        ['empty', emptyBlueprint()],
        ['everything', restrictBlueprint(fullBlueprint(), type.spec.def.supported_options)],
      ] as const) {
        const { generated } = generateWithFakePackages(type, { distribution: distro, architecture: arch, imageType: type.name, size: 0, blueprint, seed: label });
        const file = join(dir, `${distro}-${arch}-${type.name}-${label}.json`);
        writeFileSync(file, JSON.stringify(generated.manifest));
        const [program, ...args] = osbuild!.split(' ');
        const { stdout } = await run(program, [...args, '--inspect', file], { maxBuffer: 64 * 1024 * 1024 });
        const inspected = JSON.parse(stdout) as { pipelines: { name: string; stages: { id: string }[] }[] };
        const ours = computeManifestIds(generated.manifest);
        expect(inspected.pipelines.map((p) => [p.name, p.stages.map((s) => s.id)])).toEqual(
          ours.pipelines.map((p) => [p.name, p.stages.map((s) => s.id)]),
        );
      }
    });
  }
});
