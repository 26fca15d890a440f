/**
 * Commands that need no service: `ibs manifest` (the manifest a compose would build) and `ibs depsolve` (a package
 * set resolved from RPM repositories). Both run the same library code as the service's manifest worker.
 */
import { type PresentedPackage, presentPackage } from '../../../layers/src/api/present-package.ts';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RepoDepsolver } from '../../../layers/src/depsolve/index.ts';
import type { Distribution, ManifestRequest } from '../../../layers/src/distro/distribution.ts';
import { DomainError } from '../../../layers/src/errors.ts';
import { nevra, type RepositoryConfig } from '../../../layers/src/packages/package-set.ts';
import { commandName, optionList, optionString, type CommandContext, type CommandSpec, type OptionSpec } from '../command.ts';
import { CliError, EXIT, UsageError } from '../errors.ts';
import { formatJson, formatTable, type Io } from '../output.ts';
import { requireOption, SIZE_HELP, sizeOption } from '../parse.ts';
import { defaultArchitecture } from './compose.ts';

const REPO_OPTION: OptionSpec = {
  name: 'repo',
  type: 'string',
  multiple: true,
  metavar: '[ID=]URL',
  description: "repository baseurl replacing the distribution's default repositories",
};
const REMOTE_OPTION: OptionSpec = {
  name: 'remote',
  type: 'boolean',
  description: 'ask the service instead of working offline (uses --url/IBS_URL)',
};
const CACHE_OPTION: OptionSpec = {
  name: 'cache-dir',
  type: 'string',
  metavar: 'DIR',
  description: 'repository index cache (env IBS_CACHE_DIR; default ~/.cache/ibs)',
  complete: 'dir',
};

export function cacheDir(options: CommandContext['options'], env: NodeJS.ProcessEnv): string {
  return (
    optionString(options, 'cache-dir') ??
    env.IBS_CACHE_DIR ??
    (env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'ibs') : join(env.HOME ?? homedir(), '.cache', 'ibs'))
  );
}

/** A depsolver whose repository indexes persist in the cache directory between runs. */
async function makeDepsolver(dir: string): Promise<RepoDepsolver> {
  const [{ FsBlobStore }, { RepoDepsolver }] = await Promise.all([
    import('../../../layers/src/adapters/embedded/fs-blob-store.ts'),
    import('../../../layers/src/depsolve/index.ts'),
  ]);
  // Download URLs are never asked of this store; the signing values only satisfy the constructor.
  const blobStore = new FsBlobStore({ root: dir, publicBaseUrl: 'http://127.0.0.1/', signingKey: randomBytes(32) });
  return new RepoDepsolver({ blobStore });
}

/** `--repo URL` or `--repo ID=URL` → repository configs (ids repo1, repo2... by default). */
export function repositoriesFromFlags(spec: CommandSpec, values: string[]): RepositoryConfig[] {
  return values.map((value, i) => {
    const m = /^([A-Za-z0-9_.:-]+)=(.+)$/.exec(value);
    const [id, url] = m && !m[1].includes(':') ? [m[1], m[2]] : [`repo${i + 1}`, value];
    try {
      const parsed = new URL(url);
      if (!['http:', 'https:', 'file:'].includes(parsed.protocol)) throw new Error('not http(s) or file');
    } catch {
      throw new UsageError(`${commandName(spec)}: --repo "${value}" is not a repository URL`, commandName(spec));
    }
    return { id, baseurl: [url], checkGpg: false };
  });
}

/** Library validation errors carry the field; shown like the service shows them. */
function asCliError(error: unknown): never {
  if (error instanceof DomainError) throw new CliError(error.message, EXIT.failed, { cause: error });
  throw error;
}

function warnUnknownKeys(io: Io, file: { path: string; unknownKeys: string[] }, strict: boolean): void {
  if (!file.unknownKeys.length) return;
  const message = `blueprint ${file.path}: unknown key${file.unknownKeys.length > 1 ? 's' : ''} ${file.unknownKeys.join(', ')}`;
  if (strict) throw new CliError(`${message} (--strict)`);
  io.stderr.write(`ibs: warning: ${message} (ignored)\n`);
}

