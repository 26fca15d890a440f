/** Routing `argv` to a command and parsing its options (node:util parseArgs, strict). */
import { parseArgs } from 'node:util';
import { GLOBAL_OPTIONS, GLOBAL_VALUE_OPTIONS, commandName, type CommandSpec, type OptionSpec, type OptionValues } from './command.ts';
import { UsageError } from './errors.ts';
import { parseCliSize } from '../../layers/src/blueprint/sizes.ts';
import { ValidationError } from '../../layers/src/errors.ts';

export interface Routed {
  /** The command, when the words name one. */
  spec?: CommandSpec;
  /** The command words found (a group such as ["compose"] when no subcommand followed). */
  words: string[];
  /** argv without the command words. */
  rest: string[];
  /** A word that names no command (after `words`). */
  unknown?: string;
}

/** Finds the command words among argv, skipping options (and the values of global options) placed before them. */
export function routeCommand(argv: string[], commands: readonly CommandSpec[]): Routed {
  const words: string[] = [];
  const rest: string[] = [];
  let spec: CommandSpec | undefined;
  let unknown: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (spec || unknown !== undefined || token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (token.startsWith('-') && token !== '-') {
      rest.push(token);
      if (GLOBAL_VALUE_OPTIONS.has(token) && i + 1 < argv.length) rest.push(argv[++i]);
      continue;
    }
    const candidate = [...words, token];
    const prefixed = commands.filter((c) => candidate.every((w, j) => c.path[j] === w));
    if (prefixed.length === 0) {
      unknown = token;
      rest.push(token);
      continue;
    }
    words.push(token);
    spec = prefixed.find((c) => c.path.length === candidate.length);
  }
  return { spec, words, rest, unknown };
}

function parseOptionsConfig(options: OptionSpec[]) {
  return Object.fromEntries(
    options.map((o) => [o.name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  ) as Parameters<typeof parseArgs>[0] extends infer C ? (C extends { options?: infer O } ? O : never) : never;
}

export interface Parsed {
  options: OptionValues;
  args: string[];
}

/** Parses a command's options and positionals; every mistake is a UsageError naming the command. */
export function parseCommandLine(spec: CommandSpec, rest: string[]): Parsed {
  const name = commandName(spec);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: parseOptionsConfig([...GLOBAL_OPTIONS, ...(spec.options ?? [])]), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${name}: ${cleanParseError((error as Error).message)}`, name);
  }
  const options = parsed.values as OptionValues;
  if (options.help) return { options, args: parsed.positionals };
  const specArgs = spec.args ?? [];
  const required = specArgs.filter((a) => a.required).length;
  const variadic = specArgs.some((a) => a.variadic);
  if (parsed.positionals.length < required) {
    const missing = specArgs.filter((a) => a.required)[parsed.positionals.length];
    throw new UsageError(`${name}: missing ${missing.name}`, name);
  }
  if (!variadic && parsed.positionals.length > specArgs.length) {
    throw new UsageError(`${name}: unexpected argument "${parsed.positionals[specArgs.length]}"`, name);
  }
  return { options, args: parsed.positionals };
}

/** parseArgs messages carry advice meant for programmers ("To specify a positional argument..."); keep the first sentence. */
const cleanParseError = (message: string): string => message.split(/\. To |\n/)[0].replace(/^Unknown option/, 'unknown option').replace(/^Option/, 'option');

export function requireOption(spec: CommandSpec, options: OptionValues, name: string, fallback?: string): string {
  const value = options[name];
  if (typeof value === 'string' && value !== '') return value;
  if (fallback) return fallback;
  throw new UsageError(`${commandName(spec)}: --${name} is required`, commandName(spec));
}

export function integerOption(spec: CommandSpec, options: OptionValues, name: string, min = 0): number | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || n < min) {
    throw new UsageError(`${commandName(spec)}: --${name} must be a number ≥ ${min}, got "${String(value)}"`, commandName(spec));
  }
  return n;
}

/** Help text of every `--size` option: one place, so the commands and docs/cli.md say the same. */
export const SIZE_HELP = 'image size: MiB as a bare number (as composer-cli), or with a unit: 4GiB, 4096MiB, 10G, 512M, 1TB, 4294967296B';

/** `--size` in bytes: a bare number is MiB as in composer-cli, else a size with a unit; a UsageError otherwise. */
export function sizeOption(spec: CommandSpec, options: OptionValues, name = 'size'): number | undefined {
  const value = options[name];
  if (typeof value !== 'string') return undefined;
  try {
    return parseCliSize(value, `--${name}`);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new UsageError(`${commandName(spec)}: ${error.message}`, commandName(spec), { cause: error });
  }
}
