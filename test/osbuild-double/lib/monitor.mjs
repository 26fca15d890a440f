// osbuild/monitor.py re-created: Context (ids + "full on first use, {id} afterwards"), Progress, and the
// NullMonitor / LogMonitor / JSONSeqMonitor classes with the same records, in the same order.
import { writeSync } from 'node:fs';
import { PyFloat, pythonJsonDumps, sha256Hex } from '../../../layers/src/manifest/ids-core.mjs';

function omitempty(d) {
  for (const [k, v] of Object.entries(d)) {
    if (v === null || v === undefined || v === '') delete d[k];
    else if (typeof v === 'object' && !Array.isArray(v)) omitempty(v);
  }
  return d;
}

class Context {
  constructor(origin = null, history = new Set()) {
    this.origin = origin;
    this.pipelineName = null;
    this.pipelineId = null;
    this.stageName = null;
    this.stageId = null;
    // Shared between copies (Python copy.copy is shallow), so a context is spelled out only once per run.
    this.history = history;
  }
  withOrigin(origin) {
    if (origin === null || origin === undefined || origin === this.origin) return this;
    const c = new Context(origin, this.history);
    Object.assign(c, { pipelineName: this.pipelineName, pipelineId: this.pipelineId, stageName: this.stageName, stageId: this.stageId });
    return c;
  }
  setPipeline(p) {
    this.pipelineName = p.name;
    this.pipelineId = p.id;
  }
  setStage(s) {
    this.stageName = s.name;
    this.stageId = s.id;
  }
  dict() {
    return {
      origin: this.origin,
      pipeline: { name: this.pipelineName, id: this.pipelineId, stage: { name: this.stageName, id: this.stageId } },
    };
  }
  get id() {
    return sha256Hex(pythonJsonDumps(this.dict(), { sortKeys: true }));
  }
  asDict() {
    const id = this.id;
    if (this.history.has(id)) return { id };
    this.history.add(id);
    return { ...this.dict(), id };
  }
}

class Progress {
  constructor(name, total) {
    this.name = name;
    this.total = total;
    this.done = 0;
    this.sub = null;
  }
  incr() {
    this.done += 1;
    this.sub = null;
  }
  asDict() {
    const d = { name: this.name, total: this.total, done: this.done };
    if (this.sub) d.progress = this.sub.asDict();
    return d;
  }
}

class Writer {
  constructor(fd) {
    this.fd = fd;
  }
  write(text) {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
  }
}

export class NullMonitor {
  constructor(fd) {
    this.out = new Writer(fd);
  }
  begin() {}
  finish() {}
  stage() {}
  result() {}
  log() {}
}

export class LogMonitor extends NullMonitor {
  constructor(fd) {
    super(fd);
    this.start = null;
  }
  begin(p) {
    this.out.write(`Pipeline ${p.name}: ${p.id}\nBuild\n  root: ${p.build ?? '<host>'}`);
    if (p.runner) this.out.write(`\n  runner: ${p.runner.name} (${p.runner.exec})`);
    if (p.sourceEpoch !== null && p.sourceEpoch !== undefined) this.out.write(`\n  source-epoch: ${new Date(p.sourceEpoch * 1000).toUTCString()} [${p.sourceEpoch}]`);
    this.out.write('\n');
  }
  stage(s) {
    this.out.write(`${s.name}: ${s.id} ${JSON.stringify(s.options ?? {}, null, 2)}\n`);
    this.start = performance.now();
  }
  result() {
    if (this.start !== null) this.out.write(`\n⏱  Duration: ${((performance.now() - this.start) / 1000).toFixed(2)}s\n`);
  }
  log(message) {
    this.out.write(message);
  }
}

export class JSONSeqMonitor extends NullMonitor {
  constructor(fd, totalSteps) {
    super(fd);
    this.progress = new Progress('pipelines/sources', totalSteps);
    this.context = new Context('org.osbuild');
    this.moduleOptions = {};
    this.start = null;
  }
  begin(p) {
    this.context.setPipeline(p);
    if (p.stages.length) this.progress.sub = new Progress(`pipeline: ${p.name}`, p.stages.length);
    this.log(`Starting pipeline ${p.name}`, 'osbuild.monitor');
  }
  finish(results) {
    this.progress.incr();
    this.log(`Finished pipeline ${results.name}`, 'osbuild.monitor');
  }
  stage(s) {
    this.context.setStage(s);
    this.moduleOptions = s.options && Object.keys(s.options).length ? structuredClone(s.options) : {};
    this.log(`Starting module ${s.name}`, 'osbuild.monitor');
    this.start = performance.now();
  }
  result(result, metadata = null) {
    if (this.progress.sub) this.progress.sub.incr();
    const maxOutput = 31000;
    let logResult = result;
    if ('id' in result && result.output.length > maxOutput) {
      const removed = result.output.length - maxOutput;
      logResult = { ...result, output: `[...${removed} bytes hidden...]\n${result.output.slice(removed)}` };
    } else if ('source_type' in result && pythonJsonDumps(result).length > maxOutput) {
      logResult = { ...result, results: [] };
    }
    const duration = this.start !== null ? (performance.now() - this.start) / 1000 : null;
    this.write(this.entry(`Finished module ${result.name}`, this.context.withOrigin('osbuild.monitor'), { options: this.moduleOptions, duration, result: logResult, metadata }));
  }
  log(message, origin = null) {
    this.write(this.entry(message, this.context.withOrigin(origin)));
  }
  entry(message, ctx, extra = {}) {
    // Same member order as osbuild's log_entry(); omitempty drops None and "" recursively.
    return omitempty({
      message,
      result: extra.result ? structuredClone(extra.result) : null,
      context: ctx.asDict(),
      progress: this.progress.asDict(),
      options: extra.options && Object.keys(extra.options).length ? extra.options : null,
      timestamp: new PyFloat(Date.now() / 1000),
      duration: extra.duration === null || extra.duration === undefined ? null : new PyFloat(extra.duration),
      metadata: extra.metadata && Object.keys(extra.metadata).length ? extra.metadata : null,
    });
  }
  write(entry) {
    this.out.write('\x1e' + pythonJsonDumps(entry) + '\n');
  }
}

export function makeMonitor(name, fd, totalSteps) {
  const monitors = { NullMonitor, LogMonitor, JSONSeqMonitor };
  const M = monitors[name];
  if (!M) throw new Error(`Unknown monitor: ${name}`);
  return new M(fd, totalSteps);
}
