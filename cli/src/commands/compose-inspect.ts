/** `ibs compose list`, `status`, `logs`, `manifest`, `metadata` and `cancel`: reading and cancelling composes. */
import { setTimeout as sleep } from 'node:timers/promises';
import { stateOf, type Artifact, type ComposeLogs, type ComposeManifests, type ComposeMetadata, type ComposeStatus, type ComposesResponse } from '../api-types.ts';
import { optionString, type CommandSpec } from '../command.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatBytes, formatJson, formatKeyValues, formatTable } from '../output.ts';
import { integerOption } from '../parse.ts';
import { describeStep } from '../progress.ts';
import { composeId, composePath, composeResourceCommand, ID_ARG } from './compose-shared.ts';

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
  const uploadOptions = s.image_status.upload_status?.options;
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
    ['Download URL', uploadOptions && 'url' in uploadOptions ? uploadOptions.url : undefined],
    ['AMI', uploadOptions && 'ami' in uploadOptions ? `${uploadOptions.ami} (${uploadOptions.region})` : undefined],
  ];
}

function artifactsTable(artifacts: Artifact[]): string {
  return formatTable(['ARTIFACT', 'SIZE', 'SHA256', 'TYPE'], artifacts.map((a) => [a.name, formatBytes(a.size), a.sha256, a.content_type]));
}

export const composeStatus = composeResourceCommand<ComposeStatus>({
  name: 'status',
  summary: 'Show the status of a compose',
  tail: '',
  render: ({ io }, status, id) => {
    io.stdout.write(formatKeyValues(statusPairs(id, status)));
    if (status.artifacts?.length) io.stdout.write(`\n${artifactsTable(status.artifacts)}`);
  },
});

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

export const composeManifest = composeResourceCommand<ComposeManifests>({
  name: 'manifest',
  summary: 'Print the osbuild manifest of a compose',
  description: 'Prints the manifest as osbuild reads it (one JSON document); --json prints the API response {"manifests": [...]}.',
  tail: '/manifests',
  exampleTail: '> manifest.json',
  render: async ({ io }, response, id, api) => {
    if (response.manifests.length === 0) {
      const status = await api.get<ComposeStatus>(composePath(id));
      throw new CliError(`compose ${id} has no manifest (it is ${stateOf(status)}${status.image_status.error ? `: ${status.image_status.error.reason}` : ''})`);
    }
    io.stdout.write(formatJson(response.manifests.length === 1 ? response.manifests[0] : response.manifests));
  },
});

export const composeMetadata = composeResourceCommand<ComposeMetadata>({
  name: 'metadata',
  summary: 'List the packages in the image of a compose',
  tail: '/metadata',
  render: ({ io }, metadata) => {
    const packages = metadata.packages ?? [];
    io.stdout.write(
      formatTable(
        ['NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH', 'SIGMD5'],
        packages.map((p) => [p.name, p.epoch ?? '0', p.version, p.release, p.arch, p.sigmd5]),
      ),
    );
    if (metadata.ostree_commit) io.stdout.write(`\nostree commit: ${metadata.ostree_commit}\n`);
    io.stderr.write(`(${packages.length} package${packages.length === 1 ? '' : 's'})\n`);
  },
});

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
