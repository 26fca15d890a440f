import type { Pipeline } from '../manifest.ts';
import type { ResolvedPackage } from '../../packages/package-set.ts';
import { rpmStage, selinuxStage, type RpmStageOptions } from '../stages/index.ts';

const INSTALL_EXEC = 'system_u:object_r:install_exec_t:s0';

/** Build root: the depsolved build packages, then SELinux labels so osbuild's tools run confined correctly. */
export function buildPipeline(runner: string, packages: readonly ResolvedPackage[], gpgkeys: string[], rpmOptions: RpmStageOptions = {}): Pipeline {
  const labels: Record<string, string> = {};
  const names = new Set(packages.map((p) => p.name));
  if (names.has('coreutils')) labels['/usr/bin/cp'] = INSTALL_EXEC;
  if (names.has('tar')) labels['/usr/bin/tar'] = INSTALL_EXEC;
  const options: RpmStageOptions = { ...rpmOptions };
  if (gpgkeys.length) options.gpgkeys = gpgkeys;
  return {
    name: 'build',
    runner,
    stages: [
      rpmStage(packages.map((p) => ({ checksum: p.checksum, checkGpg: p.checkGpg })), options),
      selinuxStage('etc/selinux/targeted/contexts/files/file_contexts', labels),
    ],
  };
}
