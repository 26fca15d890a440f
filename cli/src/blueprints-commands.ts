/**
 * `ibs blueprints push|list|show|delete|export|compose`: blueprints kept by the service, in the files composer-cli
 * users have (TOML, JSON) and the hosted service's export. Depsolve and freeze are in blueprints-depsolve.ts.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { formatComposerJson } from '../../layers/src/blueprint/composer-blueprint-export.ts';
import { importBlueprint } from '../../layers/src/blueprint/composer-blueprint-import.ts';
import { DomainError } from '../../layers/src/errors.ts';
import {
  BLUEPRINT_ARG,
  type BlueprintDetail,
  fetchComposerExport,
  listAllBlueprints,
  printWarnings,
  resolveBlueprint,
  versionOption,
} from './blueprints-shared.ts';
import { BLUEPRINTS_DEPSOLVE_COMMANDS } from './blueprints-depsolve.ts';
import { commandName, optionList, optionString, type CommandSpec } from './command.ts';
import { defaultArchitecture, WAIT_OPTIONS } from './commands/compose-shared.ts';
import { waitAndReport } from './commands/compose-wait.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { formatJson, formatKeyValues, formatTable } from './output.ts';

const FORMAT_OPTION = { name: 'format', short: 'f', type: 'string', metavar: 'FORMAT', complete: ['toml', 'json', 'hosted'] } as const;

interface ImportReply {
  id: string;
  version: number;
  created: boolean;
  format: string;
  warnings: string[];
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CliError(`cannot read blueprint ${path}: ${reason}`, undefined, { cause: error });
  }
}

export const blueprintsPush: CommandSpec = {
  path: ['blueprints', 'push'],
  summary: 'Store a blueprint file: a new blueprint, or a new version of the one with its name',
  description: `Takes composer-cli TOML, composer JSON (also osbuild/images build configs) or a hosted export JSON.
Composer blueprints name no image types: a new blueprint needs --type (and --distro unless the file has
"distro"); a new version keeps the distribution and image types of the stored one unless given. Keys that
are not blueprint keys, and settings the hosted API cannot build, are listed on stderr (an error with
--strict, checked before anything is sent).`,
  args: [{ name: 'FILE', description: 'blueprint file (.toml or .json)', required: true, variadic: true, complete: 'file' }],
  options: [
    { name: 'distro', short: 'd', type: 'string', metavar: 'DISTRO', description: 'distribution (default: the file\'s "distro", else the stored blueprint\'s)', complete: 'distro' },
    { name: 'type', short: 't', type: 'string', multiple: true, metavar: 'TYPE', description: 'image type of the blueprint (default: the stored blueprint\'s)', complete: 'type' },
    { name: 'arch', short: 'a', type: 'string', metavar: 'ARCH', description: 'architecture of those image types (default: the file\'s, else this machine\'s)', complete: 'arch' },
    { name: 'name', type: 'string', metavar: 'NAME', description: 'blueprint name (default: the file\'s)' },
    { name: 'strict', type: 'boolean', description: 'refuse a file with warnings instead of pushing it' },
  ],
  examples: ['ibs blueprints push http-server.toml --distro fedora-43 --type guest-image', 'ibs blueprints push http-server.toml   # a new version'],
  async run(ctx) {
    const { io, json, options, args } = ctx;
    const name = optionString(options, 'name');
    if (name && args.length > 1) throw new UsageError(`${commandName(blueprintsPush)}: --name takes one FILE`, commandName(blueprintsPush));
    const results: (ImportReply & { file: string })[] = [];
    for (const file of args) {
      const text = readText(file);
      const format = file.endsWith('.json') ? 'json' : file.endsWith('.toml') ? 'toml' : undefined;
      let local;
      try {
        local = importBlueprint(text, format);
      } catch (error) {
        if (error instanceof DomainError) throw new CliError(`blueprint ${file}: ${error.message}`, undefined, { cause: error });
        throw error;
      }
      if (options.strict && local.warnings.length) throw new CliError(`blueprint ${file}: ${local.warnings.join('; ')} (--strict)`);
      const types = optionList(options, 'type');
      const architecture = optionString(options, 'arch') ?? local.architecture ?? defaultArchitecture();
      const reply = await ctx.client().post<ImportReply>('/blueprints/import', {
        blueprint: text,
        ...(format ? { format } : {}),
        ...(name ? { name } : {}),
        ...(optionString(options, 'distro') ? { distribution: optionString(options, 'distro') } : {}),
        ...(types.length ? { image_requests: types.map((image_type) => ({ architecture, image_type })) } : {}),
      });
      if (!json) printWarnings(io, `blueprint ${file}`, reply.warnings);
      results.push({ file, ...reply });
      if (!json) io.stdout.write(`${reply.created ? 'created' : 'updated'} blueprint ${name ?? local.name} (version ${reply.version}, id ${reply.id})\n`);
    }
    if (json) io.stdout.write(formatJson(results));
    return EXIT.ok;
  },
};

export const blueprintsList: CommandSpec = {
  path: ['blueprints', 'list'],
  summary: "List the organization's blueprints, most recently saved first",
  options: [
    { name: 'search', type: 'string', metavar: 'TEXT', description: 'only names or descriptions containing TEXT (any case)' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print the names only' },
  ],
  examples: ['ibs blueprints list', 'ibs blueprints list --search web -q'],
  async run(ctx) {
    const items = await listAllBlueprints(ctx.client(), optionString(ctx.options, 'search'));
    if (ctx.json) ctx.io.stdout.write(formatJson(items));
    else if (ctx.options.quiet) ctx.io.stdout.write(items.map((b) => `${b.name}\n`).join(''));
    else ctx.io.stdout.write(formatTable(['NAME', 'VERSION', 'MODIFIED', 'ID', 'DESCRIPTION'], items.map((b) => [b.name, b.version, b.last_modified_at, b.id, b.description])));
    return EXIT.ok;
  },
};

export const blueprintsShow: CommandSpec = {
  path: ['blueprints', 'show'],
  summary: 'Show a blueprint: its image types, then the blueprint in composer TOML',
  args: [BLUEPRINT_ARG],
  options: [{ name: 'version', type: 'string', metavar: 'N', description: 'a saved version (default: the current one)' }],
  examples: ['ibs blueprints show http-server', 'ibs blueprints show http-server --version 1 --json'],
  async run(ctx) {
    const api = ctx.client();
    const id = await resolveBlueprint(api, blueprintsShow, ctx.args[0]);
    const version = versionOption(blueprintsShow, ctx.options.version);
    const detail = await api.get<BlueprintDetail>(`/blueprints/${id}`, { version });
    if (ctx.json) {
      ctx.io.stdout.write(formatJson(detail));
      return EXIT.ok;
    }
    const exported = await fetchComposerExport(api, id, version);
    ctx.io.stdout.write(
      formatKeyValues([
        ['Name', detail.name],
        ['ID', detail.id],
        ['Version', exported.version],
        ['Description', detail.description],
        ['Distribution', detail.distribution],
        ['Image types', detail.image_requests.map((r) => `${r.image_type} (${r.architecture})`).join(', ')],
      ]),
    );
    ctx.io.stdout.write(`\n${exported.toml}`);
    printWarnings(ctx.io, `blueprint ${detail.name}`, exported.warnings);
    return EXIT.ok;
  },
};

export const blueprintsDelete: CommandSpec = {
  path: ['blueprints', 'delete'],
  summary: 'Delete blueprints (their composes stay; the name becomes free)',
  args: [{ ...BLUEPRINT_ARG, variadic: true }],
  examples: ['ibs blueprints delete http-server'],
  async run(ctx) {
    const api = ctx.client();
    const deleted: string[] = [];
    for (const nameOrId of ctx.args) {
      const id = await resolveBlueprint(api, blueprintsDelete, nameOrId);
      await api.request('DELETE', `/blueprints/${id}`);
      deleted.push(id);
      if (!ctx.json) ctx.io.stdout.write(`deleted blueprint ${nameOrId}\n`);
    }
    if (ctx.json) ctx.io.stdout.write(formatJson({ deleted }));
    return EXIT.ok;
  },
};

export const blueprintsExport: CommandSpec = {
  path: ['blueprints', 'export'],
  summary: 'Write a blueprint as composer TOML or JSON, or in the hosted export shape',
  description: `toml and json are the files composer-cli and image-builder read (user passwords as crypt hashes, as
"composer-cli blueprints save" writes them); hosted is GET /blueprints/{id}/export (no passwords), which the
hosted service's import and "ibs blueprints push" take.`,
  args: [BLUEPRINT_ARG],
  options: [
    { ...FORMAT_OPTION, description: 'toml (default), json or hosted' },
    { name: 'version', type: 'string', metavar: 'N', description: 'a saved version, toml and json only (default: the current one)' },
    { name: 'output', short: 'o', type: 'string', metavar: 'FILE', description: 'write to FILE instead of stdout', complete: 'file' },
  ],
  examples: ['ibs blueprints export http-server > http-server.toml', 'ibs blueprints export http-server -f hosted -o http-server.json'],
  async run(ctx) {
    const { io, options } = ctx;
    const format = optionString(options, 'format') ?? 'toml';
    if (!['toml', 'json', 'hosted'].includes(format)) throw new UsageError(`${commandName(blueprintsExport)}: --format must be toml, json or hosted`, commandName(blueprintsExport));
    const version = versionOption(blueprintsExport, options.version);
    if (format === 'hosted' && version !== undefined) throw new UsageError(`${commandName(blueprintsExport)}: --version works with toml and json only`, commandName(blueprintsExport));
    const api = ctx.client();
    const id = await resolveBlueprint(api, blueprintsExport, ctx.args[0]);
    let text: string;
    if (format === 'hosted') text = formatJson(await api.get(`/blueprints/${id}/export`));
    else {
      const exported = await fetchComposerExport(api, id, version);
      printWarnings(io, `blueprint ${ctx.args[0]}`, exported.warnings);
      text = format === 'toml' ? exported.toml : formatComposerJson(exported.blueprint);
    }
    const output = optionString(options, 'output');
    if (output) await writeFile(output, text);
    else io.stdout.write(text);
    return EXIT.ok;
  },
};

export const blueprintsCompose: CommandSpec = {
  path: ['blueprints', 'compose'],
  summary: "Start composes of a blueprint's current version: one per image type (all, or those given)",
  args: [BLUEPRINT_ARG],
  options: [
    { name: 'type', short: 't', type: 'string', multiple: true, metavar: 'TYPE', description: "only these of the blueprint's image types", complete: 'type' },
    { name: 'wait', short: 'w', type: 'boolean', description: 'wait for every compose to finish (exit 1 if one failed)' },
    { name: 'quiet', short: 'q', type: 'boolean', description: 'print the compose ids only' },
    ...WAIT_OPTIONS,
  ],
  examples: ['ibs blueprints compose http-server', 'ibs blueprints compose http-server --type guest-image --wait'],
  async run(ctx) {
    const { io, json, options } = ctx;
    const api = ctx.client();
    const id = await resolveBlueprint(api, blueprintsCompose, ctx.args[0]);
    const types = optionList(options, 'type');
    const composes = await api.post<{ id: string }[]>(`/blueprints/${id}/compose`, types.length ? { image_types: types } : {});
    if (!options.wait) {
      if (json) io.stdout.write(formatJson(composes));
      else io.stdout.write(composes.map((c) => (options.quiet ? `${c.id}\n` : `compose ${c.id} started\n`)).join(''));
      return EXIT.ok;
    }
    if (!json) io.stderr.write(composes.map((c) => `compose ${c.id} started\n`).join(''));
    let code: number = EXIT.ok;
    for (const c of composes) code = Math.max(code, await waitAndReport(ctx, blueprintsCompose, c.id));
    return code;
  },
};

/** Every `ibs blueprints` verb, in the order help lists them. */
export const BLUEPRINTS_COMMANDS: readonly CommandSpec[] = [
  blueprintsPush,
  blueprintsList,
  blueprintsShow,
  blueprintsDelete,
  ...BLUEPRINTS_DEPSOLVE_COMMANDS,
  blueprintsExport,
  blueprintsCompose,
];
