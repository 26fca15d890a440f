// The osbuild test double: main_cli.osbuild_cli() + formats/v2 (load, describe, output) + pipeline.Manifest
// (depsolve, download, build, checkpoints) re-created in Node, without a sandbox. See ../README.md.
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { computeManifestIds, parsePythonJson, pythonJsonDumps } from '../../../layers/src/manifest/ids-core.mjs';
import { helpText, parseArgs, usage, UsageError, VERSION } from './cli.mjs';
import { makeMonitor } from './monitor.mjs';
import { pyRepr } from './pyrepr.mjs';
import { fetchSource } from './sources.mjs';
import { runStage, StageError } from './stages.mjs';
import { ObjectStore } from './store.mjs';
import { Validator } from './validate.mjs';

class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);

// Uncaught Python exceptions end osbuild with a traceback on stderr and exit code 1.
function pythonCrash(type, message) {
  err(
    'Traceback (most recent call last):\n' +
      '  File "<frozen runpy>", line 198, in _run_module_as_main\n' +
      '  File "/usr/lib/osbuild/osbuild/main_cli.py", line 187, in osbuild_cli\n' +
      `${type}: ${message}\n`,
  );
  throw new Exit(1);
}

// runners/ of osbuild 191 (files and symlinks); Index.detect_runner picks the highest version ≤ the request.
const RUNNERS = ['centos9', 'fedora30', 'fedora38', 'linux', 'rhel7', 'rhel81', 'rhel82', 'ubuntu1804', 'AutoSD9', 'almalinux9', 'autosd', 'ol9', 'almalinux8', 'centos8', 'rhivos', 'arch', 'debian', 'eln11', 'fedora-asahi-remix', 'asahi-fedora-remix'];

function splitRunner(name) {
  const m = /^(.*?)(\d*)$/.exec(name);
  return [m[1], m[2] ? Number(m[2]) : 0];
}

export function detectRunner(fullName) {
  const [distro, version] = splitRunner(fullName.replace(/^org\.osbuild\./, ''));
  let best = null;
  for (const r of RUNNERS) {
    const [d, v] = splitRunner(r);
    if (d === distro && v <= version && (!best || v > best[1])) best = [r, v];
  }
  if (!best) throw new Error(`No suitable runner for org.osbuild.${distro}`);
  return `org.osbuild.${best[0]}`;
}

