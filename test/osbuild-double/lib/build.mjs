// pipeline.Manifest of osbuild 191 re-created: which pipelines to build, running their stages into the object store,
// and the `--json` result (formats/v2.output).
import { cpSync } from 'node:fs';
import path from 'node:path';
import { getPipeline } from './manifest.mjs';
import { pythonCrash } from './python-exit.mjs';
import { runStage, StageError } from './stages.mjs';

/** Manifest.depsolve: pipelines (names) to build for the exports, dependencies first, cached ones skipped. */
export function depsolve(m, store, targets) {
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
export async function runPipeline(pl, store, monitor, env) {
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
        runStage({ type: st.name, options: st.options, devices: st.devices, mounts: st.mounts, tree, inputs: inputsFor(st, store), sourceEpoch: pl.sourceEpoch, log });
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
export function output(m, res) {
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

export function readEnv() {
  return {
    failStages: new Set((process.env.OSBUILD_DOUBLE_FAIL_STAGE ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
    delayMs: Number(process.env.OSBUILD_DOUBLE_STAGE_DELAY_MS ?? 0) || 0,
  };
}
