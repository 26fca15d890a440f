/**
 * Our manifests versus the shared reference manifests (fed the same depsolved package sets): same pipelines, same
 * stage types in the same order and the same options — except differences explained by newer upstream definitions.
 * Every explanation id used here is documented in docs/manifest-differences.md.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintFromObject } from '../../layers/src/blueprint/parse-blueprint.ts';
import type { Blueprint } from '../../layers/src/blueprint/blueprint.ts';
import type { Stage } from '../../layers/src/manifest/manifest.ts';
import { BLUEPRINT_DIR, hasReferences } from './reference-fixtures.ts';
import { SUPPORTED_REFERENCES, UNSUPPORTED_REFERENCES, generateForReference } from './reference-compare.ts';

interface StageDiff {
  /** Stage types the reference has and current upstream definitions no longer produce. */
  onlyRef?: string[];
  /** Stage types current definitions add. */
  onlyOurs?: string[];
  /** Stage types whose position changed upstream (compared by type occurrence, not by position). */
  unordered?: string[];
}

interface Expectation {
  /** Extra pipelines current definitions produce (e.g. a compression pipeline). */
  extraPipelines?: string[];
  stages?: Record<string, StageDiff>;
  /** Explanation id → option paths ("pipeline/stage-type.path" prefixes) it allows to differ. */
  options?: Record<string, string[]>;
}

const GLOBAL: Record<string, string[]> = {
  'D-GRUB-COMPAT': ['os/grub2.compat_version'],
  'D-ESP-LABEL': ['image/mkfs.fat.label'],
  'D-TAR-NUMERIC-OWNER': ['archive/tar.numeric-owner'],
};

const EL10_NO_BOOT = ['os/fix-bls.prefix', 'os/fstab.filesystems', 'os/grub2.boot_fs_uuid', 'image/sfdisk.partitions', 'image/mkfs.xfs', 'image/copy.devices', 'image/copy.mounts', 'image/grub2.inst.prefix.path'];
const RHEL_VENDOR = ['os/grub2.uefi.vendor'];
const FEDORA_2023_LAYOUT = ['image/truncate.size', 'image/sfdisk.partitions', 'image/mkfs.ext4.devices', 'image/copy', 'os/fstab.filesystems'];
const FEDORA_KOPTS = ['os/kernel-cmdline.kernel_opts', 'os/grub2.kernel_opts'];
/** What every images-2023 Fedora cloud image (qcow2, ami, vmdk) differs in, besides its disk layout. */
const FEDORA_2023_CLOUD_STAGES = { os: { onlyOurs: ['org.osbuild.sysconfig', 'org.osbuild.machine-id'] } };
const FEDORA_2023_CLOUD_OPTIONS = {
  'D-GPGKEYS-DEDUP': ['build/rpm.gpgkeys', 'os/rpm.gpgkeys'],
  'D-FEDORA-KOPTS': FEDORA_KOPTS,
  'D-FEDORA-2023-LOCALE': ['os/locale.language'],
  'D-FEDORA-CLOUD-INIT-F43': ['os/systemd.enabled_services'],
};

