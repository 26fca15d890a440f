import { createHash } from 'node:crypto';
import type { Distribution, GeneratedManifest, ImageType, ManifestRequest, PreparedManifest } from './distribution.ts';
import type { Manifest, Pipeline, Stage } from '../manifest/manifest.ts';
import { ValidationError } from '../errors.ts';
import { filesystemMount, loopbackDevice } from '../manifest/devices.ts';
import { pipelineTreeInput } from '../manifest/inputs.ts';
import { copyTreeStage, mkfsExt4Stage, sfdiskStage, truncateStage } from '../manifest/stages/index.ts';
import { checkBlueprintPath, DIRECTORY_POLICIES, FILE_POLICIES, type PathPolicies } from '../blueprint/path-policy.ts';

/**
 * `test-distro-1`, like osbuild/images' test distro: a `tar` image and an `aws` raw disk whose pipelines use inline
 * sources only, no build pipeline and no packages, so real osbuild builds them offline (the disk needs root for its
 * loop devices).
 */
const SUPPORTED_CUSTOMIZATIONS = new Set(['hostname', 'files', 'directories']);

const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

const parseMode = (mode: string | undefined, fallback: number, field: string): number => {
  if (mode === undefined) return fallback;
  if (!/^0?[0-7]{3,4}$/.test(mode)) throw new ValidationError(field, `mode "${mode}" is not an octal file mode like "0644"`);
  return parseInt(mode, 8);
};

// The same path policy as every other distribution (no /etc/shadow, nothing under /proc, canonical paths only).
const checkPath = (path: string, policies: PathPolicies, field: string): void => {
  const why = checkBlueprintPath(path, policies);
  if (why) throw new ValidationError(field, `"${path}" ${why}`);
};

function validate(request: ManifestRequest): void {
  for (const key of Object.keys(request.blueprint.customizations)) {
    if (!SUPPORTED_CUSTOMIZATIONS.has(key)) {
      throw new ValidationError(
        `customizations.${key}`,
        `not supported by image type ${request.imageType} of test-distro-1 (supported: ${[...SUPPORTED_CUSTOMIZATIONS].join(', ')})`,
      );
    }
  }
  if (request.blueprint.packages.length > 0 || request.blueprint.groups.length > 0) {
    throw new ValidationError('customizations.packages', 'test-distro-1 installs no packages');
  }
  const { hostname, files = [], directories = [] } = request.blueprint.customizations;
  if (hostname !== undefined && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(hostname)) {
    throw new ValidationError('customizations.hostname', `"${hostname}" is not an RFC 1123 host name`);
  }
  files.forEach((f, i) => {
    checkPath(f.path, FILE_POLICIES, `customizations.files[${i}].path`);
    parseMode(f.mode, 0o644, `customizations.files[${i}].mode`);
  });
  directories.forEach((d, i) => {
    checkPath(d.path, DIRECTORY_POLICIES, `customizations.directories[${i}].path`);
    parseMode(d.mode, 0o755, `customizations.directories[${i}].mode`);
  });
}

/** The `os` tree pipeline and its inline sources: the files of the request, placed with their modes. */
function osTreeOf(request: ManifestRequest): { os: Pipeline; inline: Record<string, { encoding: 'base64'; data: string }> } {
  const { hostname, files = [], directories = [] } = request.blueprint.customizations;
  const inline: Record<string, { encoding: 'base64'; data: string }> = {};
  const addInline = (content: string | Uint8Array): string => {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const checksum = sha256(data);
    inline[checksum] = { encoding: 'base64', data: data.toString('base64') };
    return checksum;
  };

  const osRelease = addInline(
    `NAME="Test Distro"\nID=test-distro\nVERSION_ID=1\nPRETTY_NAME="Test Distro 1 (${request.architecture})"\n`,
  );
  const placed: { checksum: string; path: string; mode: number }[] = [
    { checksum: osRelease, path: '/etc/os-release', mode: 0o644 },
  ];
  if (hostname) placed.push({ checksum: addInline(`${hostname}\n`), path: '/etc/hostname', mode: 0o644 });
  files.forEach((f, i) =>
    placed.push({ checksum: addInline(f.data ?? ''), path: f.path, mode: parseMode(f.mode, 0o644, `files[${i}]`) }),
  );

  const parents = new Set(placed.map((p) => p.path.slice(0, p.path.lastIndexOf('/')) || '/'));
  const mkdirPaths = [
    ...[...parents].filter((p) => p !== '/').sort().map((path) => ({ path, mode: 0o755, parents: true, exist_ok: true })),
    ...directories.map((d, i) => ({
      path: d.path,
      mode: parseMode(d.mode, 0o755, `directories[${i}]`),
      parents: d.ensure_parents ?? true,
      exist_ok: true,
    })),
  ];

  const stages: Stage[] = [{ type: 'org.osbuild.mkdir', options: { paths: mkdirPaths } }];
  placed.forEach((p, i) => {
    const input = `file${i}`;
    stages.push({
      type: 'org.osbuild.copy',
      inputs: { [input]: { type: 'org.osbuild.files', origin: 'org.osbuild.source', references: { [p.checksum]: {} } } },
      options: { paths: [{ from: `input://${input}/${p.checksum}`, to: `tree://${p.path}` }] },
    });
  });
  stages.push({
    type: 'org.osbuild.chmod',
    options: { items: Object.fromEntries(placed.map((p) => [p.path, { mode: `0${p.mode.toString(8)}` }])) },
  });

  return { os: { name: 'os', runner: 'org.osbuild.linux', stages }, inline };
}

