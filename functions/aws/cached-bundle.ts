/**
 * Runs a function's CommonJS bundle from V8's code cache of it (functions/aws/code-cache.ts makes both at packaging):
 * V8 takes the bytecode from the cache instead of parsing and compiling the bundle, a large part of a cold start.
 * A cache V8 does not accept (another V8 version, architecture or flag set) costs one file read: the bundle then
 * compiles as it would without one, and one warning says so.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { createLogger } from '../../layers/src/log/logger.ts';

export interface CachedBundle {
  exports: Record<string, unknown>;
  /** V8 compiled the bundle from the cache (false: no cache file, or V8 rejected it). */
  cacheUsed: boolean;
}

/**
 * Node's own CommonJS wrapper, strict as the ES modules the bundle is built from: the bundle sees the module scope it
 * would have if require()d. The cache is made for exactly this text (V8 checks the source's length), so code-cache.ts
 * compiles with the same two halves.
 */
export const WRAPPER = ['(function (exports, require, module, __filename, __dirname) {"use strict";', '\n})'] as const;
const wrap = (source: string) => WRAPPER[0] + source + WRAPPER[1];

/**
 * Compiles a bundle as Node's CommonJS loader would, with `cachedData` when given; positions on the bundle's first
 * line as in the file. The bundle has no `import()` (code-cache.ts builds it with require() in its place): a script
 * compiled here has no module loader for it.
 */
function compileBundle(file: string, source: string, cachedData?: Buffer): Script {
  return new Script(wrap(source), { filename: file, cachedData, columnOffset: -WRAPPER[0].length });
}

export function runCachedBundle(bundle: URL | string, cache: URL | string, service = 'ibs'): CachedBundle {
  const file = typeof bundle === 'string' ? bundle : fileURLToPath(bundle);
  const cachedData = readOptional(cache);
  const script = compileBundle(file, readFileSync(file, 'utf8'), cachedData);
  const cacheUsed = cachedData !== undefined && script.cachedDataRejected === false;
  // A rejected cache means the package was made by another Node build than the runtime's (or other V8 flags).
  if (cachedData && !cacheUsed) {
    createLogger({ service }).warn('V8 code cache rejected: the bundle compiles without it', { bundle: file, node: process.version, v8: process.versions.v8, arch: process.arch });
  }
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, cacheUsed };
}

function readOptional(path: URL | string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
