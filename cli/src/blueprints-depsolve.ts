/**
 * `ibs blueprints depsolve|freeze`: a stored blueprint's packages resolved by the service (POST /depsolve, from the
 * distribution's repositories), listed, or written back into the blueprint as exact versions like composer-cli does.
 */
import type { PresentedPackage } from '../../layers/src/api/present-package.ts';
import { formatComposerJson, formatComposerToml } from '../../layers/src/blueprint/composer-blueprint-export.ts';
import { evraOf, freezeBlueprint } from '../../layers/src/blueprint/freeze-blueprint.ts';
import { nevra } from '../../layers/src/packages/package-set.ts';
import type { ApiClient } from './client.ts';
import { BLUEPRINT_ARG, type BlueprintDetail, fetchComposerExport, printWarnings, resolveBlueprint } from './blueprints-shared.ts';
import { commandName, optionList, optionString, type CommandContext, type CommandSpec } from './command.ts';
import { repositoriesFromFlags } from './commands/offline.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { formatJson, formatTable } from './output.ts';

const ARCH_OPTION = {
  name: 'arch',
  short: 'a',
  type: 'string',
  metavar: 'ARCH',
  description: "architecture (default: the blueprint's first image request's)",
  complete: 'arch',
} as const;
const REPO_OPTION = {
  name: 'repo',
  type: 'string',
  multiple: true,
  metavar: '[ID=]URL',
  description: "repository baseurl replacing the distribution's repositories (a local mirror)",
} as const;

interface Depsolved {
  detail: BlueprintDetail;
  architecture: string;
  packages: PresentedPackage[];
}

/** The current version's packages (as its composes install them) resolved for its distribution. */
async function depsolveStored(ctx: CommandContext, spec: CommandSpec, api: ApiClient): Promise<Depsolved> {
  const id = await resolveBlueprint(api, spec, ctx.args[0]);
  const detail = await api.get<BlueprintDetail>(`/blueprints/${id}`);
  const architecture = optionString(ctx.options, 'arch') ?? detail.image_requests[0]?.architecture;
  if (!architecture) throw new UsageError(`${commandName(spec)}: --arch is required (the blueprint has no image requests)`, commandName(spec));
  if (!detail.distribution) throw new CliError(`blueprint ${detail.name} names no distribution`);
  const specs = Array.isArray(detail.customizations.packages) ? (detail.customizations.packages as string[]) : [];
  if (specs.length === 0) return { detail, architecture, packages: [] };
  const repos = repositoriesFromFlags(spec, optionList(ctx.options, 'repo')).map((r) => ({ id: r.id, baseurl: r.baseurl, check_gpg: false }));
  const { packages } = await api.post<{ packages: PresentedPackage[] }>('/depsolve', {
    distribution: detail.distribution,
    architecture,
    packages: specs,
    ...(repos.length ? { repositories: repos } : {}),
  });
  return { detail, architecture, packages };
}

export const blueprintsDepsolve: CommandSpec = {
  path: ['blueprints', 'depsolve'],
  summary: "Resolve a blueprint's packages and their dependencies (the service's depsolver)",
  description: `Resolves the current version's packages and groups for its distribution and architecture from the
distribution's repositories (or --repo), as a compose installs them on top of the image type's own packages.`,
  args: [BLUEPRINT_ARG],
  options: [ARCH_OPTION, REPO_OPTION],
  examples: ['ibs blueprints depsolve http-server', 'ibs blueprints depsolve http-server --arch aarch64 --json'],
  async run(ctx) {
    const { detail, architecture, packages } = await depsolveStored(ctx, blueprintsDepsolve, ctx.client());
    if (ctx.json) {
      ctx.io.stdout.write(formatJson({ blueprint: { id: detail.id, name: detail.name }, distribution: detail.distribution, architecture, packages }));
      return EXIT.ok;
    }
    ctx.io.stderr.write(`blueprint ${detail.name}: ${detail.distribution} ${architecture}, ${packages.length} package${packages.length === 1 ? '' : 's'}\n`);
    if (packages.length) ctx.io.stdout.write(formatTable(['NEVRA', 'REPOSITORY'], packages.map((p) => [nevra(p), p.repository])));
    return EXIT.ok;
  },
};

export const blueprintsFreeze: CommandSpec = {
  path: ['blueprints', 'freeze'],
  summary: 'Print a blueprint with the exact package versions it resolves to, like composer-cli',
  description: `Each package and module gets the version it depsolves to now (version-release.arch, with "epoch:" when
not 0; a glob becomes every package it matches). Push the output to pin the versions.`,
  args: [BLUEPRINT_ARG],
  options: [ARCH_OPTION, REPO_OPTION, { name: 'format', short: 'f', type: 'string', metavar: 'FORMAT', description: 'toml (default) or json', complete: ['toml', 'json'] }],
  examples: ['ibs blueprints freeze http-server > http-server-frozen.toml'],
  async run(ctx) {
    const format = optionString(ctx.options, 'format') ?? 'toml';
    if (format !== 'toml' && format !== 'json') throw new UsageError(`${commandName(blueprintsFreeze)}: --format must be toml or json`, commandName(blueprintsFreeze));
    const api = ctx.client();
    const { detail, packages } = await depsolveStored(ctx, blueprintsFreeze, api);
    const exported = await fetchComposerExport(api, detail.id);
    printWarnings(ctx.io, `blueprint ${detail.name}`, exported.warnings);
    const { blueprint, missing } = freezeBlueprint(exported.blueprint, packages);
    if (missing.length) throw new CliError(`blueprint ${detail.name}: not in the depsolve result: ${missing.join(', ')}`);
    if (ctx.json) ctx.io.stdout.write(formatJson({ blueprint, packages: packages.map((p) => ({ name: p.name, evra: evraOf(p) })) }));
    else ctx.io.stdout.write(format === 'toml' ? formatComposerToml(blueprint) : formatComposerJson(blueprint));
    return EXIT.ok;
  },
};

export const BLUEPRINTS_DEPSOLVE_COMMANDS = [blueprintsDepsolve, blueprintsFreeze];