export const manifest: CommandSpec = {
  path: ['manifest'],
  summary: 'Generate the osbuild manifest of an image offline (no service)',
  description: `Runs the service's manifest generation locally: packages are resolved from the distribution's
repositories (or --repo), and the manifest is printed as osbuild reads it. The blueprint goes through the same
API conversion as "ibs compose start", so the result is what a compose would build. The seed defaults to a hash
of the request, so the same inputs give the same manifest; --json adds the package list and pipeline ids.`,
  options: [
    { name: 'distro', short: 'd', type: 'string', metavar: 'DISTRO', description: 'distribution (default: the blueprint\'s "distro")', complete: 'distro' },
    { name: 'type', short: 't', type: 'string', metavar: 'TYPE', description: 'image type (required)', complete: 'type' },
    { name: 'arch', short: 'a', type: 'string', metavar: 'ARCH', description: 'architecture (default: the blueprint\'s, else this machine\'s)', complete: 'arch' },
    { name: 'blueprint', short: 'b', type: 'string', metavar: 'FILE', description: 'blueprint file (.toml or .json)', complete: 'file' },
    { name: 'size', type: 'string', metavar: 'SIZE', description: SIZE_HELP },
    { name: 'seed', type: 'string', metavar: 'SEED', description: 'seed for UUIDs and salts (default: derived from the request)' },
    REPO_OPTION,
    { name: 'output', short: 'o', type: 'string', metavar: 'FILE', description: 'write the manifest to FILE instead of stdout', complete: 'file' },
    { name: 'strict', type: 'boolean', description: 'unknown blueprint keys are an error, not a warning' },
    CACHE_OPTION,
    REMOTE_OPTION,
  ],
  examples: [
    'ibs manifest --distro test-distro-1 --type tar --arch x86_64 --blueprint motd.toml > manifest.json',
    'ibs manifest -d fedora-44 -t guest-image -b web.toml --remote --json | jq .pipelines',
  ],
  offline: true,
  async run(ctx) {
    const { io, json, options } = ctx;
    if (options.remote) return previewRemotely(ctx);
    // The generator and depsolver load only when used, keeping every other command quick to start.
    const [{ apiCustomizationsFromBlueprint, readBlueprintFile }, { blueprintFromApiCustomizations }, registry, { pipelineIdsByName }, { generateManifest }] =
      await Promise.all([
        import('../blueprint-request.ts'),
        import('../../../layers/src/blueprint/from-api-customizations.ts'),
        import('../../../layers/src/distro/registry.ts'),
        import('../../../layers/src/manifest/ids.ts'),
        import('../../../layers/src/service/generate-compose-manifest.ts'),
      ]);
    const { findArchitecture, findDistribution, findImageType } = registry;
    const file = optionString(options, 'blueprint');
    const parsed = file ? readBlueprintFile(file) : undefined;
    if (parsed) warnUnknownKeys(io, parsed, Boolean(options.strict));
    const distroName = requireOption(manifest, options, 'distro', parsed?.blueprint.distro);
    const imageTypeName = requireOption(manifest, options, 'type');
    const archName = optionString(options, 'arch') ?? parsed?.blueprint.arch ?? defaultArchitecture();
    const size = sizeOption(manifest, options) ?? 0;
    const repos = repositoriesFromFlags(manifest, optionList(options, 'repo'));
    try {
      const distro = findDistribution(distroName, '--distro');
      const arch = findArchitecture(distro, archName, '--arch');
      const imageType = findImageType(distro, arch, imageTypeName, '--type');
      // Through the API shape, exactly as the service sees a compose request made from this blueprint.
      const customizations = parsed ? apiCustomizationsFromBlueprint(parsed.blueprint) : undefined;
      const blueprint = blueprintFromApiCustomizations(customizations);
      const seed =
        optionString(options, 'seed') ??
        createHash('sha256').update(JSON.stringify([distro.name, arch.name, imageType.name, size, customizations ?? null, repos])).digest('hex').slice(0, 32);
      const request: ManifestRequest = {
        distribution: distro.name,
        architecture: arch.name,
        imageType: imageType.name,
        size,
        blueprint,
        seed,
        ...(repos.length ? { repositories: repos } : {}),
      };
      const { generated, packages } = await generateManifest({ depsolver: await makeDepsolver(cacheDir(options, io.env)) }, request);
      const ids = pipelineIdsByName(generated.manifest);
      await printPreview(io, json, optionString(options, 'output'), {
        manifest: generated.manifest,
        packages: Object.fromEntries(Object.entries(packages).map(([set, list]) => [set, list.map(presentPackage)])),
        pipelines: [...ids].map(([name, id]) => ({ name, id })),
        exports: generated.exports,
        filename: generated.filename,
        seed,
      });
      return EXIT.ok;
    } catch (error) {
      asCliError(error);
    }
  },
};

