/** Test helpers: an in-memory BlobStore, a static HTTP server on 127.0.0.1, and the dnf oracle runner. */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { Readable } from 'node:stream';
import type { BlobInfo, BlobStore } from '../../layers/src/ports/blob-store.ts';

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, Buffer>();
  puts = 0;
  async put(key: string, body: Readable | Uint8Array | string): Promise<BlobInfo> {
    let buf: Buffer;
    if (typeof body === 'string') buf = Buffer.from(body);
    else if (body instanceof Uint8Array) buf = Buffer.from(body);
    else {
      const parts: Buffer[] = [];
      for await (const c of body) parts.push(Buffer.from(c as Uint8Array));
      buf = Buffer.concat(parts);
    }
    this.objects.set(key, buf);
    this.puts++;
    return { key, size: buf.length };
  }
  async get(key: string): Promise<Readable | undefined> {
    const b = this.objects.get(key);
    return b ? Readable.from([b]) : undefined;
  }
  async head(key: string): Promise<BlobInfo | undefined> {
    const b = this.objects.get(key);
    return b ? { key, size: b.length } : undefined;
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async list(prefix: string): Promise<BlobInfo[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort().map((key) => ({ key, size: this.objects.get(key)!.length }));
  }
  async downloadUrl(key: string): Promise<string> {
    return `memory://${key}`;
  }
}

export interface StaticServer {
  url: string;
  requests: string[];
  /** Paths answered with this status instead of the file. */
  fail: Map<string, number>;
  close(): Promise<void>;
}

/** Serve `root` over http://127.0.0.1:<random port>/. */
export async function serveDirectory(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const fail = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    requests.push(path);
    for (const [prefix, status] of fail) {
      if (path.startsWith(prefix)) {
        res.writeHead(status).end();
        return;
      }
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const PYTHON = '/usr/bin/python3';

export function hasDnf(): boolean {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', 'import dnf'], { encoding: 'utf8' });
  return r.status === 0;
}

/** A describe title that, when dnf is missing, says the block is skipped and why. */
export function dnfTitle(title: string): string {
  return hasDnf() ? title : `${title} (skipped: /usr/bin/python3 -c "import dnf" failed; apt-get install dnf python3-dnf)`;
}

export interface OracleTask {
  id: string;
  repos: { id: string; baseurl: string; priority?: number; cost?: number }[];
  arch: string;
  releasever: string;
  include: string[];
  exclude?: string[];
  weak: boolean;
}
export interface OracleResult {
  id: string;
  ok: boolean;
  packages?: string[];
  error?: string;
}

/** Resolve tasks with dnf's Python API, split over `parallel` processes (tasks on one repository stay together). */
export async function runDnfOracle(tasks: OracleTask[], parallel = 1): Promise<Map<string, OracleResult>> {
  if (parallel > 1 && tasks.length > 1) {
    const groups = new Map<string, OracleTask[]>();
    for (const t of tasks) {
      const k = JSON.stringify(t.repos);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(t);
    }
    const parts: OracleTask[][] = Array.from({ length: parallel }, () => []);
    [...groups.values()].forEach((g, i) => parts[i % parallel].push(...g));
    const maps = await Promise.all(parts.filter((p) => p.length).map((p) => runDnfOracle(p, 1)));
    return new Map(maps.flatMap((m) => [...m]));
  }
  const { spawn } = await import('node:child_process');
  const script = join(import.meta.dirname, 'dnf-oracle.py');
  const child = spawn(PYTHON, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  child.stdin.end(JSON.stringify(tasks));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`dnf oracle failed (${code}): ${err}`);
  const results = JSON.parse(out) as OracleResult[];
  return new Map(results.map((r) => [r.id, r]));
}
