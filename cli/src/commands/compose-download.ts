/** `ibs compose download`: fetch a successful compose's artifacts, verifying size and sha256 before keeping them. */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stateOf, type Artifact, type ComposeStatus } from '../api-types.ts';
import { describeNetworkError } from '../client.ts';
import { optionString, type CommandSpec } from '../command.ts';
import { CliError, EXIT, UnreachableError } from '../errors.ts';
import { formatBytes, formatJson, formatTable, type Io } from '../output.ts';
import { StatusLine, downloadProgressText } from '../progress.ts';
import { composeId, composePath, ID_ARG } from './compose-shared.ts';

interface Downloaded {
  name: string;
  path: string;
  size: number;
  sha256: string;
  verified: boolean;
}

/** Artifacts to fetch: the recorded ones, or (older services) the single upload URL without a checksum. */
function downloadTargets(status: ComposeStatus): (Artifact & { url: string })[] {
  const options = status.image_status.upload_status?.options;
  const fallback = options && 'url' in options ? options.url : undefined;
  const artifacts = status.artifacts ?? [];
  if (artifacts.length === 0 && fallback) {
    const name = new URL(fallback).searchParams.get('filename') ?? basename(new URL(fallback).pathname);
    return [{ name, url: fallback, size: 0, sha256: '', content_type: '' }];
  }
  return artifacts.map((a, i) => ({ ...a, url: a.url ?? (i === 0 ? fallback : undefined) ?? '' }));
}

async function downloadArtifact(io: Io, artifact: Artifact & { url: string }, dir: string): Promise<Downloaded> {
  // Artifact names come from the service; never let one escape the output directory.
  const name = basename(artifact.name);
  if (!name || name === '.' || name === '..') throw new CliError(`artifact name "${artifact.name}" is not a file name`);
  const path = join(dir, name);
  const partial = `${path}.part`;
  if (!artifact.url) throw new CliError(`the service gave no download URL for ${name}`);
  let response: Response;
  try {
    // No credentials: presigned URLs carry their own and refuse a second authorization.
    response = await fetch(artifact.url, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new UnreachableError(`cannot download ${name} from ${new URL(artifact.url).origin}: ${describeNetworkError(error)}`, { cause: error });
  }
  if (!response.ok || !response.body) {
    const body = await response.text().catch(() => '');
    let detail = body.slice(0, 300);
    try {
      detail = (JSON.parse(body) as { errors: { detail: string }[] }).errors[0].detail;
    } catch {
      /* not an error body; keep the text */
    }
    throw new CliError(`download of ${name} failed: HTTP ${response.status}${detail ? `: ${detail}` : ''}`);
  }
  const total = artifact.size || Number(response.headers.get('content-length')) || undefined;
  const hash = createHash('sha256');
  const line = new StatusLine(io.stderr);
  const started = Date.now();
  let received = 0;
  let lastDraw = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      received += chunk.length;
      const now = Date.now();
      if (now - lastDraw > 100) {
        line.draw(downloadProgressText(name, received, total, now - started));
        lastDraw = now;
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), meter, createWriteStream(partial));
  } catch (error) {
    await rm(partial, { force: true });
    // The service answered and then cut the transfer off: it does that to a stored file that no longer matches its
    // recorded checksum, and a dropped connection looks the same. Either way the download failed (exit 1).
    throw new CliError(`download of ${name} was cut off after ${received} bytes (${describeNetworkError(error)}); nothing was kept`, EXIT.failed, { cause: error });
  } finally {
    line.draw(downloadProgressText(name, received, total, Date.now() - started));
    line.clear();
  }
  const sha256 = hash.digest('hex');
  if (artifact.size && received !== artifact.size) {
    await rm(partial, { force: true });
    throw new CliError(`download of ${name} is ${received} bytes, but the service recorded ${artifact.size} bytes; nothing was kept`);
  }
  if (artifact.sha256 && sha256 !== artifact.sha256.replace(/^sha256:/, '').toLowerCase()) {
    await rm(partial, { force: true });
    throw new CliError(`checksum mismatch for ${name}: expected sha256 ${artifact.sha256}, got ${sha256}; nothing was kept`);
  }
  await rename(partial, path);
  if (!io.stderr.isTTY) io.stderr.write(`downloaded ${name} (${formatBytes(received)})${artifact.sha256 ? ', sha256 verified' : ''}\n`);
  else if (!artifact.sha256) io.stderr.write(`ibs: warning: the service recorded no checksum for ${name}; not verified\n`);
  return { name, path, size: received, sha256, verified: Boolean(artifact.sha256) };
}

export const composeDownload: CommandSpec = {
  path: ['compose', 'download'],
  summary: 'Download the image of a compose and verify its sha256',
  description: 'Files are written as NAME.part and renamed once their size and sha256 match what the service recorded.',
  args: [ID_ARG],
  options: [
    { name: 'output', short: 'o', type: 'string', metavar: 'DIR', description: 'directory to write to (default: the current one)', complete: 'dir' },
    { name: 'artifact', type: 'string', metavar: 'NAME', description: 'only this artifact' },
  ],
  examples: ['ibs compose download 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1 -o images/'],
  async run({ client, io, json, options, args }) {
    const id = composeId(composeDownload, args);
    const status = await client().get<ComposeStatus>(composePath(id));
    const state = stateOf(status);
    if (state !== 'success') {
      const reason = status.image_status.error?.reason;
      throw new CliError(`compose ${id} is ${state}${reason ? ` (${reason})` : ''}; only successful composes have images to download`);
    }
    let targets = downloadTargets(status);
    const only = optionString(options, 'artifact');
    if (only) {
      targets = targets.filter((t) => t.name === only);
      if (!targets.length) throw new CliError(`compose ${id} has no artifact "${only}" (it has: ${downloadTargets(status).map((t) => t.name).join(', ')})`);
    }
    if (!targets.length) throw new CliError(`compose ${id} recorded no artifacts`);
    const dir = resolve(optionString(options, 'output') ?? '.');
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new CliError(`cannot create the output directory ${dir}: ${(error as Error).message}`, EXIT.failed, { cause: error });
    }
    if (!(await stat(dir)).isDirectory()) throw new CliError(`${dir} is not a directory`);
    const done: Downloaded[] = [];
    for (const target of targets) done.push(await downloadArtifact(io, target, dir));
    if (json) io.stdout.write(formatJson(done));
    else io.stdout.write(formatTable(['ARTIFACT', 'SIZE', 'SHA256', 'PATH'], done.map((d) => [d.name, formatBytes(d.size), d.verified ? d.sha256 : `${d.sha256} (unverified)`, d.path])));
    return EXIT.ok;
  },
};
