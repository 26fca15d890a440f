/** `ibs compose ...`: start, list, inspect, follow, cancel and download composes. */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { arch as hostArch } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../../../layers/src/errors.ts';
import { FINAL_STATES, stateOf, type Artifact, type ComposeLogs, type ComposeManifests, type ComposeMetadata, type ComposeStatus, type ComposesResponse } from '../api-types.ts';
import type { ApiClient } from '../client.ts';
import { describeNetworkError } from '../client.ts';
import { commandName, optionString, type ArgSpec, type CommandContext, type CommandSpec, type OptionSpec } from '../command.ts';
import { CliError, EXIT, UnreachableError, UsageError } from '../errors.ts';
import { formatBytes, formatJson, formatKeyValues, formatTable, type Io } from '../output.ts';
import { integerOption, requireOption } from '../parse.ts';
import { StatusLine, composeProgressText, describeStep, downloadProgressText } from '../progress.ts';

const ID_ARG: ArgSpec = { name: 'ID', description: 'compose id (from "ibs compose list")', required: true, complete: 'compose-id' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function composeId(spec: CommandSpec, args: string[]): string {
  const id = args[0];
  if (!UUID.test(id)) throw new UsageError(`${commandName(spec)}: "${id}" is not a compose id (a UUID)`, commandName(spec));
  return id.toLowerCase();
}

const composePath = (id: string, tail = '') => `/composes/${id}${tail}`;

/** The runner's architecture names for this machine, the default for --arch. */
export function defaultArchitecture(): string {
  const a = hostArch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

const WAIT_OPTIONS: OptionSpec[] = [
  { name: 'timeout', type: 'string', metavar: 'SECONDS', description: 'give up (exit 1) after this long; default: no limit' },
  { name: 'interval', type: 'string', metavar: 'SECONDS', description: 'seconds between status checks (default 1)' },
];

// ---------------------------------------------------------------------------------------------------------------
// start

export const composeStart: CommandSpec = {
  path: ['compose', 'start'],
  summary: 'Start a compose from a blueprint',
  description: `The blueprint (TOML or JSON, as composer-cli and image-builder use) supplies packages and customizations.
Keys the blueprint format does not define are reported on stderr (an error with --strict); blueprint
settings the API cannot express are an error. --distro and --arch default to the blueprint's distro/arch.`,
  options: [
    { name: 'distro', short: 'd', type: 'string', metavar: 'DISTRO', description: 'distribution (default: the blueprint\'s "distro")', complete: 'distro' },
    { name: 'type', short: 't', type: 'string', metavar: 'TYPE', description: 'image type, e.g. guest-image, aws, tar (required)', complete: 'type' },
    { name: 'arch', short: 'a', type: 'string', metavar: 'ARCH', description: 'architecture (default: the blueprint\'s "arch", else this machine\'s)', complete: 'arch' },
    { name: 'blueprint', short: 'b', type: 'string', metavar: 'FILE', description: 'blueprint file (.toml or .json)', complete: 'file' },
    { name: 'upload', type: 'string', metavar: 'TYPE', description: 'upload target (default aws.s3: a download URL)', complete: ['aws.s3', 'aws'] },
    { name: 'size', type: 'string', metavar: 'SIZE', description: 'image size, bytes or with a unit ("10 GiB"); default: the type\'s' },
    { name: 'name', type: 'string', metavar: 'NAME', description: 'image name (default: the blueprint\'s name)' },
    { name: 'strict', type: 'boolean', description: 'unknown blueprint keys are an error, not a warning' },
    { name: 'wait', short: 'w', type: 'boolean', description: 'wait for the compose to finish (exit code as "ibs compose wait")' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print the compose id only' },
    ...WAIT_OPTIONS,
  ],
  examples: [
    'ibs compose start --distro test-distro-1 --type tar --arch x86_64 --blueprint motd.toml',
    'ID=$(ibs compose start -d fedora-43 -t guest-image -b http-server.toml -q) && ibs compose wait "$ID"',
  ],
  async run(ctx) {
    const { options, io, json } = ctx;
    const [{ readBlueprintFile, composeRequestFrom }, { parseSize }] = await Promise.all([
      import('../blueprint-request.ts'),
      import('../../../layers/src/blueprint/sizes.ts'),
    ]);
    const file = optionString(options, 'blueprint');
    const parsed = file ? readBlueprintFile(file) : undefined;
    if (parsed?.unknownKeys.length) {
      const message = `blueprint ${parsed.path}: unknown key${parsed.unknownKeys.length > 1 ? 's' : ''} ${parsed.unknownKeys.join(', ')}`;
      if (options.strict) throw new CliError(`${message} (--strict)`);
      io.stderr.write(`ibs: warning: ${message} (ignored)\n`);
    }
    const distribution = requireOption(composeStart, options, 'distro', parsed?.blueprint.distro);
    const imageType = requireOption(composeStart, options, 'type');
    const architecture = optionString(options, 'arch') ?? parsed?.blueprint.arch ?? defaultArchitecture();
    const sizeText = optionString(options, 'size');
    let size: number | undefined;
    if (sizeText !== undefined) {
      try {
        size = parseSize(/^\d+$/.test(sizeText) ? Number(sizeText) : sizeText, '--size');
      } catch (error) {
        throw new UsageError(`${commandName(composeStart)}: ${error instanceof ValidationError ? error.message : String(error)}`, commandName(composeStart));
      }
    }
    const body = composeRequestFrom({
      distribution,
      architecture,
      imageType,
      blueprint: parsed?.blueprint,
      imageName: optionString(options, 'name'),
      size,
      upload: optionString(options, 'upload'),
    });
    const { id } = await ctx.client().post<{ id: string }>('/compose', body);
    if (options.wait) {
      if (!json) io.stderr.write(`compose ${id} started\n`);
      return waitAndReport(ctx, composeStart, id);
    }
    if (json) io.stdout.write(formatJson({ id }));
    else if (options.quiet) io.stdout.write(`${id}\n`);
    else io.stdout.write(`compose ${id} started (${distribution} ${imageType} ${architecture})\n`);
    return EXIT.ok;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// list / status

interface ListItem {
  id: string;
  status?: string;
  created_at: string;
  image_name?: string;
  request: { distribution: string; image_requests: { architecture: string; image_type: string }[] };
}

export const composeList: CommandSpec = {
  path: ['compose', 'list'],
  summary: 'List composes, newest first',
  options: [
    { name: 'limit', type: 'string', metavar: 'N', description: 'page size, 1-100 (default 100)' },
    { name: 'offset', type: 'string', metavar: 'N', description: 'skip the first N composes' },
    { name: 'all', type: 'boolean', description: 'follow the pages and list every compose' },
    { name: 'status', type: 'string', metavar: 'STATE', description: 'only composes in this state', complete: ['pending', 'queued', 'building', 'uploading', 'success', 'failure', 'cancelled'] },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print compose ids only' },
  ],
  examples: ['ibs compose list', 'ibs compose list --status failure -q'],
  async run({ client, io, json, options }) {
    const api = client();
    const limit = integerOption(composeList, options, 'limit', 1) ?? 100;
    let offset = integerOption(composeList, options, 'offset') ?? 0;
    const items: ListItem[] = [];
    let count = 0;
    for (;;) {
      const page = await api.get<ComposesResponse>('/composes', { limit, offset });
      count = page.meta.count;
      items.push(...(page.data as ListItem[]));
      offset += page.data.length;
      if (!options.all || page.data.length === 0 || offset >= count) break;
    }
    const wanted = optionString(options, 'status');
    const shown = wanted ? items.filter((c) => c.status === wanted) : items;
    if (json) {
      io.stdout.write(formatJson({ meta: { count }, data: shown }));
    } else if (options.quiet) {
      io.stdout.write(shown.map((c) => `${c.id}\n`).join(''));
    } else {
      io.stdout.write(
        formatTable(
          ['ID', 'STATUS', 'DISTRIBUTION', 'ARCH', 'TYPE', 'CREATED', 'NAME'],
          shown.map((c) => {
            const r = c.request.image_requests?.[0];
            return [c.id, c.status, c.request.distribution, r?.architecture, r?.image_type, c.created_at, c.image_name];
          }),
        ),
      );
      if (!options.all && count > offset) io.stderr.write(`(${items.length} of ${count} composes; --all lists every one)\n`);
    }
    return EXIT.ok;
  },
};

function statusPairs(id: string, s: ComposeStatus): [string, string | undefined][] {
  const request = s.request.image_requests?.[0];
  const p = s.image_status.progress;
  const error = s.image_status.error;
  return [
    ['ID', id],
    ['Status', stateOf(s)],
    ['Distribution', s.request.distribution],
    ['Architecture', request?.architecture],
    ['Image type', request?.image_type],
    ['Image name', s.request.image_name],
    ['Created', s.created_at],
    ['Started', s.started_at],
    ['Finished', s.finished_at],
    ['Attempt', s.attempt ? String(s.attempt) : undefined],
    ['Progress', p && p.total ? `${p.done}/${p.total} pipelines${describeStep(p) ? `, ${describeStep(p)}` : ''}` : undefined],
    ['Error', error ? `${error.reason}${error.details !== undefined ? ` (${typeof error.details === 'string' ? error.details : JSON.stringify(error.details)})` : ''}` : undefined],
    ['Download URL', s.image_status.upload_status?.options?.url],
  ];
}

function artifactsTable(artifacts: Artifact[]): string {
  return formatTable(['ARTIFACT', 'SIZE', 'SHA256', 'TYPE'], artifacts.map((a) => [a.name, formatBytes(a.size), a.sha256, a.content_type]));
}

export const composeStatus: CommandSpec = {
  path: ['compose', 'status'],
  summary: 'Show the status of a compose',
  args: [ID_ARG],
  examples: ['ibs compose status 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1'],
  async run({ client, io, json, args }) {
    const id = composeId(composeStatus, args);
    const status = await client().get<ComposeStatus>(composePath(id));
    if (json) {
      io.stdout.write(formatJson(status));
      return EXIT.ok;
    }
    io.stdout.write(formatKeyValues(statusPairs(id, status)));
    if (status.artifacts?.length) io.stdout.write(`\n${artifactsTable(status.artifacts)}`);
    return EXIT.ok;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// wait

interface WaitOptions {
  timeoutMs?: number;
  intervalMs: number;
}

function waitOptions(spec: CommandSpec, ctx: CommandContext): WaitOptions {
  const timeout = integerOption(spec, ctx.options, 'timeout');
  const interval = integerOption(spec, ctx.options, 'interval') ?? 1;
  return { timeoutMs: timeout === undefined ? undefined : timeout * 1000, intervalMs: Math.max(50, interval * 1000) };
}

/** Polls the status until the compose finishes; a bar on a TTY, one line per change otherwise (stderr). */
export async function waitForCompose(api: ApiClient, io: Io, id: string, opts: WaitOptions & { quiet?: boolean }): Promise<ComposeStatus> {
  const started = Date.now();
  const line = new StatusLine(io.stderr);
  let last = '';
  let failures = 0;
  try {
    for (;;) {
      let status: ComposeStatus;
      try {
        status = await api.get<ComposeStatus>(composePath(id));
        failures = 0;
      } catch (error) {
        // A service restart is not the compose's failure: retry a few times before giving up.
        if (!(error instanceof UnreachableError) || ++failures > 5) throw error;
        await sleep(opts.intervalMs);
        continue;
      }
      const state = stateOf(status);
      const progress = status.image_status.progress;
      const elapsed = Date.now() - started;
      if (!opts.quiet) {
        if (line.interactive) line.draw(composeProgressText(state, progress, elapsed));
        else {
          const text = `${state}${describeStep(progress) ? ` ${describeStep(progress)}` : ''}`;
          if (text !== last) io.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
          last = text;
        }
      }
      if (FINAL_STATES.has(state)) return status;
      if (opts.timeoutMs !== undefined && elapsed >= opts.timeoutMs) {
        throw new CliError(`compose ${id} did not finish within ${Math.round(opts.timeoutMs / 1000)}s (still ${state})`);
      }
      await sleep(opts.intervalMs);
    }
  } finally {
    line.clear();
  }
}

async function waitAndReport(ctx: CommandContext, spec: CommandSpec, id: string): Promise<number> {
  const status = await waitForCompose(ctx.client(), ctx.io, id, { ...waitOptions(spec, ctx), quiet: ctx.json });
  const state = stateOf(status);
  if (ctx.json) ctx.io.stdout.write(formatJson({ id, ...status }));
  if (state === 'success') {
    if (!ctx.json) {
      const files = (status.artifacts ?? []).map((a) => `${a.name} (${formatBytes(a.size)})`).join(', ');
      ctx.io.stdout.write(`compose ${id} finished: success${files ? `: ${files}` : ''}\n`);
    }
    return EXIT.ok;
  }
  const reason = status.image_status.error?.reason;
  const message = `compose ${id} finished: ${state}${reason ? `: ${reason}` : ''}`;
  ctx.io.stderr.write(ctx.json ? `${JSON.stringify({ error: { message, exit_code: EXIT.failed, compose_error: status.image_status.error } })}\n` : `ibs: ${message}\n`);
  return EXIT.failed;
}

export const composeWait: CommandSpec = {
  path: ['compose', 'wait'],
  summary: 'Wait for a compose to finish, showing the current pipeline and stage',
  description: 'Exits 0 when the compose succeeded, 1 when it failed, was cancelled or the --timeout passed.',
  args: [ID_ARG],
  options: WAIT_OPTIONS,
  examples: ['ibs compose wait 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1 --timeout 3600 && echo built'],
  run: (ctx) => waitAndReport(ctx, composeWait, composeId(composeWait, ctx.args)),
};

// ---------------------------------------------------------------------------------------------------------------
// logs

export const composeLogs: CommandSpec = {
  path: ['compose', 'logs'],
  summary: 'Print the build log of a compose',
  args: [ID_ARG],
  options: [
    { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing while the compose builds' },
    { name: 'offset', type: 'string', metavar: 'BYTES', description: 'start at this byte offset' },
    { name: 'interval', type: 'string', metavar: 'SECONDS', description: 'seconds between reads with --follow (default 1)' },
  ],
  examples: ['ibs compose logs -f 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1'],
  async run({ client, io, json, options, args }) {
    const id = composeId(composeLogs, args);
    const api = client();
    const interval = (integerOption(composeLogs, options, 'interval') ?? 1) * 1000;
    let offset = integerOption(composeLogs, options, 'offset') ?? 0;
    const start = offset;
    let text = '';
    let complete = false;
    for (;;) {
      const slice = await api.get<ComposeLogs>(composePath(id, '/logs'), { offset });
      complete = slice.complete;
      const grew = slice.next_offset > offset;
      if (slice.logs) {
        if (json && options.follow) io.stdout.write(`${JSON.stringify(slice)}\n`);
        else if (json) text += slice.logs;
        else io.stdout.write(slice.logs);
      }
      offset = slice.next_offset;
      if (grew) continue; // more may be waiting beyond one slice
      if (!options.follow || complete) break;
      await sleep(Math.max(50, interval));
    }
    if (json && !options.follow) io.stdout.write(formatJson({ offset: start, next_offset: offset, complete, logs: text }));
    return EXIT.ok;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// manifest / metadata / cancel

export const composeManifest: CommandSpec = {
  path: ['compose', 'manifest'],
  summary: 'Print the osbuild manifest of a compose',
  description: 'Prints the manifest as osbuild reads it (one JSON document); --json prints the API response {"manifests": [...]}.',
  args: [ID_ARG],
  examples: ['ibs compose manifest 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1 > manifest.json'],
  async run({ client, io, json, args }) {
    const id = composeId(composeManifest, args);
    const api = client();
    const response = await api.get<ComposeManifests>(composePath(id, '/manifests'));
    if (json) {
      io.stdout.write(formatJson(response));
      return EXIT.ok;
    }
    if (response.manifests.length === 0) {
      const status = await api.get<ComposeStatus>(composePath(id));
      throw new CliError(`compose ${id} has no manifest (it is ${stateOf(status)}${status.image_status.error ? `: ${status.image_status.error.reason}` : ''})`);
    }
    io.stdout.write(formatJson(response.manifests.length === 1 ? response.manifests[0] : response.manifests));
    return EXIT.ok;
  },
};

export const composeMetadata: CommandSpec = {
  path: ['compose', 'metadata'],
  summary: 'List the packages in the image of a compose',
  args: [ID_ARG],
  examples: ['ibs compose metadata 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1'],
  async run({ client, io, json, args }) {
    const id = composeId(composeMetadata, args);
    const metadata = await client().get<ComposeMetadata>(composePath(id, '/metadata'));
    if (json) {
      io.stdout.write(formatJson(metadata));
      return EXIT.ok;
    }
    const packages = metadata.packages ?? [];
    io.stdout.write(
      formatTable(
        ['NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH', 'SIGMD5'],
        packages.map((p) => [p.name, p.epoch ?? '0', p.version, p.release, p.arch, p.sigmd5]),
      ),
    );
    if (metadata.ostree_commit) io.stdout.write(`\nostree commit: ${metadata.ostree_commit}\n`);
    io.stderr.write(`(${packages.length} package${packages.length === 1 ? '' : 's'})\n`);
    return EXIT.ok;
  },
};

export const composeCancel: CommandSpec = {
  path: ['compose', 'cancel'],
  summary: 'Cancel a compose that has not finished',
  args: [ID_ARG],
  examples: ['ibs compose cancel 0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1'],
  async run({ client, io, json, args }) {
    const id = composeId(composeCancel, args);
    const status = await client().post<ComposeStatus>(composePath(id, '/cancel'));
    if (json) io.stdout.write(formatJson({ id, ...status }));
    else if (stateOf(status) === 'cancelled') io.stdout.write(`compose ${id} cancelled\n`);
    else io.stdout.write(`compose ${id}: cancellation requested (the runner stops the build; it was ${stateOf(status)})\n`);
    return EXIT.ok;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// download

interface Downloaded {
  name: string;
  path: string;
  size: number;
  sha256: string;
  verified: boolean;
}

/** Artifacts to fetch: the recorded ones, or (older services) the single upload URL without a checksum. */
function downloadTargets(status: ComposeStatus): (Artifact & { url: string })[] {
  const fallback = status.image_status.upload_status?.options?.url;
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
    throw new UnreachableError(`download of ${name} was interrupted: ${describeNetworkError(error)}`, { cause: error });
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

export const COMPOSE_COMMANDS = [composeStart, composeList, composeStatus, composeWait, composeLogs, composeManifest, composeMetadata, composeCancel, composeDownload];
