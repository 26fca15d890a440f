/** The distributions this service builds, with the distro-level facts from osbuild/images' fedora.yaml / rhel.yaml. */
import type { ImageConfigDef } from '../defs/types.ts';

export type Family = 'fedora' | 'rhel-9' | 'rhel-10';

export interface DistroDef {
  name: string;
  description: string;
  family: Family;
  /** Name upstream `distro_name` conditions match. */
  conditionName: string;
  major: number;
  /** -1: tracks the newest minor release (compares as x.999 in conditions, like upstream for unversioned names). */
  minor: number;
  product: string;
  osVersion: string;
  releasever: string;
  /** UEFI vendor directory ({{.DistroVendor}}). */
  vendor: string;
  runner: string;
  runnerBuildPackages: string[];
  defaultFsType: 'ext4' | 'xfs';
  imageConfig: ImageConfigDef;
}

const fedoraImageConfig: ImageConfigDef = {
  hostname: 'localhost.localdomain',
  install_weak_deps: true,
  locale: 'C.UTF-8',
  machine_id_uninitialized: true,
  timezone: 'UTC',
  default_kernel: 'kernel-core',
  update_default_kernel: true,
};

const elImageConfig = (timezone: string): ImageConfigDef => ({
  default_kernel: 'kernel',
  install_weak_deps: true,
  locale: 'C.UTF-8',
  sysconfig: { networking: true, no_zero_conf: true },
  timezone,
  update_default_kernel: true,
});

const fedora = (major: number): DistroDef => ({
  name: `fedora-${major}`,
  description: `Fedora ${major}`,
  family: 'fedora',
  conditionName: 'fedora',
  major,
  minor: -1,
  product: 'Fedora',
  osVersion: String(major),
  releasever: String(major),
  vendor: 'fedora',
  runner: `org.osbuild.fedora${major}`,
  runnerBuildPackages: ['glibc', 'systemd', 'python3'],
  defaultFsType: 'ext4',
  imageConfig: fedoraImageConfig,
});

const el9Runner = ['glibc', 'systemd', 'platform-python', 'python3'];

export const DISTRO_DEFS: readonly DistroDef[] = [
  fedora(43),
  fedora(44),
  {
    name: 'centos-9',
    description: 'CentOS Stream 9',
    family: 'rhel-9',
    conditionName: 'centos',
    major: 9,
    minor: -1,
    product: 'CentOS Stream',
    osVersion: '9-stream',
    releasever: '9',
    vendor: 'centos',
    runner: 'org.osbuild.centos9',
    runnerBuildPackages: el9Runner,
    defaultFsType: 'xfs',
    imageConfig: elImageConfig('America/New_York'),
  },
  {
    name: 'centos-10',
    description: 'CentOS Stream 10',
    family: 'rhel-10',
    conditionName: 'centos',
    major: 10,
    minor: -1,
    product: 'CentOS Stream',
    osVersion: '10-stream',
    releasever: '10',
    vendor: 'centos',
    runner: 'org.osbuild.centos10',
    runnerBuildPackages: ['glibc', 'platform-python', 'systemd', 'python3'],
    defaultFsType: 'xfs',
    imageConfig: elImageConfig('UTC'),
  },
  {
    name: 'almalinux-9',
    description: 'AlmaLinux 9',
    family: 'rhel-9',
    conditionName: 'almalinux',
    major: 9,
    minor: -1,
    product: 'AlmaLinux',
    osVersion: '9',
    releasever: '9',
    vendor: 'almalinux',
    // upstream names the runner after the minor release (rhel96); the EL9 runner is the same script
    runner: 'org.osbuild.centos9',
    runnerBuildPackages: el9Runner,
    defaultFsType: 'xfs',
    imageConfig: elImageConfig('America/New_York'),
  },
  {
    name: 'rocky-9',
    description: 'Rocky Linux 9',
    family: 'rhel-9',
    conditionName: 'rocky',
    major: 9,
    minor: -1,
    product: 'Rocky Linux',
    osVersion: '9',
    releasever: '9',
    vendor: 'rocky',
    runner: 'org.osbuild.centos9',
    runnerBuildPackages: el9Runner,
    defaultFsType: 'xfs',
    imageConfig: elImageConfig('America/New_York'),
  },
];
