// Command line of osbuild 191 (main_cli.parse_arguments), with argparse's behaviour: `--opt value` and
// `--opt=value`, unique-prefix abbreviations, repeatable --export/--checkpoint, usage errors → exit 2.
const OPTIONS = [
  { names: ['-h', '--help'], dest: 'help', flag: true, help: 'show this help message and exit' },
  { names: ['--cache', '--store'], dest: 'cache', metavar: 'DIRECTORY', help: 'directory where sources and intermediary os trees are stored' },
  { names: ['-l', '--libdir'], dest: 'libdir', metavar: 'DIRECTORY', help: 'directory containing stages, assemblers, and the osbuild library' },
  { names: ['--cache-max-size'], dest: 'cacheMaxSize', metavar: 'SIZE', type: parseSize, typeName: 'parse_size', help: "maximum size of the cache (bytes) or 'unlimited' for no restriction" },
  { names: ['--checkpoint'], dest: 'checkpoint', metavar: 'ID', append: true, help: 'stage to commit to the object store during build (can be passed multiple times), accepts globs' },
  { names: ['--export'], dest: 'export', metavar: 'ID', append: true, help: 'object to export, can be passed multiple times' },
  { names: ['--in-vm'], dest: 'inVm', metavar: 'ID', append: true, help: 'Run a pipeline in a VM' },
  { names: ['--json'], dest: 'json', flag: true, help: 'output results in JSON format' },
  { names: ['--output-directory'], dest: 'outputDirectory', metavar: 'DIRECTORY', help: 'directory where result objects are stored' },
  { names: ['--inspect'], dest: 'inspect', flag: true, help: 'return the manifest in JSON format including all the ids' },
  { names: ['--monitor'], dest: 'monitor', metavar: 'NAME', help: 'name of the monitor to be used' },
  { names: ['--monitor-fd'], dest: 'monitorFd', metavar: 'FD', type: parseIntArg, typeName: 'int', help: 'file descriptor to be used for the monitor' },
  { names: ['--stage-timeout'], dest: 'stageTimeout', metavar: 'STAGE_TIMEOUT', type: parseIntArg, typeName: 'int', help: 'set the maximal time (in seconds) each stage is allowed to run' },
  { names: ['--version'], dest: 'version', flag: true, help: 'return the version of osbuild' },
  { names: ['--break'], dest: 'debugBreak', metavar: 'DEBUG_BREAK', optionalValue: '*', help: 'open debug shell when executing stage. Accepts stage name or id or * (for all)' },
  { names: ['--rundir'], dest: 'rundir', metavar: 'DIRECTORY', help: 'directory for temporary runtime data' },
  { names: ['--quiet', '-q'], dest: 'quiet', flag: true, help: 'suppress normal output' },
];

export const VERSION = '191';

export class UsageError extends Error {}

function parseIntArg(s) {
  if (!/^\s*[-+]?\d+\s*$/.test(s)) throw new TypeError();
  return Number(s);
}

/** main_cli's parse_size: bytes, kB/KiB/MB/MiB/GB/GiB/TB/TiB, or 'unlimited'. */
export function parseSize(s) {
  const units = [
    [/^\s*(\d+)\s*kB$/, 1000, 1],
    [/^\s*(\d+)\s*KiB$/, 1024, 1],
    [/^\s*(\d+)\s*MB$/, 1000, 2],
    [/^\s*(\d+)\s*MiB$/, 1024, 2],
    [/^\s*(\d+)\s*GB$/, 1000, 3],
    [/^\s*(\d+)\s*GiB$/, 1024, 3],
    [/^\s*(\d+)\s*TB$/, 1000, 4],
    [/^\s*(\d+)\s*TiB$/, 1024, 4],
    [/^\s*(\d+)$/, 1, 1],
  ];
  for (const [re, base, power] of units) {
    const m = re.exec(s);
    if (m) return Number(m[1]) * base ** power;
  }
  if (s === 'unlimited') return 'unlimited';
  throw new TypeError(`invalid size value: '${s}'`);
}

