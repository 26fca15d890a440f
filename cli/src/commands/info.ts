/** Commands about what the service offers: distros, types, packages, version. */
import { readFileSync } from 'node:fs';
import type { ArchitectureItem, DistributionItem, PackagesResponse, Version } from '../api-types.ts';
import { optionString, type CommandSpec } from '../command.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatJson, formatKeyValues, formatTable } from '../output.ts';
import { integerOption, requireOption } from '../parse.ts';

export const CLI_VERSION: string = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;

const quiet = { name: 'quiet', short: 'q', type: 'boolean', description: 'print names only, one per line' } as const;

export const distros: CommandSpec = {
  path: ['distros'],
  summary: 'List the distributions the service builds',
  options: [quiet],
  examples: ['ibs distros', 'ibs distros --json | jq -r ".[].name"'],
  async run({ client, io, json, options }) {
    const list = await client().get<DistributionItem[]>('/distributions');
    if (json) io.stdout.write(formatJson(list));
    else if (options.quiet) io.stdout.write(list.map((d) => `${d.name}\n`).join(''));
    else io.stdout.write(formatTable(['NAME', 'DESCRIPTION'], list.map((d) => [d.name, d.description])));
    return EXIT.ok;
  },
};

export const types: CommandSpec = {
  path: ['types'],
  summary: 'List image types per distribution and architecture',
  options: [
    { name: 'distro', short: 'd', type: 'string', metavar: 'DISTRO', description: 'only this distribution', complete: 'distro' },
    { name: 'arch', short: 'a', type: 'string', metavar: 'ARCH', description: 'only this architecture', complete: 'arch' },
    { ...quiet, description: 'print image type names only' },
  ],
  examples: ['ibs types --distro test-distro-1 --arch x86_64'],
  async run({ client, io, json, options }) {
    const api = client();
    const distro = optionString(options, 'distro');
    const arch = optionString(options, 'arch');
    const names = distro ? [distro] : (await api.get<DistributionItem[]>('/distributions')).map((d) => d.name);
    const rows: { distribution: string; architecture: string; image_type: string }[] = [];
    for (const name of names) {
      const arches = await api.get<ArchitectureItem[]>(`/architectures/${encodeURIComponent(name)}`);
      const chosen = arches.filter((a) => !arch || a.arch === arch);
      if (arch && distro && chosen.length === 0) {
        throw new CliError(`architecture "${arch}" is not available for ${name} (available: ${arches.map((a) => a.arch).join(', ')})`);
      }
      for (const a of chosen) for (const t of a.image_types) rows.push({ distribution: name, architecture: a.arch, image_type: t });
    }
    if (json) io.stdout.write(formatJson(rows));
    else if (options.quiet) io.stdout.write([...new Set(rows.map((r) => r.image_type))].map((t) => `${t}\n`).join(''));
    else io.stdout.write(formatTable(['DISTRIBUTION', 'ARCH', 'IMAGE TYPE'], rows.map((r) => [r.distribution, r.architecture, r.image_type])));
    return EXIT.ok;
  },
};

export const packagesSearch: CommandSpec = {
  path: ['packages', 'search'],
  summary: 'Search the packages of a distribution',
  args: [{ name: 'TERM', description: 'part of a package name, or a glob such as "python3-*"', required: true }],
  options: [
    { name: 'distro', short: 'd', type: 'string', metavar: 'DISTRO', description: 'distribution (required)', complete: 'distro' },
    { name: 'arch', short: 'a', type: 'string', metavar: 'ARCH', description: 'architecture (required)', complete: 'arch' },
    { name: 'limit', type: 'string', metavar: 'N', description: 'at most N results (default 100)' },
    { name: 'offset', type: 'string', metavar: 'N', description: 'skip the first N results' },
  ],
  examples: ['ibs packages search kernel --distro fedora-43 --arch x86_64'],
  async run({ client, io, json, options, args }) {
    const distro = requireOption(packagesSearch, options, 'distro');
    const arch = requireOption(packagesSearch, options, 'arch');
    const result = await client().get<PackagesResponse>('/packages', {
      distribution: distro,
      architecture: arch,
      search: args[0],
      limit: integerOption(packagesSearch, options, 'limit', 1),
      offset: integerOption(packagesSearch, options, 'offset'),
    });
    if (json) {
      io.stdout.write(formatJson(result));
      return EXIT.ok;
    }
    const evr = (p: PackagesResponse['data'][number]) =>
      p.version ? `${p.epoch && String(p.epoch) !== '0' ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}` : undefined;
    io.stdout.write(formatTable(['NAME', 'VERSION', 'ARCH', 'SUMMARY'], result.data.map((p) => [p.name, evr(p), p.arch, p.summary])));
    const total = result.meta?.count;
    if (total !== undefined && total > result.data.length) io.stderr.write(`(${result.data.length} of ${total} matches; use --limit/--offset for more)\n`);
    return EXIT.ok;
  },
};

export const version: CommandSpec = {
  path: ['version'],
  summary: 'Show the client and service versions',
  examples: ['ibs version --url http://127.0.0.1:8080'],
  async run({ client, io, json }) {
    const api = client();
    const service = await api.get<Version>('/version');
    if (json) io.stdout.write(formatJson({ client: CLI_VERSION, service, url: api.config.apiUrl }));
    else {
      io.stdout.write(
        formatKeyValues([
          ['Client', CLI_VERSION],
          ['Service', `${service.version}${service.build_commit ? ` (${service.build_commit})` : ''}`],
          ['URL', api.config.apiUrl],
        ]),
      );
    }
    return EXIT.ok;
  },
};