function hostRunner() {
  try {
    const osr = Object.fromEntries(
      readFileSync('/etc/os-release', 'utf8')
        .split('\n')
        .map((l) => /^([A-Z_]+)=("?)(.*)\2$/.exec(l))
        .filter(Boolean)
        .map((m) => [m[1], m[3]]),
    );
    const name = `org.osbuild.${osr.ID}${(osr.VERSION_ID ?? '').replace(/\./g, '')}`;
    const exec = detectRunner(name);
    return { name: exec, exec };
  } catch {
    return { name: 'org.osbuild.linux', exec: 'org.osbuild.linux' };
  }
}

/** formats/v2.load(): pipelines with ids, resolved references and runners. */
function loadManifest(desc) {
  let ids;
  try {
    ids = computeManifestIds(desc);
  } catch (e) {
    pythonCrash('ValueError', e.message);
  }
  const sourceRefs = new Set();
  const sources = Object.entries(desc.sources ?? {}).map(([type, s], i) => {
    for (const k of Object.keys(s.items ?? {})) sourceRefs.add(k);
    return { type, items: s.items ?? {}, options: s.options ?? {}, id: ids.sources[i].id, name: `source ${type}`, stages: [] };
  });
  const pipelines = new Map();
  const declaredRunner = new Map();
  (desc.pipelines ?? []).forEach((p, i) => {
    const pid = ids.pipelines[i];
    let runner;
    if (p.runner) {
      try {
        runner = { name: p.runner, exec: detectRunner(p.runner) };
      } catch (e) {
        pythonCrash('ValueError', e.message);
      }
    } else runner = hostRunner();
    const stages = (p.stages ?? []).map((s, j) => {
      const sid = pid.stages[j];
      const inputs = {};
      for (const [name, ip] of Object.entries(s.inputs ?? {})) {
        const refs = sid.inputs[name];
        if (ip.origin === 'org.osbuild.source') {
          const unknown = Object.keys(refs).filter((r) => !sourceRefs.has(r));
          if (unknown.length) pythonCrash('ValueError', `Unknown source reference(s) {${unknown.map(pyRepr).join(', ')}}`);
        }
        inputs[name] = { type: ip.type, origin: ip.origin, options: ip.options ?? {}, refs };
      }
      return { name: s.type, id: sid.id, options: s.options ?? {}, inputs, devices: s.devices ?? {}, mounts: s.mounts ?? [], checkpoint: false };
    });
    pipelines.set(p.name, { name: p.name, id: pid.id, build: pid.build, runner, sourceEpoch: p['source-epoch'] ?? null, stages });
    declaredRunner.set(pid.id, runner);
  });
  // The manifest's "runner" belongs to the pipelines that use this one as build root (see v2.load).
  const host = hostRunner();
  for (const pl of pipelines.values()) pl.runner = pl.build ? (declaredRunner.get(pl.build) ?? host) : host;
  return { pipelines, sources, metadata: desc.metadata ?? {}, declaredRunner };
}

function getPipeline(m, nameOrId) {
  if (m.pipelines.has(nameOrId)) return m.pipelines.get(nameOrId);
  for (const pl of m.pipelines.values()) if (pl.id === nameOrId) return pl;
  return null;
}

/** v2.sort_devices: parents before their children, otherwise manifest order (pass by pass). */
function sortDevices(devices) {
  const result = {};
  let todo = Object.keys(devices);
  while (todo.length) {
    const before = todo.length;
    const next = [];
    for (const name of todo) {
      const parent = devices[name].parent;
      if (parent && !(parent in result)) next.push(name);
      else result[name] = devices[name];
    }
    todo = next;
    if (todo.length === before) pythonCrash('ValueError', "Cycle detected in 'devices'");
  }
  return result;
}

/** formats/v2.describe(with_id=True): what --inspect prints. */
function describe(m) {
  const runners = new Map();
  for (const p of m.pipelines.values()) if (p.build) runners.set(p.build, p.runner);
  const pipelines = [...m.pipelines.values()].map((p) => {
    const d = { name: p.name };
    if (p.build) d.build = p.build;
    const runner = runners.get(p.id);
    if (runner) d.runner = runner.name;
    const stages = p.stages.map((s) => {
      const sd = { type: s.name, id: s.id };
      if (s.options && Object.keys(s.options).length) sd.options = s.options;
      const devs = Object.fromEntries(Object.entries(sortDevices(s.devices)).map(([n, dv]) => [n, dv.options && Object.keys(dv.options).length ? { type: dv.type, options: dv.options } : { type: dv.type }]));
      if (Object.keys(devs).length) sd.devices = devs;
      const mounts = s.mounts.map((mt) => {
        const md = { name: mt.name, type: mt.type, target: mt.target ?? null };
        if (mt.source) md.source = mt.source;
        if (mt.options && Object.keys(mt.options).length) md.options = mt.options;
        if (mt.partition) md.partition = mt.partition;
        return md;
      });
      if (mounts.length) sd.mounts = mounts;
      const ips = Object.fromEntries(
        Object.entries(s.inputs).map(([n, ip]) => {
          const idesc = { type: ip.type, origin: ip.origin };
          if (ip.options && Object.keys(ip.options).length) idesc.options = ip.options;
          if (Object.keys(ip.refs).length) idesc.references = ip.refs;
          return [n, idesc];
        }),
      );
      if (Object.keys(ips).length) sd.inputs = ips;
      return sd;
    });
    if (stages.length) d.stages = stages;
    return d;
  });
  const result = { version: '2', pipelines };
  if (Object.keys(m.metadata).length) result.metadata = m.metadata;
  if (m.sources.length) result.sources = Object.fromEntries(m.sources.map((s) => [s.type, { items: s.items }]));
  return result;
}

function fnmatchRegex(pat) {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = pat.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        let body = pat.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

/** Manifest.mark_checkpoints */
function markCheckpoints(m, patterns) {
  const res = patterns.map(fnmatchRegex);
  const matching = (s) => res.some((r) => r.test(s));
  const selected = new Set();
  for (const p of m.pipelines.values()) {
    if (!p.stages.length) continue;
    if (matching(p.name)) {
      selected.add(p.id);
      p.stages[p.stages.length - 1].checkpoint = true;
    }
    for (const s of p.stages) {
      if (matching(s.id) || matching(s.name)) {
        selected.add(s.id);
        s.checkpoint = true;
      }
    }
  }
  return selected;
}

/** Manifest.depsolve: pipelines (names) to build for the exports, dependencies first, cached ones skipped. */
function depsolve(m, store, targets) {
  const check = targets.map((t) => getPipeline(m, t));
  const build = new Map();
  while (check.length) {
    const pl = check.pop();
    if (!pl) pythonCrash('RuntimeError', 'Could not find pipeline.');
    if (store.contains(pl.id)) continue;
    build.delete(pl.id);
    build.set(pl.id, pl);
    if (pl.build) check.push(getPipeline(m, pl.build));
    for (const st of [...pl.stages].reverse()) {
      if (store.contains(st.id)) break;
      for (const ip of Object.values(st.inputs)) {
        if (ip.origin !== 'org.osbuild.pipeline') continue;
        for (const ref of Object.keys(ip.refs)) check.push(getPipeline(m, ref));
      }
    }
  }
  return [...build.values()].reverse().map((p) => p.name);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function inputsFor(stage, store) {
  const inputs = {};
  for (const [name, ip] of Object.entries(stage.inputs)) {
    if (ip.origin === 'org.osbuild.source') {
      const cache = store.sourcesDir('org.osbuild.files');
      inputs[name] = { files: Object.fromEntries(Object.keys(ip.refs).map((c) => [c, path.join(cache, c)])) };
    } else {
      const ref = Object.keys(ip.refs)[0];
      inputs[name] = { tree: ref ? store.treeOf(ref) : null };
    }
  }
  return inputs;
}

/** Pipeline.run / build_stages */
async function runPipeline(pl, store, monitor, env) {
  monitor.begin(pl);
  const results = [];
  const meta = {};
  if (pl.stages.length && !store.contains(pl.id)) {
    if (pl.build && !store.treeOf(pl.build)) pythonCrash('AssertionError', `build tree ${pl.build} not found`);
    const work = store.newWorkdir();
    const tree = path.join(work, 'tree');
    const todo = [];
    for (const st of [...pl.stages].reverse()) {
      const base = store.treeOf(st.id);
      if (base) {
        cpSync(base, tree, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
        break;
      }
      todo.unshift(st);
    }
    for (const st of todo) {
      monitor.stage(st);
      const origin = `stages/${st.name}`;
      let output = '';
      const log = (text) => {
        output += text;
        monitor.log(text, origin);
      };
      if (env.delayMs > 0) await sleep(env.delayMs);
      let success = true;
      try {
        if (env.failStages.has(st.name) || env.failStages.has(st.id)) {
          throw new StageError('RuntimeError', `injected failure for ${st.name} (OSBUILD_DOUBLE_FAIL_STAGE)`);
        }
        runStage({ type: st.name, options: st.options, tree, inputs: inputsFor(st, store), sourceEpoch: pl.sourceEpoch, log });
      } catch (e) {
        success = false;
        log(e instanceof StageError ? e.traceback(st.name) : `Traceback (most recent call last):\n${e.stack}\n`);
      }
      // osbuild's stage runner ends every stage with an empty chunk: a record without "message".
      monitor.log('', origin);
      const r = { name: st.name, id: st.id, success, output, error: null };
      monitor.result(r, null);
      results.push(r);
      if (!success) {
        monitor.finish({ name: pl.name });
        return { name: pl.name, id: pl.id, success: false, stages: results, meta };
      }
      if (st.checkpoint) store.commit(work, st.id, meta);
    }
    store.floating.set(pl.id, tree);
  }
  monitor.finish({ name: pl.name });
  return { name: pl.name, id: pl.id, success: true, stages: results, meta };
}

/** formats/v2.output */
function output(m, res) {
  let result;
  if (!res.success) {
    if (!res.download.success) {
      const [type, sr] = res.download.sources.find(([, s]) => !s.success);
      const item = sr.results.find((r) => !r.success);
      result = { type: 'error', success: false, error: { type: 'org.osbuild.error.source', details: { source: { type, output: item ? item.error : 'cannot find failing source item' } } } };
    } else {
      const last = res.pipelines[res.pipelines.length - 1];
      const failed = last.stages[last.stages.length - 1];
      result = { type: 'error', success: false, error: { type: 'org.osbuild.error.stage', details: { stage: { id: failed.id, type: failed.name, output: failed.output, error: failed.error } } } };
    }
  } else {
    result = { type: 'result', success: true, metadata: {} };
  }
  result.sources = { success: res.download.success };
  for (const [type, sr] of res.download.sources) {
    result.sources[type] = sr.results.map((r) => {
      const o = {};
      if ('cached' in r.metadata) o.cached = r.metadata.cached;
      if ('checksum' in r.metadata) o.checksum = r.metadata.checksum;
      if (r.error) o.error = r.error;
      return o;
    });
  }
  result.log = {};
  for (const p of m.pipelines.values()) {
    const pr = res.pipelines.find((x) => x.id === p.id);
    if (!pr) continue;
    const log = pr.stages.map((s) => {
      const d = { id: s.id, type: s.name, output: s.output };
      if (!s.success) {
        d.success = false;
        if (s.error) d.error = s.error;
      }
      return d;
    });
    if (log.length) result.log[p.name] = log;
  }
  return result;
}

function readEnv() {
  return {
    failStages: new Set((process.env.OSBUILD_DOUBLE_FAIL_STAGE ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    delayMs: Number(process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS ?? 0) || 0,
  };
}

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
        if (tree && existsSync(tree)) cpSync(tree, dest, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
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
