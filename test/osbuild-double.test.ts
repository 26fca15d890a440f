// The osbuild test double against the real osbuild 191 runs in ../shared/reference/osbuild-runs (its curl source:
// osbuild-double-sources.test.ts; running it and reading its output: osbuild-double/harness.ts).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMonitorStream } from '../runner-ami/src/osbuild-monitor.ts';
import { classifyOsbuildResult } from '../runner-ami/src/osbuild-result.ts';
import { modeString, monitorStructure, rcOf, read, readTar, refManifests, runDouble, runs } from './osbuild-double/harness.ts';

describe.skipIf(!existsSync(runs))('osbuild double vs real osbuild 191 (skipped: ../shared/reference/osbuild-runs not found)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(tmpdir(), 'osbuild-double-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const buildArgs = (name: string, manifest: string, extra: string[] = []) => [
    '--store', path.join(work, `store-${name}`),
    '--export', 'archive',
    '--output-directory', path.join(work, `out-${name}`),
    '--json', '--monitor', 'JSONSeqMonitor', '--monitor-fd', '3',
    ...extra,
    path.join(runs, manifest),
  ];

  it('builds tiny.json like the real run: exit code, --json result, monitor records, exports, tar content', async () => {
    const r = await runDouble(buildArgs('tiny', 'tiny.json'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(rcOf('build-jsonseq.rc'));

    const real = JSON.parse(read('build-jsonseq.stdout.json'));
    const mine = JSON.parse(r.stdout);
    const shape = (o: typeof real) => ({
      keys: Object.keys(o),
      type: o.type,
      success: o.success,
      metadata: o.metadata,
      sources: o.sources,
      log: Object.fromEntries(Object.entries(o.log as Record<string, { id: string; type: string }[]>).map(([k, v]) => [k, v.map((e) => [e.id, e.type, Object.keys(e)])])),
    });
    expect(shape(mine)).toEqual(shape(real));
    // Same one-line Python json.dumps formatting.
    expect(r.stdout.startsWith('{"type": "result", "success": true, "metadata": {}, "sources": {"success": true, ')).toBe(true);
    expect(mine.log.tree[1].output).toContain("copying '/run/osbuild/inputs/inlinefile/sha256:9d2980483d7d685d4b015392827a6632aca2e800978403416e7cb4b2257eb6d8' -> '/run/osbuild/tree/etc/demo/hello.txt'\n");

    expect(monitorStructure(r.monitor)).toEqual(monitorStructure(readFileSync(path.join(runs, 'build-jsonseq.monitor.jsonseq'))));
    // Every stage ends with a record without message, in the stage's own context.
    const recs = r.monitor.toString().split('\x1e').filter(Boolean).map((x) => JSON.parse(x));
    expect(recs.filter((x) => !('message' in x)).length).toBe(4);

    // The runner's parser folds both streams to the same results.
    const a = parseMonitorStream(r.monitor).state;
    const b = parseMonitorStream(readFileSync(path.join(runs, 'build-jsonseq.monitor.jsonseq'))).state;
    const fold = (s: typeof a) => ({ progress: s.progress, finished: s.finished, results: s.stageResults.map((x) => [x.pipeline, x.name, x.id, x.success]), sources: s.sourceResults });
    expect(fold(a)).toEqual(fold(b));

    // Exported files (build-json.files.txt: out, out/archive, out/archive/tree.tar).
    const listed = read('build-json.files.txt').split('--- tar -tvf')[0].trim().split('\n').map((l) => l.split(' ').at(-1)!.replace(/^out/, ''));
    const outDir = path.join(work, 'out-tiny');
    const found = ['', ...readdirSync(outDir, { recursive: true }).map((p) => `/${p}`)].sort();
    expect(found).toEqual(listed.sort());

    // Archive content equals the real one: names, types/modes, hello.txt content.
    const tarBuf = readFileSync(path.join(outDir, 'archive/tree.tar'));
    expect(tarBuf.length).toBe(Number(/(\d+) out\/archive\/tree\.tar/.exec(read('build-json.files.txt'))![1]));
    const realTar = read('build-json.files.txt')
      .split('--- tar -tvf out/archive/tree.tar\n')[1]
      .split('\n---')[0]
      .trim()
      .split('\n')
      .map((l) => {
        const f = l.split(/\s+/);
        return [f[0], f[1], Number(f[2]), f.at(-1)];
      });
    const entries = readTar(tarBuf);
    expect(entries.map((e) => [modeString(e.type, e.mode), 'root/root', e.data.length, e.name])).toEqual(realTar);
    const hello = entries.find((e) => e.name === 'etc/demo/hello.txt')!;
    expect(hello.mode).toBe(0o600);
    expect(hello.data.toString()).toBe(read('build-json.files.txt').split('etc/demo/hello.txt\n').at(-1)!);
  });

  it('--inspect output is byte-identical to osbuild (tiny and rawid-ref)', async () => {
    for (const [m, want] of [['tiny.json', 'inspect.stdout.json'], ['rawid-ref.json', 'rawid-ref.inspect.json']]) {
      const r = await runDouble(['--inspect', path.join(runs, m)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(read(want));
    }
  });

  it('reads the manifest from stdin with "-"', async () => {
    const r = await runDouble(['--inspect', '-'], { stdin: read('tiny.json') });
    expect(r.stdout).toBe(read('inspect.stdout.json'));
  });

  it('stage failure (fail-stage.json) matches the real rc, result and monitor', async () => {
    const r = await runDouble(buildArgs('fail-stage', 'fail-stage.json'));
    expect(r.code).toBe(rcOf('fail-stage.rc'));
    const real = JSON.parse(read('fail-stage.stdout.json'));
    const mine = JSON.parse(r.stdout);
    expect(Object.keys(mine)).toEqual(Object.keys(real));
    expect(mine.error.type).toBe(real.error.type);
    expect({ ...mine.error.details.stage, output: undefined }).toEqual({ ...real.error.details.stage, output: undefined });
    // The traceback osbuild's chmod stage prints is reproduced verbatim.
    expect(real.error.details.stage.output.endsWith(mine.error.details.stage.output)).toBe(true);
    expect(mine.log.tree.map((e: object) => Object.keys(e))).toEqual(real.log.tree.map((e: object) => Object.keys(e)));
    expect(monitorStructure(r.monitor)).toEqual(monitorStructure(readFileSync(path.join(runs, 'fail-stage.monitor.jsonseq'))));
    const c = classifyOsbuildResult({ exitCode: r.code, stdout: r.stdout, stderr: r.stderr });
    expect(c).toMatchObject({ kind: 'stage-failure', pipeline: 'tree', stage: { type: 'org.osbuild.chmod' } });
    expect(existsSync(path.join(work, 'out-fail-stage', 'archive'))).toBe(false);
  });

  it('source failure (fail-source.json) prints exactly the real result', async () => {
    const r = await runDouble(buildArgs('fail-source', 'fail-source.json'));
    expect(r.code).toBe(rcOf('fail-source.rc'));
    expect(r.stdout).toBe(read('fail-source.stdout.json'));
  });

  it('invalid manifest: exit 2 and the same validation errors (JSON and human form)', async () => {
    const r = await runDouble(['--json', path.join(runs, 'invalid.json')]);
    expect(r.code).toBe(rcOf('invalid.rc'));
    expect(r.stdout).toBe(read('invalid.stdout.json'));
    const human = await runDouble([path.join(runs, 'invalid.json')]);
    expect(human.code).toBe(2);
    expect(human.stdout.replace(path.join(runs, 'invalid.json'), '/var/tmp/osb/manifests/invalid.json')).toBe(read('invalid-human.stdout.txt'));
    const bad = await runDouble(['--json', '--inspect', path.join(runs, 'bad-stage.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe(read('bad-stage.inspect.out.txt'));
  });

  it('validation: version, unknown keys at every level', async () => {
    const tiny = JSON.parse(read('tiny.json'));
    const cases: [object, number, RegExp][] = [
      [{ ...tiny, version: '3' }, 2, /^Unsupported manifest format\n$/],
      [{ ...tiny, bogus: 1 }, 2, /Additional properties are not allowed \('bogus' was unexpected\)", "path": \[\]/],
      [{ ...tiny, pipelines: [{ ...tiny.pipelines[0], extra: 1 }] }, 2, /"path": \["pipelines", 0\]/],
      [{ ...tiny, pipelines: [{ ...tiny.pipelines[0], stages: [{ ...tiny.pipelines[0].stages[0], junk: true }] }] }, 2, /'junk' was unexpected\)", "path": \["pipelines", 0, "stages", 0\]/],
    ];
    for (const [m, code, re] of cases) {
      const f = path.join(work, 'case.json');
      writeFileSync(f, JSON.stringify(m));
      const r = await runDouble(['--json', f]);
      expect(r.code, JSON.stringify(m).slice(0, 80)).toBe(code);
      expect(r.stdout).toMatch(re);
    }
    const noVersion = path.join(work, 'nov.json');
    writeFileSync(noVersion, JSON.stringify({ ...tiny, version: undefined }));
    expect((await runDouble(['--json', noVersion])).code).toBe(2);
  });

  it('unknown export, missing output directory, unknown runner, usage errors', async () => {
    const unknown = await runDouble(['--export', 'nosuch', '--json', path.join(runs, 'tiny.json')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe(read('unknown-export.stdout.txt'));
    const noOut = await runDouble(['--export', 'archive', path.join(runs, 'tiny.json')]);
    expect(noOut.code).toBe(1);
    expect(noOut.stdout).toBe(read('export-without-outdir.stdout.txt'));
    const runner = await runDouble(['--inspect', path.join(runs, 'bad-runner.json')]);
    expect(runner.code).toBe(1);
    expect(runner.stderr.trim().split('\n').at(-1)).toBe(read('bad-runner.inspect.out.txt').trim().split('\n').at(-1));
    const usage = await runDouble(['--bogus', 'x.json']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/osbuild: error: unrecognized arguments: --bogus/);
    const version = await runDouble(['--version']);
    expect(version.stdout).toBe('osbuild 191\n');
  });

  it('no --export builds nothing (only sources), exit 0, like checkpoint-without-export', async () => {
    const store = path.join(work, 'store-noexport');
    const r = await runDouble(['--store', store, '--checkpoint', 'tree', '--json', path.join(runs, 'tiny.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(read('checkpoint-without-export.stdout.json'));
    expect(readdirSync(path.join(store, 'objects'))).toEqual([]);
  });

  it('--checkpoint without --cache-max-size keeps nothing; with it the pipeline is cached and skipped on rerun', async () => {
    const store = path.join(work, 'store-ckpt');
    const out = path.join(work, 'out-ckpt');
    const log = path.join(work, 'calls.log');
    const args = ['--store', store, '--export', 'archive', '--output-directory', out, '--checkpoint', 'tree'];
    const first = await runDouble([...args, path.join(runs, 'tiny.json')], { env: { OSBUILD_DOUBLE_LOG: log } });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ca96fede5ec996e19ce7d9bb0b8158db0d68f9f63b9c333796d16aab166119bb: not cached\n$/);
    expect(readdirSync(path.join(store, 'objects'))).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(store, 'cache.info'), 'utf8'))).toEqual({ version: 1 });

    const second = await runDouble([...args, '--cache-max-size', '1GiB', path.join(runs, 'tiny.json')], { env: { OSBUILD_DOUBLE_LOG: log } });
    expect(second.stdout).toMatch(/: cached\n$/);
    expect(readFileSync(path.join(store, 'cache.info'), 'utf8')).toBe('{"version": 1, "maximum-size": 1073741824}');
    const obj = path.join(store, 'objects', 'ca96fede5ec996e19ce7d9bb0b8158db0d68f9f63b9c333796d16aab166119bb');
    for (const p of ['data/tree/etc/demo/hello.txt', 'data/meta', 'object.info', 'object.lock']) expect(existsSync(path.join(obj, p)), p).toBe(true);
    expect(statSync(path.join(obj, 'data/tree/etc/demo/hello.txt')).mode & 0o777).toBe(0o600);

    // Rerun (limit persisted): only archive is built; like rebuild-cached-logmonitor.stdout.txt.
    const third = await runDouble([...args, '--json', '--monitor', 'JSONSeqMonitor', '--monitor-fd', '3', path.join(runs, 'tiny.json')]);
    const mine = JSON.parse(third.stdout);
    expect(Object.keys(mine.log)).toEqual(['archive']);
    expect(mine.sources['org.osbuild.inline'][0].cached).toBe(true);
    const started = monitorStructure(third.monitor).map((x) => x.message).filter((m) => m.startsWith('Starting'));
    expect(started).toEqual(['Starting pipeline source org.osbuild.inline', 'Starting pipeline archive', 'Starting module org.osbuild.tar']);
    expect(read('rebuild-cached-logmonitor.stdout.txt')).toMatch(/Pipeline archive[\s\S]*ca96fede[^\n]*: cached/);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('export by pipeline id uses the id as directory name (export-by-id.files.txt)', async () => {
    const out = path.join(work, 'out-id');
    const id = '057593607672c159dc8d38699b20e20e84c9abe1bd4e70f524517ed22cfad6b1';
    const r = await runDouble(['--store', path.join(work, 'store-id'), '--export', id, '--output-directory', out, '--json', path.join(runs, 'tiny.json')]);
    expect(r.code).toBe(0);
    const want = read('export-by-id.files.txt').trim().split('\n').map((l) => l.replace('/var/tmp/osb/out-id', ''));
    expect(['', ...readdirSync(out, { recursive: true }).map((p) => `/${p}`)].sort()).toEqual(want.sort());
  });

  it('OSBUILD_DOUBLE_FAIL_STAGE, OSBUILD_DOUBLE_EXIT', async () => {
    const r = await runDouble(buildArgs('inject', 'tiny.json'), { env: { OSBUILD_DOUBLE_FAIL_STAGE: 'org.osbuild.copy' } });
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout);
    expect(res.error.details.stage.type).toBe('org.osbuild.copy');
    expect(res.error.details.stage.output).toMatch(/^Traceback \(most recent call last\):\n[\s\S]*RuntimeError: injected failure for org.osbuild.copy/);
    const forced = await runDouble(['--json', path.join(runs, 'tiny.json')], { env: { OSBUILD_DOUBLE_EXIT: '1' } });
    expect(forced.code).toBe(1);
    expect(classifyOsbuildResult({ exitCode: forced.code, stdout: forced.stdout, stderr: forced.stderr })).toMatchObject({ kind: 'other', reason: 'unknown' });
  });

  it('SIGTERM mid-build (OSBUILD_DOUBLE_STAGE_DELAY_MS) ends the process promptly by the signal', async () => {
    let killedAt = 0;
    let sent = false;
    const r = await runDouble(buildArgs('term', 'tiny.json'), {
      env: { OSBUILD_DOUBLE_STAGE_DELAY_MS: '5000' },
      onMonitor: (chunk, kill) => {
        if (!sent && chunk.toString().includes('Starting module org.osbuild.mkdir')) {
          sent = true;
          killedAt = Date.now();
          kill();
        }
      },
    });
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(r.signal).toBe('SIGTERM');
    expect(r.stdout).toBe('');
    const state = parseMonitorStream(r.monitor).state;
    expect(state.stage).toBe('org.osbuild.mkdir');
    expect(state.subProgress).toEqual({ name: 'pipeline: tree', done: 0, total: 3 });
    expect(classifyOsbuildResult({ exitCode: r.code, signal: r.signal, stdout: r.stdout }).kind).toBe('cancelled');
  });

  it('simulates other stages, leaving a placeholder at options.filename', async () => {
    const f = path.join(work, 'sim.json');
    writeFileSync(
      f,
      JSON.stringify({
        version: '2',
        pipelines: [{ name: 'image', stages: [{ type: 'org.osbuild.zstd', options: { filename: 'disk.img' } }] }],
      }),
    );
    const r = await runDouble(['--store', path.join(work, 'store-sim'), '--export', 'image', '--output-directory', path.join(work, 'out-sim'), '--json', f]);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(work, 'out-sim/image/disk.img'), 'utf8')).toMatch(/placeholder for org\.osbuild\.zstd/);
    expect(JSON.parse(r.stdout).log.image[0].output).toBe('osbuild-double: simulated org.osbuild.zstd\n');
  });

  it('works without a schema directory (structure checks only)', async () => {
    const env = { OSBUILD_DOUBLE_SCHEMAS: path.join(work, 'no-such-dir') };
    const ok = await runDouble(buildArgs('noschema', 'tiny.json'), { env });
    expect(ok.code).toBe(0);
    const f = path.join(work, 'noschema-bad.json');
    writeFileSync(f, JSON.stringify({ ...JSON.parse(read('tiny.json')), extra: 1 }));
    const bad = await runDouble(['--json', f], { env });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/'extra' was unexpected/);
  });
});

describe.skipIf(!existsSync(path.join(refManifests, 'inspect')))(
  'double --inspect on the 17 reference manifests (skipped: ../shared/reference/reference-manifests not found)',
  () => {
    it('is byte-identical to real osbuild --inspect', { timeout: 180_000 }, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'osbuild-double-inspect-'));
      try {
        const files = readdirSync(path.join(refManifests, 'inspect'));
        expect(files).toHaveLength(17);
        // Two at a time: each run validates a large manifest and compiles many stage schemas.
        const queue = [...files];
        const worker = async () => {
          for (let f = queue.shift(); f; f = queue.shift()) {
            const name = f.replace(/\.inspect\.json$/, '');
            const src = ['manifest-db', 'images-2023'].map((d) => path.join(refManifests, d, `${name}.json`)).find((p) => existsSync(p))!;
            const m = path.join(dir, `${name}.json`);
            writeFileSync(m, JSON.stringify(JSON.parse(readFileSync(src, 'utf8')).manifest));
            const r = await runDouble(['--inspect', m]);
            expect(r.code, `${name}: ${r.stdout.slice(0, 300)}`).toBe(0);
            expect(r.stdout === readFileSync(path.join(refManifests, 'inspect', f), 'utf8'), name).toBe(true);
          }
        };
        await Promise.all([worker(), worker()]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