const manifestOf = (pipelines: Pipeline[], inline: Record<string, { encoding: 'base64'; data: string }>): Manifest => ({
  version: '2',
  pipelines,
  sources: { 'org.osbuild.inline': { items: inline } },
  metadata: { generators: [{ name: 'image-builder-serverless', version: '0.1.0' }] },
});

function generate({ request }: PreparedManifest): GeneratedManifest {
  const { os, inline } = osTreeOf(request);
  const archive: Pipeline = {
    name: 'archive',
    runner: 'org.osbuild.linux',
    stages: [
      {
        type: 'org.osbuild.tar',
        inputs: { tree: { type: 'org.osbuild.tree', origin: 'org.osbuild.pipeline', references: ['name:os'] } },
        options: { filename: 'root.tar', 'root-node': 'omit', acls: false, selinux: false, xattrs: false },
      },
    ],
  };
  return { manifest: manifestOf([os, archive], inline), exports: ['archive'], checkpoints: ['os'], filename: 'root.tar', mimeType: 'application/x-tar' };
}

const MiB = 1024 * 1024;
/** The `aws` image's disk: small (it is sparse anyway), whole MiB. */
export const TEST_AWS_DEFAULT_SIZE = 64 * MiB;
const seeded = (seed: string, what: string): string => createHash('sha256').update(`${seed}:${what}`).digest('hex');
const uuidOf = (hex: string): string => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;

/**
 * `aws`: a raw disk with a DOS partition table and one ext4 filesystem holding the `os` tree (truncate, sfdisk,
 * mkfs.ext4, copy onto the mounted filesystem), so the AMI path runs end to end from a real osbuild build.
 */
function generateAwsDisk({ request }: PreparedManifest): GeneratedManifest {
  const { os, inline } = osTreeOf(request);
  const filename = 'disk.raw';
  const size = Math.max(TEST_AWS_DEFAULT_SIZE, Math.ceil(request.size / MiB) * MiB);
  const start = 2048;
  const partition = size / 512 - start;
  const root = loopbackDevice({ filename, start, size: partition });
  const image: Pipeline = {
    name: 'image',
    runner: 'org.osbuild.linux',
    stages: [
      truncateStage(filename, size),
      sfdiskStage('dos', `0x${seeded(request.seed, 'disk').slice(0, 8)}`, [{ bootable: true, start, size: partition, type: '83' }], loopbackDevice({ filename, lock: true })),
      mkfsExt4Stage(uuidOf(seeded(request.seed, 'root')), 'root', { device: loopbackDevice({ filename, start, size: partition, lock: true }) }),
      copyTreeStage({ 'root-tree': pipelineTreeInput('os') }, [{ from: 'input://root-tree/', to: 'mount://root/' }], { root }, [filesystemMount('root', 'ext4', 'root', '/')]),
    ],
  };
  return { manifest: manifestOf([os, image], inline), exports: ['image'], checkpoints: ['os'], filename, mimeType: 'application/octet-stream' };
}

const tarImage: ImageType = {
  name: 'tar',
  aliases: [],
  filename: 'root.tar',
  mimeType: 'application/x-tar',
  defaultSize: 0,
  bootMode: 'none',
  validate,
  // Nothing costly to prepare: the prepared manifest is the validated request.
  prepare: (request) => {
    validate(request);
    return { request, imageType: tarImage };
  },
  packageSets: () => ({}),
  generate,
};

const awsImage: ImageType = {
  name: 'aws',
  aliases: ['ami'],
  filename: 'disk.raw',
  mimeType: 'application/octet-stream',
  defaultSize: TEST_AWS_DEFAULT_SIZE,
  bootMode: 'hybrid',
  validate,
  prepare: (request) => {
    validate(request);
    return { request, imageType: awsImage };
  },
  packageSets: () => ({}),
  generate: generateAwsDisk,
};

export const testDistro: Distribution = {
  name: 'test-distro-1',
  description: 'Test distribution (inline sources only; builds offline)',
  releasever: '1',
  architectures: ['x86_64', 'aarch64'].map((name) => ({ name, imageTypes: [tarImage, awsImage], repositories: [] })),
};