/** `ibs manifest --remote`: POST /manifest with the compose request "ibs compose start" would send. */
async function previewRemotely(ctx: CommandContext): Promise<number> {
  const { io, json, options } = ctx;
  for (const flag of ['repo', 'seed', 'cache-dir']) {
    if (options[flag] !== undefined) throw new UsageError(`${commandName(manifest)}: --${flag} works offline only, not with --remote`, commandName(manifest));
  }
  const { readBlueprintFile, composeRequestFrom } = await import('../blueprint-request.ts');
  const file = optionString(options, 'blueprint');
  const parsed = file ? readBlueprintFile(file) : undefined;
  if (parsed) warnUnknownKeys(io, parsed, Boolean(options.strict));
  const size = sizeOption(manifest, options);
  const body = composeRequestFrom({
    distribution: requireOption(manifest, options, 'distro', parsed?.blueprint.distro),
    architecture: optionString(options, 'arch') ?? parsed?.blueprint.arch ?? defaultArchitecture(),
    imageType: requireOption(manifest, options, 'type'),
    blueprint: parsed?.blueprint,
    size,
  });
  const preview = await ctx.client().post<ManifestPreview>('/manifest', body);
  await printPreview(io, json, optionString(options, 'output'), preview);
  return EXIT.ok;
}

const withNevra = (p: PresentedPackage) => ({ ...p, nevra: nevra(p) });

function printPackages(io: Io, json: boolean, list: PresentedPackage[]): void {
  if (json) {
    io.stdout.write(formatJson(list.map(withNevra)));
    return;
  }
  io.stdout.write(formatTable(['NEVRA', 'REPOSITORY', 'CHECKSUM', 'URL'], list.map((p) => [nevra(p), p.repository, p.checksum, p.url])));
  io.stderr.write(`(${list.length} package${list.length === 1 ? '' : 's'})\n`);
}

interface ManifestPreview {
  manifest: { pipelines: unknown[] };
  packages: Record<string, PresentedPackage[]>;
  pipelines: { name: string; id: string | null }[];
  exports: string[];
  filename?: string;
  seed?: string;
}

/** Prints a preview: the manifest itself (or to --output), or everything with --json. */
async function printPreview(io: Io, json: boolean, output: string | undefined, preview: ManifestPreview): Promise<void> {
  const text = `${JSON.stringify(preview.manifest, null, 2)}\n`;
  if (output) await writeFile(output, text);
  if (json) io.stdout.write(formatJson({ ...preview, packages: Object.fromEntries(Object.entries(preview.packages).map(([k, v]) => [k, v.map(withNevra)])) }));
  else if (output) {
    const count = Object.values(preview.packages).reduce((n, l) => n + l.length, 0);
    io.stderr.write(`wrote ${output}: ${preview.manifest.pipelines.length} pipelines, ${count} packages, exports ${preview.exports.join(', ')}\n`);
  } else io.stdout.write(text);
}

