/** `ibs compose start`: a blueprint file → `POST /compose`, optionally waiting for the result. */
import { formatJson } from '../output.ts';
import { optionString, type CommandSpec } from '../command.ts';
import { CliError, EXIT } from '../errors.ts';
import { requireOption, SIZE_HELP, sizeOption } from '../parse.ts';
import { defaultArchitecture, WAIT_OPTIONS } from './compose-shared.ts';
import { waitAndReport } from './compose-wait.ts';

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
    { name: 'size', type: 'string', metavar: 'SIZE', description: `${SIZE_HELP}; default: the type's` },
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
    const { readBlueprintFile, composeRequestFrom } = await import('../blueprint-request.ts');
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
    const size = sizeOption(composeStart, options);
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
