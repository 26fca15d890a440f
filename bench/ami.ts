/**
 * AMI snapshot paths (issue 14): a sparse 4 GiB and a 10 GiB raw disk with a realistic fill (~1.5 GiB of random data
 * in extents spread over the disk) written into a snapshot by the runner's EBS direct writer (EBS stand-in in a child
 * process, the writer in another whose peak RSS is the figure), against the S3 upload the ImportSnapshot path needs
 * first (the runner's S3 upload into fauxqs, bench/upload.ts's child) and `aws s3 cp` of the raw file, in the same
 * run. The snapshot is checked block for block against the image before it counts.
 * Child modes of this file: `--stand-ins` (serve EBS/EC2, print endpoints), `--write` (one EBS direct write).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync, ftruncateSync, statfsSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EBSClient } from '@aws-sdk/client-ebs';
import { createAwsAdapters } from '../layers/src/adapters/aws/aws-adapters.ts';
import { createBucket } from '../layers/src/adapters/aws/provision.ts';
import { STAND_IN_CREDENTIALS, STAND_IN_REGION } from '../local/aws-stand-ins.ts';
import { awsCopy, BUCKET, findAwsCli, prepareUploadChild, startFauxqsChild, uploadChild } from './upload.ts';

const SELF = fileURLToPath(import.meta.url);
const REPO = join(SELF, '../..');
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const BLOCK = 512 * 1024;

/** ~1.5 GiB of random data in 48 extents of 32 MiB spread evenly over the disk (a filesystem's allocation groups). */
function writeImage(path: string, size: number): { extents: [number, number][] } {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  const chunk = Buffer.alloc(32 * MiB);
  const extents: [number, number][] = [];
  const count = 48;
  for (let i = 0; i < count; i++) {
    const offset = Math.floor((i * (size - chunk.length)) / (count - 1) / BLOCK) * BLOCK;
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, chunk.length, offset);
    extents.push([offset, offset + chunk.length]);
  }
  closeSync(fd);
  return { extents };
}

interface WriteRun {
  seconds: number;
  processSeconds: number;
  peakRssBytes: number;
  snapshotId: string;
  blocksWritten: number;
  blocksRead: number;
  bytesSent: number;
}