export function usage() {
  return (
    'usage: osbuild [-h] [--cache DIRECTORY] [-l DIRECTORY] [--cache-max-size SIZE]\n' +
    '               [--checkpoint ID] [--export ID] [--in-vm ID] [--json]\n' +
    '               [--output-directory DIRECTORY] [--inspect] [--monitor NAME]\n' +
    '               [--monitor-fd FD] [--stage-timeout STAGE_TIMEOUT] [--version]\n' +
    '               [--break [DEBUG_BREAK]] [--rundir DIRECTORY] [--quiet]\n' +
    '               MANIFEST\n'
  );
}

export function helpText() {
  const lines = [usage(), 'Build operating system images (osbuild test double)\n', 'positional arguments:', "  MANIFEST              manifest file to build, or '-' to read it from stdin\n", 'options:'];
  for (const o of OPTIONS) {
    const names = o.names.map((n) => (o.flag ? n : `${n} ${o.optionalValue ? `[${o.metavar}]` : o.metavar}`)).join(', ');
    lines.push(`  ${names}`.padEnd(24) + (names.length + 2 > 22 ? `\n${' '.repeat(24)}` : '') + o.help);
  }
  return lines.join('\n') + '\n';
}

export function parseArgs(argv) {
  const args = { cache: '.osbuild', libdir: '/usr/lib/osbuild', cacheMaxSize: null, checkpoint: null, export: [], inVm: [], json: false, outputDirectory: null, inspect: false, monitor: null, monitorFd: 1, stageTimeout: null, version: false, debugBreak: null, rundir: null, quiet: false, help: false, manifestPath: null };
  const positional = [];
  const longNames = OPTIONS.flatMap((o) => o.names.filter((n) => n.startsWith('--')).map((n) => [n, o]));
  const find = (name) => {
    const exact = OPTIONS.find((o) => o.names.includes(name));
    if (exact) return exact;
    if (!name.startsWith('--')) return null;
    const matches = longNames.filter(([n]) => n.startsWith(name));
    const opts = [...new Set(matches.map(([, o]) => o))];
    if (opts.length > 1) throw new UsageError(`ambiguous option: ${name} could match ${matches.map(([n]) => n).join(', ')}`);
    return opts[0] ?? null;
  };
  let onlyPositional = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyPositional || a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositional = true;
      continue;
    }
    let name = a;
    let value;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      name = a.slice(0, eq);
      value = a.slice(eq + 1);
    } else if (!a.startsWith('--') && a.length > 2) {
      name = a.slice(0, 2);
      value = a.slice(2);
    }
    const o = find(name);
    if (!o) {
      positional.push(a);
      continue;
    }
    const shown = o.names.join('/');
    if (o.flag) {
      if (value !== undefined) throw new UsageError(`argument ${shown}: ignored explicit argument '${value}'`);
      args[o.dest] = true;
      if (o.dest === 'help' || o.dest === 'version') return args;
      continue;
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) {
        if (o.optionalValue) {
          args[o.dest] = o.optionalValue;
          continue;
        }
        throw new UsageError(`argument ${shown}: expected one argument`);
      }
      value = next;
      i++;
    }
    let v = value;
    if (o.type) {
      try {
        v = o.type(value);
      } catch {
        throw new UsageError(`argument ${shown}: invalid ${o.typeName} value: '${value}'`);
      }
    }
    if (o.append) args[o.dest] = [...(args[o.dest] ?? []), v];
    else args[o.dest] = v;
  }
  const unknown = positional.filter((p) => p.startsWith('-') && p !== '-');
  const plain = positional.filter((p) => !(p.startsWith('-') && p !== '-'));
  if (plain.length === 0) throw new UsageError('the following arguments are required: MANIFEST');
  const extra = [...plain.slice(1), ...unknown];
  if (extra.length) throw new UsageError(`unrecognized arguments: ${extra.join(' ')}`);
  args.manifestPath = plain[0];
  return args;
}
