// Stage behaviour of the double. mkdir, copy, chmod, tar and the disk stages of disk-stages.mjs really run on the tree (no sandbox); any other stage
// type is simulated: it succeeds and, when its options name an output `filename`, leaves a placeholder there.
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createTar } from './tar.mjs';
import { copyIntoMount, DISK_STAGES } from './disk-stages.mjs';

/** A Python exception raised by a stage; rendered as the traceback osbuild shows in the stage output. */
export class StageError extends Error {
  constructor(pyType, message, frames) {
    super(message);
    this.pyType = pyType;
    this.frames = frames;
  }
  traceback(stageType) {
    const frames = this.frames ?? [
      { line: 30, fn: '<module>', code: 'sys.exit(main(args["tree"], args["options"]))', caret: '             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^' },
    ];
    let out = 'Traceback (most recent call last):\n';
    for (const f of frames) {
      out += `  File "/run/osbuild/bin/${stageType}", line ${f.line}, in ${f.fn}\n    ${f.code}\n`;
      if (f.caret) out += `${f.caret}\n`;
    }
    return `${out}${this.pyType}: ${this.message}\n`;
  }
}

// Resolve `tree:///p`, `input://name/p` or a plain tree path; `virtual` is the path as the stage sees it.
function resolve(url, ctx) {
  let m = /^tree:\/\/(\/.*)?$/.exec(url);
  if (m) return { real: path.join(ctx.tree, m[1] ?? '/'), virtual: path.posix.join('/run/osbuild/tree', m[1] ?? '/') };
  m = /^input:\/\/([^/]+)(\/.*)?$/.exec(url);
  if (m) {
    const ip = ctx.inputs[m[1]];
    if (!ip) throw new StageError('ValueError', `Unknown input '${m[1]}'`);
    const rest = m[2] ?? '/';
    if (ip.files) {
      const name = rest.replace(/^\//, '');
      if (ip.files[name]) return { real: ip.files[name], virtual: path.posix.join('/run/osbuild/inputs', m[1], name) };
    }
    if (ip.tree) return { real: path.join(ip.tree, rest), virtual: path.posix.join('/run/osbuild/inputs', m[1], rest) };
    throw new StageError('FileNotFoundError', `[Errno 2] No such file or directory: '${path.posix.join('/run/osbuild/inputs', m[1], rest)}'`);
  }
  if (/^mount:\/\//.test(url)) return null;
  return { real: path.join(ctx.tree, url), virtual: path.posix.join('/run/osbuild/tree', url) };
}

function parseMode(spec, current) {
  if (typeof spec === 'number') return spec;
  if (/^[0-7]+$/.test(spec)) return parseInt(spec, 8);
  // Symbolic chmod modes, e.g. "u+x,go-w".
  let mode = current & 0o7777;
  for (const clause of spec.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!m) throw new StageError('ValueError', `invalid mode: ${spec}`);
    const who = m[1] === '' || m[1].includes('a') ? 'ugo' : m[1];
    let bits = 0;
    for (const w of who) {
      const shift = w === 'u' ? 6 : w === 'g' ? 3 : 0;
      for (const p of m[3]) {
        if (p === 'r') bits |= 4 << shift;
        if (p === 'w') bits |= 2 << shift;
        if (p === 'x' || (p === 'X' && (current & 0o40000 || current & 0o111))) bits |= 1 << shift;
        if (p === 's' && w !== 'o') bits |= w === 'u' ? 0o4000 : 0o2000;
        if (p === 't') bits |= 0o1000;
      }
    }
    if (m[2] === '+') mode |= bits;
    else if (m[2] === '-') mode &= ~bits;
    else {
      let mask = 0;
      for (const w of who) mask |= 0o7 << (w === 'u' ? 6 : w === 'g' ? 3 : 0);
      mode = (mode & ~mask) | bits;
    }
  }
  return mode;
}

function mkdirStage(ctx) {
  for (const item of ctx.options.paths ?? []) {
    const r = resolve(item.path, ctx);
    if (!r) continue;
    const mode = item.mode ?? 0o777;
    if (existsSync(r.real)) {
      if (item.exist_ok) continue;
      throw new StageError('FileExistsError', `[Errno 17] File exists: '${r.virtual}'`);
    }
    if (!item.parents && !existsSync(path.dirname(r.real))) {
      throw new StageError('FileNotFoundError', `[Errno 2] No such file or directory: '${r.virtual}'`);
    }
    mkdirSync(r.real, { recursive: true });
    chmodSync(r.real, mode & ~0o022);
  }
}

function copyStage(ctx) {
  for (const item of ctx.options.paths ?? []) {
    const from = resolve(item.from, ctx);
    const to = resolve(item.to, ctx);
    if (from && !to && item.to.startsWith('mount://')) {
      copyIntoMount(ctx, item, from);
      continue;
    }
    if (!from || !to) continue;
    if (!existsSync(from.real)) throw new StageError('FileNotFoundError', `[Errno 2] No such file or directory: '${from.virtual}'`);
    if (item.remove_destination && existsSync(to.real)) rmSync(to.real, { recursive: true, force: true });
    ctx.log(`copying '${from.virtual}' -> '${to.virtual}'\n`);
    if (lstatSync(from.real).isDirectory()) cpSync(from.real, to.real, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    else {
      if (!existsSync(path.dirname(to.real))) throw new StageError('FileNotFoundError', `[Errno 2] No such file or directory: '${to.virtual}'`);
      copyFileSync(from.real, to.real);
    }
  }
}

const CHMOD_FRAMES = () => [
  { line: 34, fn: '<module>', code: 'sys.exit(main(args["tree"], args["options"]))', caret: '             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^' },
  { line: 26, fn: 'main', code: 'raise ValueError(f"path {path} not in tree")' },
];

function chmodStage(ctx) {
  for (const [p, opts] of Object.entries(ctx.options.items ?? {})) {
    const real = path.join(ctx.tree, p);
    if (!existsSync(real)) throw new StageError('ValueError', `path ${p} not in tree`, CHMOD_FRAMES());
    const apply = (f) => chmodSync(f, parseMode(opts.mode, statSync(f).mode));
    apply(real);
    if (opts.recursive && statSync(real).isDirectory()) {
      const walk = (d) => {
        for (const e of readdirSync(d)) {
          const f = path.join(d, e);
          apply(f);
          if (lstatSync(f).isDirectory()) walk(f);
        }
      };
      walk(real);
    }
  }
}

function tarStage(ctx) {
  const o = ctx.options;
  const src = ctx.inputs.tree?.tree;
  if (!src) throw new StageError('ValueError', 'tar: input "tree" missing');
  let data = createTar(src, { rootNode: o['root-node'] ?? 'include', clampMtime: ctx.sourceEpoch });
  const comp = o.compression ?? 'auto';
  if (comp === 'gzip' || (comp === 'auto' && /\.(tgz|gz)$/.test(o.filename))) data = gzipSync(data);
  // xz/zstd are not available in Node: the archive stays uncompressed (documented in README.md).
  writeFileSync(path.join(ctx.tree, o.filename), data);
}

function simulatedStage(ctx) {
  ctx.log(`osbuild-double: simulated ${ctx.type}\n`);
  const filename = ctx.options.filename;
  if (typeof filename === 'string' && filename && !filename.includes('..')) {
    const out = path.join(ctx.tree, filename);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `osbuild-double placeholder for ${ctx.type} (${filename})\n`);
  }
}

export const REAL_STAGES = {
  'org.osbuild.mkdir': mkdirStage,
  'org.osbuild.copy': copyStage,
  'org.osbuild.chmod': chmodStage,
  'org.osbuild.tar': tarStage,
  ...DISK_STAGES,
};

export function runStage(ctx) {
  return (REAL_STAGES[ctx.type] ?? simulatedStage)(ctx);
}