const EXPECTED: Record<string, Expectation> = {
  'manifest-db/centos_10-x86_64-qcow2-empty.json': {
    stages: { image: { onlyRef: ['org.osbuild.mkfs.xfs'] } },
    options: {
      'D-EL10-NO-BOOT': EL10_NO_BOOT,
      'D-EL10-QCOW2-KOPTS': ['os/kernel-cmdline.kernel_opts', 'os/grub2.kernel_opts'],
      'D-EL10-TIMEZONE': ['os/timezone.zone'],
    },
  },
  'manifest-db/centos_10-x86_64-ami-empty.json': {
    stages: {
      os: { onlyRef: ['org.osbuild.authselect', 'org.osbuild.dracut.conf'], onlyOurs: ['org.osbuild.modprobe'], unordered: ['org.osbuild.dracut.conf'] },
      image: { onlyRef: ['org.osbuild.mkfs.xfs'] },
    },
    options: {
      'D-EL10-NO-BOOT': EL10_NO_BOOT,
      'D-EL10-AMI': ['os/kernel-cmdline.kernel_opts', 'os/grub2.kernel_opts', 'os/locale.language', 'os/sysconfig.network-scripts', 'os/dracut.conf', 'os/modprobe'],
      'D-DRACUT-PREPEND': [],
    },
  },
  'manifest-db/centos_10-x86_64-tar-empty.json': {
    options: { 'D-EL10-TIMEZONE': ['os/timezone.zone'] },
  },
  'manifest-db/centos_10-x86_64-vhd-empty.json': {
    stages: {
      os: {
        onlyRef: ['org.osbuild.udev.rules'],
        onlyOurs: ['org.osbuild.chrony', 'org.osbuild.modprobe', 'org.osbuild.modprobe', 'org.osbuild.systemd.unit.create', 'org.osbuild.nm.conf', 'org.osbuild.copy', 'org.osbuild.chmod'],
      },
      image: { onlyRef: ['org.osbuild.mkfs.xfs'] },
    },
    options: {
      'D-EL10-NO-BOOT': [...EL10_NO_BOOT, 'image/truncate.size'],
      'D-EL10-AZURE': ['os/kernel-cmdline.kernel_opts', 'os/grub2.kernel_opts', 'os/locale.language', 'os/timezone.zone', 'os/grub2.config', 'os/systemd.enabled_services', 'os/modprobe'],
    },
  },
  'manifest-db/centos_10-x86_64-wsl-empty.json': {
    extraPipelines: ['xz'],
    stages: { os: { onlyRef: ['org.osbuild.wsl.conf'], onlyOurs: ['org.osbuild.systemd'] } },
    options: { 'D-EL10-WSL': ['os/locale.language', 'archive/tar.filename'], 'D-EL10-TIMEZONE': ['os/timezone.zone'] },
  },
  'manifest-db/fedora_39-x86_64-container-empty.json': {
    stages: { os: { onlyOurs: ['org.osbuild.sysconfig', 'org.osbuild.machine-id'] } },
    options: { 'D-FEDORA-CONTAINER': ['container/oci-archive.config'], 'D-OCI-GOARCH': ['container/oci-archive.architecture'], 'D-FEDORA-DISTRO-CONFIG': [] },
  },
  'images-2023/fedora_39-x86_64-container-boot.json': {
    stages: { os: { onlyOurs: ['org.osbuild.sysconfig', 'org.osbuild.machine-id'] } },
    options: { 'D-GPGKEYS-DEDUP': ['build/rpm.gpgkeys', 'os/rpm.gpgkeys'], 'D-FEDORA-CONTAINER': ['container/oci-archive.config'], 'D-OCI-GOARCH': ['container/oci-archive.architecture'], 'D-FEDORA-DISTRO-CONFIG': [] },
  },
  'manifest-db/rhel_10.0-x86_64-oci-empty.json': {
    stages: {
      os: { onlyRef: ['org.osbuild.rhsm', 'org.osbuild.rhsm.facts'], onlyOurs: ['org.osbuild.dracut.conf', 'org.osbuild.cloud-init'] },
      image: { onlyOurs: ['org.osbuild.lvm2.create', 'org.osbuild.mkfs.xfs', 'org.osbuild.lvm2.metadata'] },
    },
    options: {
      'D-RHEL-ONLY': RHEL_VENDOR,
      'D-EL10-OCI': ['os/kernel-cmdline.kernel_opts', 'os/grub2.kernel_opts', 'os/fstab.filesystems', 'image/truncate.size', 'image/sfdisk.partitions', 'image/mkfs', 'image/copy'],
      'D-EL10-TIMEZONE': ['os/timezone.zone'],
    },
  },
  'manifest-db/rhel_9.5-x86_64-gce-empty.json': {
    stages: { os: { onlyRef: ['org.osbuild.rhsm.facts'] } },
    options: { 'D-RHEL-ONLY': RHEL_VENDOR, 'D-EL9-GCE-REPO-NAME': ['os/yum.repos.repos'] },
  },
  'manifest-db/rhel_9.5-x86_64-minimal_raw-empty.json': {
    stages: { os: { onlyRef: ['org.osbuild.rhsm.facts'] } },
    options: {
      'D-RHEL-ONLY': RHEL_VENDOR,
      'D-EL9-MINIMAL-BOOT': ['image/truncate.size', 'image/sfdisk.partitions', 'image/mkfs.xfs.devices', 'image/copy.devices'],
    },
  },
  'manifest-db/rhel_9.5-x86_64-qcow2-all_customizations.json': {
    stages: {
      os: { onlyRef: ['org.osbuild.rhsm', 'org.osbuild.rhsm.facts'], onlyOurs: ['org.osbuild.firewall', 'org.osbuild.copy', 'org.osbuild.pki.update-ca-trust'] },
    },
    options: {
      'D-RHEL-ONLY': RHEL_VENDOR,
      'D-EL9-QCOW2-KOPTS': ['os/kernel-cmdline.kernel_opts', 'os/grub2.kernel_opts'],
      'D-ALL-CUSTOMIZATIONS-2026': ['os/groups.groups.wheel', 'os/systemd.masked_services'],
      'D-LVM-EXTENT-ALIGN': ['image/truncate.size', 'image/sfdisk.partitions', 'image/lvm2.create.devices', 'image/mkfs.xfs.devices.rootvg', 'image/copy.devices.rootvg', 'image/lvm2.metadata.devices'],
    },
  },
  'images-2023/fedora_39-x86_64-qcow2-boot.json': {
    stages: FEDORA_2023_CLOUD_STAGES,
    options: {
      ...FEDORA_2023_CLOUD_OPTIONS,
      'D-FEDORA-BOOT-2G': FEDORA_2023_LAYOUT,
      'D-MOUNT-NAMES': [],
    },
  },
  'images-2023/fedora_39-x86_64-ami-boot.json': {
    stages: FEDORA_2023_CLOUD_STAGES,
    options: {
      ...FEDORA_2023_CLOUD_OPTIONS,
      'D-FEDORA-BOOT-2G': [...FEDORA_2023_LAYOUT, 'image/truncate.filename', 'image/sfdisk.devices'],
    },
  },
  'images-2023/fedora_39-x86_64-vmdk-boot.json': {
    stages: FEDORA_2023_CLOUD_STAGES,
    options: {
      ...FEDORA_2023_CLOUD_OPTIONS,
      'D-FEDORA-BOOT-2G': FEDORA_2023_LAYOUT,
    },
  },
  'images-2023/fedora_39-x86_64-minimal_raw-boot.json': {
    extraPipelines: ['xz'],
    stages: {
      os: {
        onlyRef: ['org.osbuild.fstab'],
        onlyOurs: ['org.osbuild.sysconfig', 'org.osbuild.systemd.unit.create', 'org.osbuild.systemd.unit.create', 'org.osbuild.systemd.unit.create', 'org.osbuild.systemd', 'org.osbuild.copy', 'org.osbuild.chown', 'org.osbuild.systemd'],
      },
    },
    options: {
      'D-GPGKEYS-DEDUP': ['build/rpm.gpgkeys', 'os/rpm.gpgkeys'],
      'D-FEDORA-MINIMAL-RAW': ['os/kernel-cmdline.kernel_opts', 'os/grub2.kernel_opts', 'os/grub2.config', 'os/grub2.legacy'],
      'D-FEDORA-2023-LOCALE': ['os/locale.language'],
      'D-FEDORA-BOOT-2G': [...FEDORA_2023_LAYOUT, 'image/truncate.filename', 'image/sfdisk.devices', 'image/mkfs'],
    },
  },
};

