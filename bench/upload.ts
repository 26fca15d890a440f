/**
 * Artifact upload (issue 5): a 2 GiB exported file uploaded to the S3 stand-in (fauxqs, in a child process so the
 * stored object does not count against anyone's memory) by the runner's upload path — `uploadFile` (sha256 while
 * streaming) into the S3 BlobStore (multipart, 8 MiB parts, 4 in flight) — in a child process whose peak RSS (VmHWM)
 * is the figure, against `aws s3 cp` (Debian's awscli) of the same file to the same endpoint, interleaved in the same
 * run. Every stored object is read back (size + sha256) before it counts.
 *
 * The uploading child is bundled with esbuild and run by plain node, as the runner runs on the AMI
 * (runner-ami/build.ts); one extra run under tsx (how local mode runs it) is reported for reference.
 * Child mode of this file: `--fauxqs` (serve the stand-in, print its endpoint).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createAwsAdapters } from '../layers/src/adapters/aws/aws-adapters.ts';
import type { AwsAdaptersConfig } from '../layers/src/adapters/aws/aws-config.ts';
import { createBucket } from '../layers/src/adapters/aws/provision.ts';
import { build } from 'esbuild';
import { STAND_IN_CREDENTIALS, STAND_IN_REGION, startFauxqs } from '../local/aws-stand-ins.ts';

const SELF = fileURLToPath(import.meta.url);
const REPO = join(SELF, '../..');
export const BUCKET = 'ibs-bench-upload';
const GiB = 2 ** 30;
const MiB = 2 ** 20;

const standInConfig = (endpoint: string): AwsAdaptersConfig => ({
  region: STAND_IN_REGION,
  tableName: 'unused',
  bucketName: BUCKET,
  queueUrlPrefix: 'unused',
  endpoints: { s3: endpoint },
  credentials: STAND_IN_CREDENTIALS,
});

interface OursRun {
  /** The upload call inside the process. */
  seconds: number;
  /** The whole process, start to exit (what `aws s3 cp` is timed by). */
  processSeconds: number;
  /** User + system CPU of the process (/usr/bin/time). */
  cpuSeconds?: number;
  /** VmHWM, read by the process itself at the end. */
  peakRssBytes: number;
  sha256: string;
  size: number;
}
interface AwsRun {
  seconds: number;
  peakRssBytes?: number;
  /** User + system CPU of the process (/usr/bin/time): steadier than wall time on a busy machine. */
  cpuSeconds?: number;
}

