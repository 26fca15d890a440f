/** --help text, generated from the command specs so it never disagrees with the parser. */
import { GLOBAL_OPTIONS, commandName, type CommandSpec, type OptionSpec } from './command.ts';

const optionLabel = (o: OptionSpec): string =>
  `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.type === 'string' ? ` ${o.metavar ?? 'VALUE'}` : ''}`;

function optionLines(options: OptionSpec[]): string[] {
  const width = Math.max(...options.map((o) => optionLabel(o).length));
  return options.map((o) => `  ${optionLabel(o).padEnd(width)}  ${o.description}${o.multiple ? ' (repeatable)' : ''}`);
}

export function usageLine(spec: CommandSpec): string {
  const args = (spec.args ?? []).map((a) => {
    const word = `${a.name}${a.variadic ? '...' : ''}`;
    return a.required ? word : `[${word}]`;
  });
  return [commandName(spec), ...(spec.options?.length ? ['[options]'] : []), ...args].join(' ');
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, '', spec.summary];
  if (spec.description) lines.push('', spec.description.trim());
  if (spec.args?.length) {
    const width = Math.max(...spec.args.map((a) => a.name.length));
    lines.push('', 'Arguments:', ...spec.args.map((a) => `  ${a.name.padEnd(width)}  ${a.description}`));
  }
  if (spec.options?.length) lines.push('', 'Options:', ...optionLines(spec.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  lines.push('', spec.examples.length > 1 ? 'Examples:' : 'Example:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

/** Help for `ibs` itself or for a group (`ibs compose`): the commands below it. */
export function groupHelp(commands: readonly CommandSpec[], group: string[], version: string): string {
  const below = commands.filter((c) => group.every((w, i) => c.path[i] === w));
  const width = Math.max(...below.map((c) => usageLine(c).length));
  const lines =
    group.length === 0
      ? [`ibs ${version} - command-line client for image-builder-serverless`, '', 'Usage: ibs COMMAND [options]']
      : [`Usage: ibs ${group.join(' ')} COMMAND [options]`];
  lines.push('', 'Commands:', ...below.map((c) => `  ${usageLine(c).padEnd(width)}  ${c.summary}`));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  lines.push(
    '',
    'Exit codes: 0 ok, 1 the thing asked failed, 2 usage error, 3 service unreachable.',
    `Run "ibs ${group.length ? `${group.join(' ')} ` : ''}COMMAND --help" for a command's options and an example.`,
  );
  if (group.length === 0) {
    lines.push('', 'Example:', '  ibs compose start --distro test-distro-1 --type tar --blueprint my.toml --wait');
  }
  return `${lines.join('\n')}\n`;
}