const UUID_KEYS = new Set(['uuid', 'root_fs_uuid', 'boot_fs_uuid', 'volid']);
/** UUIDs come from the seed: compare their presence, not their value. */
const normalize = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(normalize)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, UUID_KEYS.has(k) ? 'UUID' : normalize(x)]))
      : v;

/** JSON with sorted object keys: key order carries no meaning for osbuild (ids are computed with sorted keys). */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));

function diffPaths(a: unknown, b: unknown, at: string, out: string[]): void {
  if (canonical(a) === canonical(b)) return;
  const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffPaths(a[k], b[k], `${at}.${k}`, out);
    return;
  }
  out.push(at);
}

/** Removes the last occurrence of each listed type (multiset difference), keeping order. */
function without<T>(items: T[], remove: string[] = [], typeOf: (t: T) => string = (t) => String(t)): T[] {
  const out = [...items];
  for (const type of remove) {
    for (let i = out.length - 1; i >= 0; i--) {
      if (typeOf(out[i]) === type) {
        out.splice(i, 1);
        break;
      }
    }
  }
  return out;
}

/** Pairs the i-th stage of each type in both lists. */
function pairByType(a: Stage[], b: Stage[]): [Stage, Stage][] {
  const pairs: [Stage, Stage][] = [];
  const seen = new Map<string, number>();
  for (const s of a) {
    const n = seen.get(s.type) ?? 0;
    seen.set(s.type, n + 1);
    const match = b.filter((x) => x.type === s.type)[n];
    if (match) pairs.push([s, match]);
  }
  return pairs;
}

