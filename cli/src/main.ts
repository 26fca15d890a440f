/** `ibs`: routes argv to a command, runs it, and turns every failure into a message on stderr and an exit code. */
import { BLUEPRINTS_COMMANDS } from './blueprints-commands.ts';
import { ApiClient } from './client.ts';
import { commandName, optionString, type CommandContext, type CommandSpec } from './command.ts';
import { COMPOSE_COMMANDS } from './commands/compose.ts';
import { completionCommand } from './commands/completion.ts';
import { CLI_VERSION, distros, packagesSearch, types, version } from './commands/info.ts';
import { depsolve, manifest } from './commands/offline.ts';
import { resolveServiceConfig } from './config.ts';
import { CliError, EXIT, ServiceError, UsageError } from './errors.ts';
import { commandHelp, groupHelp } from './help.ts';
import type { Io } from './output.ts';
import { parseCommandLine, routeCommand } from './parse.ts';
import { tokenCommand } from './token.ts';

export const COMMANDS: readonly CommandSpec[] = [
  distros,
  types,
  packagesSearch,
  ...COMPOSE_COMMANDS,
  ...BLUEPRINTS_COMMANDS,
  manifest,
  depsolve,
  version,
  tokenCommand,
  completionCommand(() => COMMANDS),
];

const defaultIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

function reportError(io: Io, error: unknown, json: boolean): number {
  if (error instanceof CliError) {
    if (json) {
      const body: Record<string, unknown> = { message: error.message, exit_code: error.exitCode };
      if (error instanceof ServiceError) Object.assign(body, { status: error.status, errors: error.errors });
      io.stderr.write(`${JSON.stringify({ error: body })}\n`);
    } else {
      io.stderr.write(`ibs: ${error instanceof ServiceError ? `${error.message} (HTTP ${error.status})` : error.message}\n`);
      if (error instanceof UsageError) io.stderr.write(`Run "${error.command ?? 'ibs'} --help" for usage.\n`);
    }
    return error.exitCode;
  }
  // A bug, not a user mistake: show the stack so it can be reported.
  io.stderr.write(`ibs: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.failed;
}

/** Ctrl-C: leave the terminal on a fresh line (a progress bar may be drawn) and exit as shells expect. */
function handleInterrupt(io: Io): void {
  process.once('SIGINT', () => {
    if (io.stderr.isTTY) io.stderr.write('\r\x1b[2K');
    io.stderr.write('ibs: interrupted\n');
    process.exit(130);
  });
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const json = argv.includes('--json');
  handleInterrupt(io);
  try {
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
      io.stdout.write(`${CLI_VERSION}\n`);
      return EXIT.ok;
    }
    const routed = routeCommand(argv, COMMANDS);
    const wantsHelp = routed.rest.includes('--help') || routed.rest.includes('-h');
    if (!routed.spec) {
      if (routed.unknown !== undefined) {
        const where = routed.words.length ? `ibs ${routed.words.join(' ')}` : 'ibs';
        throw new UsageError(`unknown command "${[...routed.words, routed.unknown].join(' ')}"`, where);
      }
      const unexpected = routed.rest.find((a) => a.startsWith('-') && a !== '--help' && a !== '-h' && a !== '--json');
      if (unexpected && !wantsHelp) throw new UsageError(`unknown option "${unexpected}"`, routed.words.length ? `ibs ${routed.words.join(' ')}` : 'ibs');
      const help = groupHelp(COMMANDS, routed.words, CLI_VERSION);
      // Help asked for is output; help instead of a command is a usage error.
      if (wantsHelp) {
        io.stdout.write(help);
        return EXIT.ok;
      }
      io.stderr.write(help);
      return EXIT.usage;
    }
    const spec = routed.spec;
    const { options, args } = parseCommandLine(spec, routed.rest);
    if (options.help) {
      io.stdout.write(commandHelp(spec));
      return EXIT.ok;
    }
    let client: ApiClient | undefined;
    const ctx: CommandContext = {
      io,
      args,
      options,
      json: Boolean(options.json),
      client: () =>
        (client ??= new ApiClient(
          resolveServiceConfig(
            { url: optionString(options, 'url'), token: optionString(options, 'token'), org: optionString(options, 'org'), config: optionString(options, 'config') },
            io.env,
          ),
        )),
    };
    return await spec.run(ctx);
  } catch (error) {
    return reportError(io, error, json);
  }
}

export { commandName };