async function startChild(args: string[]): Promise<{ line: Record<string, any>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    void exited.then(() => reject(new Error(`child ${args.join(' ')} exited without answering`)));
  });
  return {
    line: JSON.parse(line),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One EBS direct write by the runner's writer in its own process (tsx, as local mode runs the runner). */
async function writeInChild(file: string, size: number, ebsEndpoint: string): Promise<WriteRun> {
  const started = performance.now();
  const child = await startChild(['--write', file, String(size), ebsEndpoint]);
  await child.stop();
  return { ...(child.line as Omit<WriteRun, 'processSeconds'>), processSeconds: (performance.now() - started) / 1000 };
}

/** The stand-in's snapshot equals the image: every data block (and nothing else was written). */
function checkSnapshot(image: string, snapshotPath: string, extents: [number, number][], blocks: number): void {
  const a = Buffer.alloc(BLOCK);
  const b = Buffer.alloc(BLOCK);
  const fa = openSync(image, 'r');
  const fb = openSync(snapshotPath, 'r');
  let expected = 0;
  for (const [start, end] of extents) {
    for (let offset = start; offset < end; offset += BLOCK) {
      readSync(fa, a, 0, BLOCK, offset);
      readSync(fb, b, 0, BLOCK, offset);
      if (!a.equals(b)) throw new Error(`snapshot block at ${offset} differs from the image`);
      expected++;
    }
  }
  closeSync(fa);
  closeSync(fb);
  if (blocks !== expected) throw new Error(`the writer sent ${blocks} blocks, the image has ${expected} non-zero blocks`);
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'ibs-bench-ami-'));
  const standIns = await startChild(['--stand-ins']);
  const fauxqs = await startFauxqsChild();
  const adapters = createAwsAdapters({ region: STAND_IN_REGION, tableName: 'unused', bucketName: BUCKET, queueUrlPrefix: 'unused', endpoints: { s3: fauxqs.endpoint }, credentials: STAND_IN_CREDENTIALS });
  try {
    await createBucket(adapters.clients.s3, BUCKET);
    const upload = await prepareUploadChild(dir);
    const aws = findAwsCli();
    const results: Record<string, unknown>[] = [];
    const sizes = (process.env.IBS_BENCH_AMI_SIZES_GIB ?? '4,10').split(',').map((g) => Number(g) * GiB);
    // fauxqs holds an object (and its parts while completing) in memory: 1.5× the raw file, holes included.
    const s3MaxBytes = Number(process.env.IBS_BENCH_AMI_S3_MAX_GIB ?? 4) * GiB;
    for (const size of sizes) {
      const image = join(dir, `disk-${size / GiB}g.raw`);
      const { extents } = writeImage(image, size);
      const ours = await writeInChild(image, size, standIns.line.ebsEndpoint as string);
      const snapshot = (await (await fetch(`${standIns.line.controlEndpoint}/snapshot/${ours.snapshotId}`)).json()) as { path: string; blocks: number };
      checkSnapshot(image, snapshot.path, extents, snapshot.blocks);
      process.stderr.write(`ami bench: ${size / GiB} GiB ebs-direct ${ours.processSeconds.toFixed(1)} s, ${ours.blocksWritten} blocks, peak RSS ${(ours.peakRssBytes / MiB).toFixed(0)} MiB\n`);
      const s3Fits = size <= s3MaxBytes && statfsSync(dir).bavail > 0 && freemem() > size * 1.6;
      const s3 = s3Fits ? uploadChild(upload.bundled, image, fauxqs.endpoint, `artifacts/bench/ami-${size}/disk.raw`, dir) : undefined;
      if (s3) await adapters.blobs.delete(`artifacts/bench/ami-${size}/disk.raw`);
      const cli = s3Fits && aws.path ? awsCopy(aws.path, image, fauxqs.endpoint, `artifacts/bench/ami-cli-${size}/disk.raw`, dir) : undefined;
      if (cli) await adapters.blobs.delete(`artifacts/bench/ami-cli-${size}/disk.raw`);
      rmSync(image, { force: true });
      const MiBps = (bytes: number, seconds: number) => +(bytes / MiB / seconds).toFixed(1);
      results.push({
        imageGiB: size / GiB,
        dataMiB: (extents.length * 32),
        ebsDirect: {
          seconds: +ours.processSeconds.toFixed(2),
          writeCallSeconds: +ours.seconds.toFixed(2),
          bytesSent: ours.bytesSent,
          blocksWritten: ours.blocksWritten,
          blocksOfImage: size / BLOCK,
          blocksRead: ours.blocksRead,
          blockMiBps: MiBps(ours.bytesSent, ours.seconds),
          peakRssMiB: +(ours.peakRssBytes / MiB).toFixed(1),
        },
        s3ForImportSnapshot: s3
          ? { seconds: +s3.processSeconds.toFixed(2), bytesSent: s3.size, MiBps: MiBps(s3.size, s3.seconds), peakRssMiB: +(s3.peakRssBytes / MiB).toFixed(1), note: 'then ImportSnapshot takes minutes more on AWS' }
          : { skipped: `over IBS_BENCH_AMI_S3_MAX_GIB (${s3MaxBytes / GiB}) or memory: fauxqs would hold ${size / GiB} GiB; ${Math.round(freemem() / GiB)} GiB free` },
        awsS3Cp: cli ? { seconds: +cli.seconds.toFixed(2), bytesSent: size } : { skipped: s3Fits ? aws.reason : 'memory (see s3ForImportSnapshot)' },
        ...(s3 ? { s3SecondsOverEbsDirectSeconds: +(s3.processSeconds / ours.processSeconds).toFixed(2), bytesRatio: +(s3.size / ours.bytesSent).toFixed(2) } : {}),
        snapshotChecked: 'every data block of the image equals the stand-in snapshot block; no other block written',
      });
    }
    return {
      target: 'EBS direct stand-in (test/ami-stand-ins, child process) and fauxqs (child process) on 127.0.0.1',
      ebsDirectHow: 'runner-ami/src/ami/ebs-snapshot-writer.ts in a child process under tsx: data extents via SEEK_DATA, 32 blocks of 512 KiB in flight, zero blocks skipped, SHA-256 per block, LINEAR aggregate',
      peakRssTargetMiB: 200,
      results,
    };
  } finally {
    await adapters.close();
    await fauxqs.stop();
    await standIns.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serveStandIns() {
  const { startAmiStandIns } = await import('../test/ami-stand-ins/start-ami-stand-ins.ts');
  const { createServer } = await import('node:http');
  const standIns = await startAmiStandIns();
  // A small control port: where a snapshot's data file is, and how many blocks it got.
  const control = createServer((req, res) => {
    const snapshot = standIns.account.snapshots.get(req.url!.split('/').pop()!);
    res.writeHead(snapshot ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(snapshot ? { path: snapshot.path, blocks: snapshot.blocks.size } : {}));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const controlEndpoint = `http://127.0.0.1:${(control.address() as { port: number }).port}`;
  process.stdout.write(`${JSON.stringify({ ebsEndpoint: standIns.ebsEndpoint, ec2Endpoint: standIns.ec2Endpoint, controlEndpoint })}\n`);
  process.once('SIGTERM', () => void standIns.stop().then(() => process.exit(0)));
}

async function writeOnce(file: string, size: number, endpoint: string) {
  const { readFileSync } = await import('node:fs');
  const { writeEbsSnapshot } = await import('../runner-ami/src/ami/ebs-snapshot-writer.ts');
  const ebs = new EBSClient({ region: STAND_IN_REGION, endpoint, credentials: STAND_IN_CREDENTIALS, maxAttempts: 3 });
  const started = performance.now();
  const written = await writeEbsSnapshot({ ebs, path: file, size, description: 'bench', tags: {} });
  const seconds = (performance.now() - started) / 1000;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))!;
  process.stdout.write(`${JSON.stringify({ seconds, peakRssBytes: Number(hwm[1]) * 1024, ...written })}\n`);
  ebs.destroy();
  process.stdin.resume();
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[1] === SELF && process.argv[2] === '--stand-ins') await serveStandIns();
if (process.argv[1] === SELF && process.argv[2] === '--write') await writeOnce(process.argv[3], Number(process.argv[4]), process.argv[5]);