function allCustomizationsBlueprint(): Blueprint {
  const raw = JSON.parse(readFileSync(path.join(BLUEPRINT_DIR, 'images-test-configs-json/all-customizations.json'), 'utf8')).blueprint;
  delete raw.containers; // container embedding is not implemented by this service (rejected with a 400)
  return blueprintFromObject(raw).blueprint;
}

describe.skipIf(!hasReferences)(hasReferences ? 'reference manifests' : 'reference manifests (skipped: ../shared/reference/reference-manifests not found)', () => {
  it('covers every shared reference manifest', () => {
    const covered = [...SUPPORTED_REFERENCES, ...Object.keys(UNSUPPORTED_REFERENCES)].sort();
    const all = ['manifest-db', 'images-2023'].flatMap((dir) =>
      readdir(dir).map((f) => `${dir}/${f}`),
    );
    expect(covered).toEqual(all.sort());
    expect(Object.keys(EXPECTED).sort()).toEqual([...SUPPORTED_REFERENCES].sort());
  });

  const docs = readFileSync(path.resolve(import.meta.dirname, '../../docs/manifest-differences.md'), 'utf8');

  // Skipped suites are still collected: without the references there is nothing to generate.
  for (const file of hasReferences ? SUPPORTED_REFERENCES : []) {
    describe(file, () => {
      const expectation = EXPECTED[file];
      const blueprint = file.includes('all_customizations') ? allCustomizationsBlueprint() : undefined;
      const { ref, ours } = generateForReference(file, blueprint);

      it('has the same pipelines', () => {
        const ourNames = ours.manifest.pipelines.map((p) => p.name).filter((n) => !expectation.extraPipelines?.includes(n));
        expect(ourNames).toEqual(ref.manifest.pipelines.map((p) => p.name));
        expect(ours.manifest.pipelines.find((p) => p.name === 'build')?.runner).toMatch(/^org\.osbuild\.(centos|fedora)\d+$/);
      });

      it('has the same stage types in the same order (explained differences aside)', () => {
        for (const rp of ref.manifest.pipelines) {
          const op = ours.manifest.pipelines.find((p) => p.name === rp.name)!;
          const d = expectation.stages?.[rp.name];
          const ordered = (types: string[]) => types.filter((t) => !d?.unordered?.includes(t));
          const ourTypes = without(op.stages.map((s) => s.type), d?.onlyOurs);
          const refTypes = without(rp.stages.map((s) => s.type), d?.onlyRef);
          expect(ordered(ourTypes), `pipeline ${rp.name}`).toEqual(ordered(refTypes));
          expect([...ourTypes].sort(), `pipeline ${rp.name} (all types)`).toEqual([...refTypes].sort());
        }
      });

      it('has the same stage options, devices, mounts and inputs (explained differences aside)', () => {
        const allowed = Object.values({ ...GLOBAL, ...expectation.options }).flat();
        const unexplained: string[] = [];
        for (const rp of ref.manifest.pipelines) {
          const op = ours.manifest.pipelines.find((p) => p.name === rp.name)!;
          const d = expectation.stages?.[rp.name];
          const refStages = without(rp.stages, d?.onlyRef, (s) => s.type);
          const ourStages = without(op.stages, d?.onlyOurs, (s) => s.type);
          pairByType(refStages, ourStages).forEach(([rs, os]) => {
            const at = `${rp.name}/${rs.type.replace('org.osbuild.', '')}`;
            const paths: string[] = [];
            diffPaths(normalize(rs.options ?? {}), normalize(os.options ?? {}), at, paths);
            diffPaths(normalize(rs.devices), normalize(os.devices), `${at}.devices`, paths);
            diffPaths(normalize(rs.mounts), normalize(os.mounts), `${at}.mounts`, paths);
            diffPaths(normalize(rs.inputs), normalize(os.inputs), `${at}.inputs`, paths);
            unexplained.push(...paths.filter((p) => !allowed.some((a) => p === a || p.startsWith(a) )));
          });
        }
        expect(unexplained).toEqual([]);
      });

      it('documents every explanation it uses', () => {
        for (const id of [...Object.keys(GLOBAL), ...Object.keys(expectation.options ?? {})]) expect(docs).toContain(`\`${id}\``);
      });
    });
  }
});

function readdir(dir: string): string[] {
  return readdirSync(path.join(path.resolve(import.meta.dirname, '../../../shared/reference/reference-manifests'), dir));
}
