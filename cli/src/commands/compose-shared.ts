/** What the `ibs compose` commands share: the compose id argument, API paths, the wait options, the default arch. */
import { arch as hostArch } from 'node:os';
import { formatJson } from '../output.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { ApiClient } from '../client.ts';
import { commandName, type ArgSpec, type CommandContext, type CommandSpec, type OptionSpec } from '../command.ts';

export const ID_ARG: ArgSpec = { name: 'ID', description: 'compose id (from "ibs compose list")', required: true, complete: 'compose-id' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The compose id argument, lower-cased; a UsageError naming the command when it is not a UUID. */
export function composeId(spec: CommandSpec, args: string[]): string {
  const id = args[0];
  if (!UUID.test(id)) throw new UsageError(`${commandName(spec)}: "${id}" is not a compose id (a UUID)`, commandName(spec));
  return id.toLowerCase();
}

export const composePath = (id: string, tail = '') => `/composes/${id}${tail}`;

/** The runner's architecture names for this machine, the default for --arch. */
export function defaultArchitecture(): string {
  const a = hostArch();
  return a === 'x64' ? 'x86_64' : a === 'arm64' ? 'aarch64' : a;
}

export const WAIT_OPTIONS: OptionSpec[] = [
  { name: 'timeout', type: 'string', metavar: 'SECONDS', description: 'give up (exit 1) after this long; default: no limit' },
  { name: 'interval', type: 'string', metavar: 'SECONDS', description: 'seconds between status checks (default 1)' },
];

/** An example compose id for help texts. */
export const EXAMPLE_ID = '0b5e0f53-64b2-4c53-8e0f-6b4b25d3b2a1';

interface ResourceCommand<T> {
  /** The word after `ibs compose`. */
  name: string;
  summary: string;
  description?: string;
  /** Path below `/composes/ID` ('' for the compose itself). */
  tail: string;
  /** Appended to the example command line (e.g. "> manifest.json"). */
  exampleTail?: string;
  /** Writes the human form; --json prints the API response as it is instead. */
  render: (ctx: CommandContext, value: T, id: string, api: ApiClient) => Promise<void> | void;
}

/** A command that shows one compose resource (`GET /composes/ID<tail>`). */
export function composeResourceCommand<T>(def: ResourceCommand<T>): CommandSpec {
  const spec: CommandSpec = {
    path: ['compose', def.name],
    summary: def.summary,
    ...(def.description ? { description: def.description } : {}),
    args: [ID_ARG],
    examples: [`ibs compose ${def.name} ${EXAMPLE_ID}${def.exampleTail ? ` ${def.exampleTail}` : ''}`],
    async run(ctx) {
      const id = composeId(spec, ctx.args);
      const api = ctx.client();
      const value = await api.get<T>(composePath(id, def.tail));
      if (ctx.json) ctx.io.stdout.write(formatJson(value));
      else await def.render(ctx, value, id, api);
      return EXIT.ok;
    },
  };
  return spec;
}
