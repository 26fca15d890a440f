/**
 * Reading one compose's build log (issue 17 item 14) while the store holds 40,000 objects of other composes and
 * organizations: readComposeLogs through the embedded BlobStore, and GET /composes/{id}/logs on the local stack.
 * Reference in the same run: a second local stack whose store holds only that compose's objects; the two are read
 * alternately, so load on the machine falls on both alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactPrefix, logChunkKey, manifestKey } from '../layers/src/compose/blob-keys.ts';
import { createLogger } from '../layers/src/log/logger.ts';
import type { BlobStore } from '../layers/src/ports/blob-store.ts';
import { readComposeLogs } from '../layers/src/service/compose-service.ts';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import { percentiles } from './stats.ts';

const OTHER_OBJECTS = 40_000;
const SAMPLES = 200;
const ORG = 'local';
const LOG = 'osbuild stage org.osbuild.rpm\n'.repeat(400);
const LOG_BYTES = LOG.length * 3;

/** Four objects per compose (two log chunks, manifest, artifact): 500 other composes of ours, the rest in 190 other organizations. */
async function storeOtherComposes(blobs: BlobStore, count: number): Promise<number> {
  const keys: string[] = [];
  for (let c = 0; keys.length < count; c++) {
    const org = c < 500 ? ORG : `org-${(c - 500) % 190}`;
    const id = `00000000-0000-4000-8000-${String(c).padStart(12, '0')}`;
    keys.push(logChunkKey(org, id, 1, 0), logChunkKey(org, id, 1, 1), manifestKey(org, id), `${artifactPrefix(org, id, 1)}disk.qcow2`);
  }
  for (let i = 0; i < keys.length; i += 64) {
    await Promise.all(keys.slice(i, i + 64).map((key) => blobs.put(key, `object ${key}\n`)));
  }
  return keys.length;
}

interface Subject {
  stack: LocalStack;
  dataDir: string;
  id: string;
  auth: Record<string, string>;
  direct: number[];
  http: number[];
}

/** A local stack with one compose whose log has three chunks. */
async function startSubject(): Promise<Subject> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ibs-bench-logs-'));
  const stack = await startLocalStack({ dataDir, port: 0, runners: 0, log: createLogger({}, { write: () => {} }) });
  const auth = { authorization: `Bearer ${await stack.mintToken(ORG)}` };
  const response = await fetch(`${stack.url}/api/image-builder/v1/compose`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ distribution: 'test-distro-1', image_requests: [{ architecture: 'x86_64', image_type: 'tar' }] }),
  });
  const { id } = (await response.json()) as { id: string };
  for (let seq = 0; seq < 3; seq++) await stack.deps.blobs.put(logChunkKey(ORG, id, 1, seq), LOG);
  return { stack, dataDir, id, auth, direct: [], http: [] };
}

/** One read each way, checked, timed into the subject's samples (or dropped, for the warm-up). */
async function readOnce(s: Subject, keep: boolean): Promise<void> {
  let t = performance.now();
  const slice = await readComposeLogs(s.stack.deps, ORG, s.id, 0);
  const direct = performance.now() - t;
  if (slice.text.length !== LOG_BYTES) throw new Error(`read ${slice.text.length} bytes of log, expected ${LOG_BYTES}`);
  t = performance.now();
  const res = await fetch(`${s.stack.url}/api/image-builder/v1/composes/${s.id}/logs`, { headers: s.auth });
  const body = (await res.json()) as { logs?: string };
  const http = performance.now() - t;
  if (res.status !== 200 || body.logs?.length !== LOG_BYTES) throw new Error(`GET /composes/${s.id}/logs: ${res.status}`);
  if (keep) {
    s.direct.push(direct);
    s.http.push(http);
  }
}

export async function run() {
  const subjects: Subject[] = [];
  try {
    const empty = await startSubject();
    subjects.push(empty);
    const full = await startSubject();
    subjects.push(full);
    const started = performance.now();
    const stored = await storeOtherComposes(full.stack.deps.blobs, OTHER_OBJECTS);
    const fillSeconds = +((performance.now() - started) / 1000).toFixed(1);
    for (let i = 0; i < 30 + SAMPLES; i++) {
      await readOnce(empty, i >= 30); // the first 30: warm-up (JIT, connections)
      await readOnce(full, i >= 30);
    }
    const figures = (s: Subject) => ({ readComposeLogsMs: percentiles(s.direct), getLogsMs: percentiles(s.http) });
    const e = figures(empty);
    const f = figures(full);
    return {
      samples: SAMPLES,
      logBytes: LOG_BYTES,
      otherObjects: stored,
      fillSeconds,
      emptyStore: e,
      with40000Objects: f,
      readComposeLogsP50Ratio: +(f.readComposeLogsMs.p50 / e.readComposeLogsMs.p50).toFixed(2),
      getLogsP50Ratio: +(f.getLogsMs.p50 / e.getLogsMs.p50).toFixed(2),
      note: 'embedded BlobStore (filesystem) of two local stacks read alternately; the 40,000 objects: 2,000 of 500 other composes of the same organization, 38,000 of 9,500 composes in 190 others',
    };
  } finally {
    for (const s of subjects) {
      await s.stack.stop();
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  }
}
