// The osbuild test double: main_cli.osbuild_cli() re-created in Node, without a sandbox; formats/v2 in manifest.mjs,
// pipeline.Manifest (depsolve, build, output) in build.mjs. See ../README.md.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePythonJson, pythonJsonDumps } from '../../../layers/src/manifest/ids-core.mjs';
import { depsolve, output, readEnv, runPipeline } from './build.mjs';
import { helpText, parseArgs, usage, UsageError, VERSION } from './cli.mjs';
import { describe, getPipeline, loadManifest, markCheckpoints } from './manifest.mjs';
import { makeMonitor } from './monitor.mjs';
import { pyRepr } from './pyrepr.mjs';
import { err, Exit, out, pythonCrash } from './python-exit.mjs';
import { fetchSource } from './sources.mjs';
import { ObjectStore } from './store.mjs';
import { Validator } from './validate.mjs';

async function osbuild(argv) {
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${usage()}osbuild: error: ${e.message}\n`);
    throw new Exit(2);
  }
  if (args.help) {
    out(helpText());
    return 0;
  }
  if (args.version) {
    out(`osbuild ${VERSION}\n`);
    return 0;
  }

  let desc;
  try {
    const text = args.manifestPath === '-' ? readFileSync(0, 'utf8') : readFileSync(args.manifestPath, 'utf8');
    desc = parsePythonJson(text);
  } catch (e) {
    if (e.code === 'ENOENT') pythonCrash('FileNotFoundError', `[Errno 2] No such file or directory: '${args.manifestPath}'`);
    pythonCrash('json.decoder.JSONDecodeError', e.message);
  }
  if (!desc || typeof desc !== 'object' || Array.isArray(desc)) pythonCrash('AttributeError', `'${Array.isArray(desc) ? 'list' : typeof desc}' object has no attribute 'get'`);

  const version = desc.version ?? '1';
  if (version !== '1' && version !== '2') {
    out('Unsupported manifest format\n');
    return 2;
  }
  const validator = new Validator();
  const res = version === '2' ? validator.validate(desc) : validator.validateV1(desc);
  if (!res.valid) {
    if (args.json || args.inspect) out(pythonJsonDumps(res.asDict()) + '\n');
    else {
      out(`${args.manifestPath === '-' ? '<stdin>' : args.manifestPath} has errors:\n\n`);
      for (const e of res.sorted()) out(`${e.id}:\n  ${e.message}\n\n`);
    }
    return 2;
  }

  const m = loadManifest(desc);
  const exports = [...new Set(args.export)];
  const unresolved = exports.filter((e) => !getPipeline(m, e));
  if (unresolved.length) {
    for (const name of unresolved) out(`Export ${name} not found in ${pyRepr([...m.pipelines.keys()])}\n`);
    out('Failed\n');
    return 1;
  }
  let marked = new Set();
  if (args.checkpoint) {
    marked = markCheckpoints(m, args.checkpoint);
    if (!marked.size) {
      out('No checkpoints matched provided patterns!\nFailed\n');
      return 1;
    }
  }
  if (args.inspect) {
    out(pythonJsonDumps(describe(m)) + '\n');
    return 0;
  }
  if (exports.length && !args.outputDirectory) {
    out('Need --output-directory for --export\n');
    return 1;
  }
  const monitorName = args.monitor ?? (args.json || args.quiet ? 'NullMonitor' : 'LogMonitor');
  const env = readEnv();
  const store = new ObjectStore(args.cache);
  try {
    if (args.cacheMaxSize !== null) store.maximumSize = args.cacheMaxSize;
    const toBuild = depsolve(m, store, exports);
    let monitor;
    try {
      monitor = makeMonitor(monitorName, args.monitorFd, m.sources.length + toBuild.length);
    } catch (e) {
      pythonCrash('ValueError', e.message);
    }
    monitor.log(`starting ${args.manifestPath}`, 'osbuild.main_cli');

    // Manifest.download
    const download = { success: true, sources: [] };
    for (const src of m.sources) {
      monitor.begin(src);
      const sr = await fetchSource(src.type, src, store, (line) => monitor.log(`source/${src.type} (${src.type}): ${line}`, 'org.osbuild'));
      monitor.result(sr);
      download.sources.push([src.type, sr]);
      if (!sr.success) download.success = false;
      monitor.finish({ name: src.type });
    }
    const result = { success: download.success, download, pipelines: [] };
    if (result.success) {
      for (const name of toBuild) {
        const pr = await runPipeline(m.pipelines.get(name), store, monitor, env);
        result.pipelines.push(pr);
        if (!pr.success) {
          result.success = false;
          break;
        }
      }
    }
    monitor.log(`manifest ${args.manifestPath} ${result.success ? 'finished successfully' : 'failed'}\n`, 'osbuild.main_cli');

    if (result.success) {
      for (const e of exports) {
        const pl = getPipeline(m, e);
        const tree = store.treeOf(pl.id);
        const dest = path.join(path.resolve(args.outputDirectory), e);
        mkdirSync(dest, { recursive: true });
        // As osbuild exports (`cp --reflink=auto -a`): sparse disk images stay sparse.
        if (tree && existsSync(tree)) {
          const cp = spawnSync('cp', ['--reflink=auto', '-a', `${tree}/.`, dest]);
          if (cp.error || cp.status !== 0) cpSync(tree, dest, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
        }
      }
    }
    if (args.json) out(pythonJsonDumps(output(m, result)) + '\n');
    else if (!args.quiet) {
      if (result.success) {
        out('\nPipelines\n');
        for (const p of m.pipelines.values()) out(`  ${(p.name + ':').padEnd(10)}\t${p.id}\n`);
        out('\nCheckpoints\n');
        for (const id of marked) out(`  ${id}: ${store.contains(id, { onlyCached: true }) ? 'cached' : 'not cached'}\n`);
      } else out('Failed\n');
    }
    return result.success ? 0 : 1;
  } finally {
    store.cleanup();
  }
}

export async function main(argv) {
  if (process.env.OSBUILD_DOUBLE_LOG) appendFileSync(process.env.OSBUILD_DOUBLE_LOG, JSON.stringify(argv) + '\n');
  if (process.env.OSBUILD_DOUBLE_EXIT !== undefined && process.env.OSBUILD_DOUBLE_EXIT !== '') {
    err(`osbuild double: forced exit ${process.env.OSBUILD_DOUBLE_EXIT} (OSBUILD_DOUBLE_EXIT)\n`);
    return Number(process.env.OSBUILD_DOUBLE_EXIT);
  }
  // Ctrl-C is Python's KeyboardInterrupt: "Aborted", exit 130. SIGTERM keeps Node's default (die by signal),
  // exactly like osbuild, which installs no SIGTERM handler.
  process.on('SIGINT', () => {
    out('\nAborted\n');
    process.exit(130);
  });
  try {
    return await osbuild(argv);
  } catch (e) {
    if (e instanceof Exit) return e.code;
    err(`Traceback (most recent call last):\n${e.stack}\n`);
    return 1;
  }
}