export async function run() {
  const rounds = Number(process.env.IBS_BENCH_UPLOAD_ROUNDS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'ibs-bench-s3-upload-'));
  const fauxqs = await startFauxqsChild();
  const adapters = createAwsAdapters(standInConfig(fauxqs.endpoint));
  try {
    // The file on disk once; fauxqs holds an object (and, while completing a multipart upload, its parts) in memory.
    const disk = statfsSync(dir);
    const roomy = disk.bavail * disk.bsize > 4 * GiB && freemem() > 6 * GiB;
    const wanted = process.env.IBS_BENCH_UPLOAD_MIB ? Number(process.env.IBS_BENCH_UPLOAD_MIB) * MiB : 2 * GiB;
    const size = roomy ? wanted : Math.max(64 * MiB, Math.floor(Math.min(disk.bavail * disk.bsize, freemem()) / 6 / MiB) * MiB);
    const file = join(dir, 'disk.raw');
    // Random bytes: nothing on the way can compress or deduplicate them.
    spawnSync('sh', ['-c', `head -c ${size} /dev/urandom > '${file}'`]);
    const sha256 = await sha256Of(createReadStream(file));
    await createBucket(adapters.clients.s3, BUCKET);

    const child = await prepareUploadChild(dir);
    const aws = findAwsCli();
    const ours: OursRun[] = [];
    const theirs: AwsRun[] = [];
    for (let round = 0; round < rounds; round++) {
      const oursRound = async () => {
        const key = `artifacts/bench/ours-${round}/disk.raw`;
        const run = uploadChild(child.bundled, file, fauxqs.endpoint, key, dir);
        if (run.sha256 !== sha256 || run.size !== size) throw new Error(`our upload computed ${run.sha256}/${run.size}, the file is ${sha256}/${size}`);
        await checkStored(adapters, key, size, sha256);
        ours.push(run);
      };
      const awsRound = async () => {
        if (!aws.path) return;
        const key = `artifacts/bench/aws-${round}/disk.raw`;
        theirs.push(awsCopy(aws.path, file, fauxqs.endpoint, key, dir));
        await checkStored(adapters, key, size, sha256);
      };
      // Alternating who goes first: neither always meets the stand-in right after the other's object was freed.
      for (const step of round % 2 === 0 ? [oursRound, awsRound] : [awsRound, oursRound]) await step();
    }

    // Reference: the same upload under tsx (local mode), whose loader costs memory the AMI's bundle does not.
    const underTsx = uploadChild(child.tsx, file, fauxqs.endpoint, 'artifacts/bench/tsx/disk.raw', dir);
    await checkStored(adapters, 'artifacts/bench/tsx/disk.raw', size, sha256);

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
    const mib = size / MiB;
    // Both timed the same way: the whole process, start to exit.
    const oursSeconds = median(ours.map((r) => r.processSeconds));
    const awsSeconds = theirs.length ? median(theirs.map((r) => r.seconds)) : undefined;
    const peakRss = Math.max(...ours.map((r) => r.peakRssBytes));
    const awsPeak = theirs.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined);
    return {
      bytes: size,
      rounds,
      target: `S3 stand-in (fauxqs ${fauxqs.version}, child process) at ${fauxqs.endpoint}`,
      ours: {
        how: 'runner uploadFile (sha256 while streaming) → S3BlobStore multipart, in a child process (esbuild bundle, plain node, as on the AMI)',
        partSizeMiB: 8,
        queueSize: 4,
        MiBps: +(mib / oursSeconds).toFixed(1),
        seconds: ours.map((r) => +r.processSeconds.toFixed(2)),
        uploadCallMiBps: +(mib / median(ours.map((r) => r.seconds))).toFixed(1),
        ...cpuFigure(ours, size),
        peakRssMiB: +(peakRss / MiB).toFixed(1),
        peakRssTargetMiB: 150,
        underTsx: { MiBps: +(mib / underTsx.processSeconds).toFixed(1), peakRssMiB: +(underTsx.peakRssBytes / MiB).toFixed(1) },
      },
      aws: aws.path
        ? {
            how: `${aws.path} s3 cp (${aws.version}), default multipart settings`,
            MiBps: +(mib / awsSeconds!).toFixed(1),
            seconds: theirs.map((r) => +r.seconds.toFixed(2)),
            ...cpuFigure(theirs, size),
            ...(awsPeak.length ? { peakRssMiB: +(Math.max(...awsPeak) / MiB).toFixed(1) } : {}),
          }
        : { skipped: aws.reason },
      ...(awsSeconds ? { oursToAwsRatio: +(awsSeconds / oursSeconds).toFixed(2), ratioTarget: 1.0 } : {}),
      stored: 'every object read back from fauxqs: size and sha256 equal the file',
      note: 'cpuSecondsPerGiB (user + system of the uploading process) is the steadier figure on a busy machine; MiBps = file size / wall time of the uploading process from start to exit, median over rounds (uploadCallMiBps: the upload call alone); rounds interleave ours and aws',
    };
  } finally {
    await adapters.close();
    await fauxqs.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median CPU seconds (user + system) per GiB uploaded, where /usr/bin/time measured it. */
function cpuFigure(runs: { cpuSeconds?: number }[], size: number) {
  const cpu = runs.map((r) => r.cpuSeconds).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  return cpu.length ? { cpuSecondsPerGiB: +((cpu[Math.floor((cpu.length - 1) / 2)] * GiB) / size).toFixed(2) } : {};
}

/** Runs a command under /usr/bin/time when there is one: its CPU time and peak RSS come back with the result. */
function timedSpawn(command: string, args: string[], options: Parameters<typeof spawnSync>[2] & { encoding: 'utf8' }, dir: string) {
  const out = join(dir, `time-${process.hrtime.bigint()}`);
  const started = performance.now();
  const result = existsSync('/usr/bin/time')
    ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', out, command, ...args], options)
    : spawnSync(command, args, options);
  const seconds = (performance.now() - started) / 1000;
  const [user, system, rssKiB] = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) : [];
  return { result, seconds, ...(user !== undefined ? { cpuSeconds: user + system, peakRssBytes: rssKiB * 1024 } : {}) };
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, hash);
  return hash.digest('hex');
}

/** What fauxqs kept: HeadObject size, and the object read back in full hashes to the file's sha256. Then freed. */
async function checkStored(adapters: ReturnType<typeof createAwsAdapters>, key: string, size: number, sha256: string) {
  const s3 = adapters.clients.s3;
  const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  if (head.ContentLength !== size) throw new Error(`${key}: stored ${head.ContentLength} bytes, expected ${size}`);
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const stored = await sha256Of(Body as Readable);
  if (stored !== sha256) throw new Error(`${key}: stored sha256 ${stored}, expected ${sha256}`);
  await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
}