function defaultRepositories(distro: Distribution | undefined, archName: string, findArchitecture: (d: Distribution, a: string, f: string) => Distribution['architectures'][number]): RepositoryConfig[] {
  if (!distro) throw new UsageError(`${commandName(depsolve)}: --distro or --repo is required`, commandName(depsolve));
  const arch = findArchitecture(distro, archName, '--arch');
  if (!arch.repositories.length) throw new CliError(`${distro.name} ${arch.name} has no default repositories; pass --repo URL`);
  return [...arch.repositories];
}

export const depsolve: CommandSpec = {
  path: ['depsolve'],
  summary: 'Resolve packages and groups offline, as a compose would (no service)',
  description: `Resolves the packages from the distribution's default repositories, or from --repo (which replaces
them), the way dnf does. A request that cannot be satisfied exits 1 with dnf's problem text on stderr.`,
  args: [{ name: 'PACKAGE', description: 'package name, provide or glob; @GROUP for a package group', required: true, variadic: true }],
  options: [
    { name: 'distro', short: 'd', type: 'string', metavar: 'DISTRO', description: 'distribution (its repositories and $releasever)', complete: 'distro' },
    { name: 'arch', short: 'a', type: 'string', metavar: 'ARCH', description: "architecture (default: this machine's)", complete: 'arch' },
    REPO_OPTION,
    { name: 'exclude', short: 'x', type: 'string', multiple: true, metavar: 'PACKAGE', description: 'never install this package (glob allowed)' },
    { name: 'no-weak-deps', type: 'boolean', description: 'do not install weak dependencies (Recommends, Supplements)' },
    { name: 'releasever', type: 'string', metavar: 'VER', description: "$releasever for repository URLs (default: the distribution's)" },
    CACHE_OPTION,
    REMOTE_OPTION,
  ],
  examples: [
    'ibs depsolve --distro fedora-43 --arch x86_64 @core kernel openssh-server',
    'ibs depsolve --repo http://127.0.0.1:8000/repo --arch x86_64 bash --json',
    'ibs depsolve --remote --distro fedora-44 --arch aarch64 tmux',
  ],
  offline: true,
  async run(ctx) {
    const { io, json, options, args } = ctx;
    const archName = optionString(options, 'arch') ?? defaultArchitecture();
    const repos = repositoriesFromFlags(depsolve, optionList(options, 'repo'));
    if (options.remote) {
      for (const flag of ['releasever', 'cache-dir']) {
        if (options[flag] !== undefined) throw new UsageError(`${commandName(depsolve)}: --${flag} works offline only, not with --remote`, commandName(depsolve));
      }
      const response = await ctx.client().post<{ packages: PresentedPackage[] }>('/depsolve', {
        distribution: requireOption(depsolve, options, 'distro'),
        architecture: archName,
        packages: args,
        exclude: optionList(options, 'exclude'),
        install_weak_deps: !options['no-weak-deps'],
        ...(repos.length ? { repositories: repos.map((r) => ({ id: r.id, baseurl: r.baseurl, check_gpg: false })) } : {}),
      });
      printPackages(io, json, response.packages);
      return EXIT.ok;
    }
    const { findArchitecture, findDistribution } = await import('../../../layers/src/distro/registry.ts');
    try {
      const distroName = optionString(options, 'distro');
      const distro = distroName ? findDistribution(distroName, '--distro') : undefined;
      if (distro) findArchitecture(distro, archName, '--arch');
      const repositories = repos.length ? repos : defaultRepositories(distro, archName, findArchitecture);
      const solver = await makeDepsolver(cacheDir(options, io.env));
      const resolved = await solver.resolveSet(
        { include: args, exclude: optionList(options, 'exclude'), repositories, installWeakDeps: !options['no-weak-deps'] },
        { architecture: archName, releasever: optionString(options, 'releasever') ?? distro?.releasever ?? '' },
      );
      printPackages(io, json, resolved.map(presentPackage));
      return EXIT.ok;
    } catch (error) {
      asCliError(error);
    }
  },
};
