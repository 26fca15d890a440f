// Sources of the double: org.osbuild.inline and org.osbuild.curl really fetch into <store>/sources/
// org.osbuild.files/<checksum> and verify the checksum; curl reads file:// URLs and talks to 127.0.0.1/localhost over
// http, directly or through the proxy curl would use (OSBUILD_SOURCES_CURL_PROXY, http_proxy, all_proxy; no_proxy).
// Other source types are simulated (reported as fetched, nothing written).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pyRepr, pyStrRepr } from './pyrepr.mjs';

function verify(data, checksum) {
  const [algo, hex] = checksum.split(':');
  try {
    return createHash(algo).update(data).digest('hex') === hex;
  } catch {
    return false;
  }
}

// SourceResults.as_dict() of sources.py
export function sourceResults(type, items) {
  const success = items.every((i) => i.success);
  return {
    name: `source ${type}`,
    source_type: type,
    success,
    output: success ? `source ${type} finished successfully` : `source ${type} finished unsuccessfully: ${items[items.length - 1].error}`,
    results: items,
  };
}

function fetchInline(items, cache, tmp) {
  const results = [];
  for (const [checksum, desc] of Object.entries(items)) {
    const r = { success: true, metadata: { checksum }, error: '' };
    results.push(r);
    if (existsSync(path.join(cache, checksum))) {
      r.metadata.cached = true;
      continue;
    }
    r.metadata.cached = false;
    if (desc.encoding !== 'base64') {
      // lzma+base64 needs an lzma decoder Node does not have.
      r.success = false;
      r.error = `unknown encoding ${desc.encoding}`;
      continue;
    }
    const data = Buffer.from(desc.data, 'base64');
    const floating = path.join(tmp, checksum);
    writeFileSync(floating, data);
    if (!verify(data, checksum)) {
      r.success = false;
      r.error = `Checksum mismatch for ${checksum}`;
      continue;
    }
    renameSync(floating, path.join(cache, checksum));
  }
  return results;
}

// curl's choice of proxy for an http URL: osbuild's own variable (its curl config `proxy`), then http_proxy (curl
// reads it in lower case only), then all_proxy; no_proxy/NO_PROXY (`*`, host names and domain suffixes) bypass it.
function proxyFor(u, env = process.env) {
  const proxy = env.OSBUILD_SOURCES_CURL_PROXY || env.http_proxy || env.all_proxy || env.ALL_PROXY;
  if (!proxy) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // like the service's depsolver, loopback is never proxied (a proxy elsewhere cannot reach it)
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return undefined;
  const bypass = (env.no_proxy ?? env.NO_PROXY ?? '').split(',').map((e) => e.trim().toLowerCase().replace(/^\*?\./, '')).filter(Boolean);
  if (bypass.some((e) => e === '*' || host === e || host.endsWith(`.${e}`))) return undefined;
  return new URL(/^[a-z]+:\/\//i.test(proxy) ? proxy : `http://${proxy}`);
}

function readFileUrl(u) {
  try {
    return { exitcode: 0, data: readFileSync(fileURLToPath(u)) };
  } catch {
    return { exitcode: 37 }; // curl: couldn't read a file:// file
  }
}

function download(url) {
  return new Promise((resolve) => {
    let u;
    try {
      u = new URL(url);
    } catch {
      resolve({ exitcode: 3 }); // curl: URL malformed
      return;
    }
    if (u.protocol === 'file:') {
      resolve(readFileUrl(u));
      return;
    }
    const proxy = u.protocol === 'http:' ? proxyFor(u) : undefined;
    const peer = proxy ?? u;
    if (u.protocol !== 'http:' || peer.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(peer.hostname)) {
      resolve({ exitcode: proxy ? 5 : 7 }); // the double never leaves the machine: "couldn't resolve proxy" / "couldn't connect"
      return;
    }
    // through a proxy: the request line carries the absolute URL, as curl sends it
    const target = proxy ? { host: proxy.hostname, port: proxy.port || 80, path: u.href, headers: { host: u.host } } : u;
    const req = http.get(target, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        res.resume();
        resolve({ exitcode: 22 }); // curl --fail
        return;
      }
      if ((res.statusCode ?? 0) >= 300 && res.headers.location) {
        res.resume();
        download(new URL(res.headers.location, u).toString()).then(resolve);
        return;
      }
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ exitcode: 0, data: Buffer.concat(chunks) }));
      res.on('error', () => resolve({ exitcode: 56 }));
    });
    req.on('error', () => resolve({ exitcode: 7 }));
  });
}

// The parallel ("new curl") path of sources/org.osbuild.curl: per-item results, then one extra failed item
// listing what is left to download.
async function fetchCurl(items, cache, tmp, log) {
  const results = [];
  const left = [];
  let returnCode = 0;
  for (const [checksum, raw] of Object.entries(items)) {
    if (existsSync(path.join(cache, checksum))) {
      results.push({ success: true, metadata: { checksum, cached: true }, error: '' });
      continue;
    }
    const desc = typeof raw === 'string' ? { url: raw } : raw;
    const url = desc.url;
    const dl = await download(url);
    returnCode = dl.exitcode;
    if (dl.exitcode !== 0) {
      log(`WARNING: failed to download ${url}\n`);
      results.push({ success: false, metadata: { checksum }, error: `curl: error downloading ${url}: exit code ${dl.exitcode}` });
      left.push([checksum, desc]);
      continue;
    }
    const floating = path.join(tmp, checksum);
    writeFileSync(floating, dl.data);
    if (!verify(dl.data, checksum)) {
      rmSync(floating, { force: true });
      results.push({ success: false, metadata: { checksum }, error: `failed to move to target directory: checksum mismatch: ${checksum} ${url}` });
      left.push([checksum, desc]);
      continue;
    }
    renameSync(floating, path.join(cache, checksum));
    log(`Downloaded ${url}\n`);
    results.push({ success: true, metadata: { checksum, cached: false }, error: '' });
  }
  if (left.length) {
    const pairs = '[' + left.map(([c, d]) => `(${pyStrRepr(c)}, ${pyRepr(d)})`).join(', ') + ']';
    results.push({ success: false, metadata: {}, error: `curl: finished with return_code ${returnCode} but ${pairs} left to download` });
  }
  return results;
}

export async function fetchSource(type, desc, store, log) {
  const items = desc?.items ?? {};
  const cache = store.sourcesDir('org.osbuild.files');
  const tmp = store.tmpdir('.unverified-');
  try {
    if (type === 'org.osbuild.inline') return sourceResults(type, fetchInline(items, cache, tmp));
    if (type === 'org.osbuild.curl') return sourceResults(type, await fetchCurl(items, cache, tmp, log));
    return sourceResults(type, Object.keys(items).map((checksum) => ({ success: true, metadata: { checksum, cached: false }, error: '' })));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