/** fauxqs in its own process: the stored bytes live there, not in the bench's or the uploader's memory. */
export async function startFauxqsChild(): Promise<{ endpoint: string; version: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, '--fauxqs'], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then(() => {
      throw new Error('fauxqs child exited before it listened');
    }),
  ]);
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  const version = (JSON.parse(readFileSync(join(REPO, 'node_modules/fauxqs/package.json'), 'utf8')) as { version: string }).version;
  return {
    endpoint,
    version,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * The uploading process: the runner's own modules (AWS adapters as `IBS_BACKEND=aws` wires them, `uploadFile`), one
 * upload, then seconds, peak RSS and what it hashed on stdout.
 */
const childSource = (repo: string) => `
import { readFileSync, statSync } from 'node:fs';
import { createAwsAdapters } from '${repo}/layers/src/adapters/aws/aws-adapters.ts';
import { createLogger } from '${repo}/layers/src/log/logger.ts';
import { uploadFile } from '${repo}/runner-ami/src/upload.ts';

const [file, endpoint, bucket, prefix] = process.argv.slice(2);
const adapters = createAwsAdapters({
  region: '${STAND_IN_REGION}', tableName: 'unused', bucketName: bucket, queueUrlPrefix: 'unused',
  endpoints: { s3: endpoint }, credentials: ${JSON.stringify(STAND_IN_CREDENTIALS)},
});
const log = createLogger({}, { write: () => {} });
const started = performance.now();
const artifact = await uploadFile({ name: 'disk.raw', path: file, size: statSync(file).size }, { blobs: adapters.blobs, prefix, attempts: 1, backoffMs: 1, log });
const seconds = (performance.now() - started) / 1000;
const hwm = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
await adapters.close();
process.stdout.write(JSON.stringify({ seconds, peakRssBytes: Number(hwm[1]) * 1024, sha256: artifact.sha256, size: artifact.size }) + '\\n');
`;

interface UploadChild {
  /** `node <bundle>`, as on the AMI. */
  bundled: string[];
  /** `node --import tsx <source>`, as local mode runs the runner. */
  tsx: string[];
}

export async function prepareUploadChild(dir: string): Promise<UploadChild> {
  const source = join(dir, 'upload-child.mts');
  writeFileSync(source, childSource(REPO));
  const bundle = join(dir, 'upload-child.mjs');
  // The settings of runner-ami/build.ts (one ESM file for node20, CommonJS dependencies given a require()).
  await build({
    entryPoints: [source],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: "import { createRequire as __ibsCreateRequire } from 'node:module'; const require = __ibsCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return { bundled: [bundle], tsx: ['--import', 'tsx', source] };
}

export function uploadChild(args: string[], file: string, endpoint: string, key: string, dir: string): OursRun {
  const { result, seconds, cpuSeconds } = timedSpawn(process.execPath, [...args, file, endpoint, BUCKET, key.replace(/disk\.raw$/, '')], { cwd: REPO, encoding: 'utf8', maxBuffer: 16 * MiB }, dir);
  if (result.status !== 0) throw new Error(`upload child failed (${result.status}): ${result.stderr}`);
  const reported = JSON.parse(String(result.stdout).trim().split('\n').at(-1)!) as Omit<OursRun, 'processSeconds' | 'cpuSeconds'>;
  return { ...reported, processSeconds: seconds, ...(cpuSeconds !== undefined ? { cpuSeconds } : {}) };
}

/** Debian's awscli (`apt-get install awscli` → /usr/bin/aws), else whatever `aws` is on PATH. */
export function findAwsCli(): { path?: string; version?: string; reason?: string } {
  for (const path of ['/usr/bin/aws', 'aws']) {
    const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return { path, version: (probe.stdout || probe.stderr).trim().split(' ')[0] };
  }
  return { reason: 'aws CLI not found (apt-get install awscli): comparison skipped' };
}

/** `aws s3 cp` with a private config (path-style, stand-in credentials; nothing from ~/.aws), timed, CPU and RSS measured. */
export function awsCopy(aws: string, file: string, endpoint: string, key: string, dir: string): AwsRun {
  const config = join(dir, 'aws-config');
  writeFileSync(config, '[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n');
  const env = {
    ...process.env,
    AWS_CONFIG_FILE: config,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_ACCESS_KEY_ID: STAND_IN_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: STAND_IN_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: STAND_IN_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  const args = ['s3', 'cp', '--only-show-errors', '--endpoint-url', endpoint, file, `s3://${BUCKET}/${key}`];
  const { result, seconds, cpuSeconds, peakRssBytes } = timedSpawn(aws, args, { encoding: 'utf8', env }, dir);
  if (result.status !== 0) throw new Error(`aws s3 cp failed (${result.status}): ${result.stderr}`);
  return { seconds, ...(cpuSeconds !== undefined ? { cpuSeconds, peakRssBytes } : {}) };
}

async function serveFauxqs() {
  const fauxqs = await startFauxqs();
  process.stdout.write(`${JSON.stringify({ endpoint: fauxqs.endpoint })}\n`);
  process.once('SIGTERM', () => void fauxqs.stop().then(() => process.exit(0)));
}

if (process.argv[1] === SELF && process.argv[2] === '--fauxqs') await serveFauxqs();
