import type { When } from './types.ts';

/** What upstream `when:` conditions are evaluated against. */
export interface ConditionTarget {
  /** Distribution family name as upstream matches it: fedora, centos, almalinux, rocky. */
  distroName: string;
  major: number;
  /** -1 for unversioned minors (centos-10); compares as x.999 like upstream. */
  minor: number;
  arch: string;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const versionForCompare = (t: ConditionTarget): string => `${t.major}.${t.minor === -1 ? 999 : t.minor}`;
const versionString = (t: ConditionTarget): string => (t.minor === -1 ? `${t.major}` : `${t.major}.${t.minor}`);

/** All set fields must hold (AND), as in osbuild/images' whenCondition.Eval. */
export function evalWhen(when: When, t: ConditionTarget, withArch = true): boolean {
  if (when.distro_name !== undefined && when.distro_name !== t.distroName) return false;
  if (when.not_distro_name !== undefined && when.not_distro_name === t.distroName) return false;
  if (when.arch !== undefined && (!withArch || when.arch !== t.arch)) return false;
  if (when.version_less_than !== undefined && !(compareVersions(versionForCompare(t), when.version_less_than) < 0)) return false;
  if (when.version_greater_or_equal !== undefined && !(compareVersions(versionForCompare(t), when.version_greater_or_equal) >= 0)) return false;
  if (when.version_equal !== undefined && versionString(t) !== when.version_equal) return false;
  return true;
}
