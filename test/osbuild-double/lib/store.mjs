// The object store (`--store`): layout, cache.info (maximum-size persisted), committed objects keyed by stage
// id, LRU eviction by object.lock atime, and the separate, unlimited source cache. Mirrors objectstore.py/fscache.
import { cpSync, renameSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { pythonJsonDumps } from '../../../layers/src/manifest/ids-core.mjs';
import { randomUUID } from 'node:crypto';

const CACHEDIR_TAG = 'Signature: 8a477f597d28d172789f06886806bc55\n# This is a cache directory tag created by osbuild (see https://bford.info/cachedir/)\n';

export function duSize(p) {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.blocks * 512 || st.size;
  let n = st.blocks * 512 || 4096;
  for (const e of readdirSync(p)) n += duSize(path.join(p, e));
  return n;
}

export class ObjectStore {
  constructor(dir) {
    this.dir = path.resolve(dir);
    for (const d of ['objects', 'sources', 'stage', 'tmp']) mkdirSync(path.join(this.dir, d), { recursive: true });
    const tag = path.join(this.dir, 'CACHEDIR.TAG');
    if (!existsSync(tag)) writeFileSync(tag, CACHEDIR_TAG);
    for (const f of ['cache.lock']) if (!existsSync(path.join(this.dir, f))) writeFileSync(path.join(this.dir, f), '');
    this.infoPath = path.join(this.dir, 'cache.info');
    this.info = existsSync(this.infoPath) ? JSON.parse(readFileSync(this.infoPath, 'utf8')) : { version: 1 };
    if (!existsSync(this.infoPath)) writeFileSync(this.infoPath, pythonJsonDumps(this.info));
    if (!existsSync(path.join(this.dir, 'cache.size'))) writeFileSync(path.join(this.dir, 'cache.size'), '0');
    /** Trees built during this run that were not committed ("floating" objects), by pipeline/stage id. */
    this.floating = new Map();
    this.workdirs = [];
  }

  set maximumSize(size) {
    this.info = { ...this.info, 'maximum-size': size };
    writeFileSync(this.infoPath, pythonJsonDumps(this.info));
  }

  get maximumSize() {
    return this.info['maximum-size'] ?? 0;
  }

  objectDir(id) {
    return path.join(this.dir, 'objects', id);
  }

  /** Committed objects only when onlyCached, otherwise also this run's floating trees. */
  contains(id, { onlyCached = false } = {}) {
    if (!id) return false;
    if (!onlyCached && this.floating.has(id)) return true;
    return existsSync(path.join(this.objectDir(id), 'object.info'));
  }

  /** Tree directory of an object (floating or committed), touching its lock for LRU. */
  treeOf(id) {
    if (this.floating.has(id)) return this.floating.get(id);
    const dir = this.objectDir(id);
    if (!existsSync(path.join(dir, 'object.info'))) return null;
    const now = new Date();
    utimesSync(path.join(dir, 'object.lock'), now, statSync(path.join(dir, 'object.lock')).mtime);
    return path.join(dir, 'data', 'tree');
  }

  newWorkdir() {
    const d = path.join(this.dir, 'stage', `uuid-${randomUUID().replace(/-/g, '')}`);
    mkdirSync(path.join(d, 'tree'), { recursive: true });
    mkdirSync(path.join(d, 'meta'), { recursive: true });
    this.workdirs.push(d);
    return d;
  }

  tmpdir(prefix) {
    return mkdtempSync(path.join(this.dir, 'tmp', prefix));
  }

  sourcesDir(contentType = 'org.osbuild.files') {
    const d = path.join(this.dir, 'sources', contentType);
    mkdirSync(d, { recursive: true });
    return d;
  }

  cacheSize() {
    let n = 0;
    for (const id of readdirSync(path.join(this.dir, 'objects'))) {
      try {
        n += JSON.parse(readFileSync(path.join(this.objectDir(id), 'object.info'), 'utf8')).size ?? 0;
      } catch {
        // half-written object: not counted, like fscache ignores entries without info
      }
    }
    return n;
  }

  /** Commit a copy of `workdir` as objects/<id>, honouring maximum-size (0/unset: nothing is kept). */
  commit(workdir, id, meta = {}) {
    const max = this.maximumSize;
    if (this.contains(id, { onlyCached: true })) return true;
    const size = duSize(path.join(workdir, 'tree'));
    if (max !== 'unlimited') {
      if (!max || size > max) return false;
      // Evict least recently used objects (atime of object.lock) until the new one fits.
      const objs = readdirSync(path.join(this.dir, 'objects'))
        .map((o) => {
          try {
            return { id: o, atime: statSync(path.join(this.objectDir(o), 'object.lock')).atimeMs, size: JSON.parse(readFileSync(path.join(this.objectDir(o), 'object.info'), 'utf8')).size ?? 0 };
          } catch {
            return null;
          }
        })
        .filter(Boolean)
        .sort((a, b) => a.atime - b.atime);
      let total = objs.reduce((n, o) => n + o.size, 0);
      while (total + size > max && objs.length) {
        const o = objs.shift();
        rmSync(this.objectDir(o.id), { recursive: true, force: true });
        total -= o.size;
      }
      if (total + size > max) return false;
    }
    const dst = this.objectDir(id);
    const tmp = `${dst}.tmp-${process.pid}`;
    mkdirSync(path.join(tmp, 'data', 'meta'), { recursive: true });
    cpSync(path.join(workdir, 'tree'), path.join(tmp, 'data', 'tree'), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    writeFileSync(path.join(tmp, 'data', 'meta', 'info.json'), JSON.stringify({}));
    for (const [sid, md] of Object.entries(meta)) writeFileSync(path.join(tmp, 'data', 'meta', `${sid}.json`), JSON.stringify(md));
    writeFileSync(path.join(tmp, 'object.lock'), '');
    writeFileSync(path.join(tmp, 'object.info'), JSON.stringify({ 'creation-boot-id': bootId(), size }));
    renameSync(tmp, dst);
    writeFileSync(path.join(this.dir, 'cache.size'), String(this.cacheSize()));
    return true;
  }

  cleanup() {
    for (const d of this.workdirs) rmSync(d, { recursive: true, force: true });
    this.workdirs = [];
  }
}

function bootId() {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/-/g, '');
  } catch {
    return '0'.repeat(32);
  }
}
