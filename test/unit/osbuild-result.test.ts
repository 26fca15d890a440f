import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyOsbuildResult, formatValidationPath, type OsbuildOutcome } from '../../runner-ami/src/osbuild-result.ts';

const runsDir = path.resolve(import.meta.dirname, '../../../shared/reference/osbuild-runs');
const read = (f: string) => readFileSync(path.join(runsDir, f), 'utf8');
const rc = (f: string) => Number(/rc=(\d+)/.exec(read(f))![1]);
const manifest = (f: string) => JSON.parse(read(f));

function narrow<K extends OsbuildOutcome['kind']>(o: OsbuildOutcome, kind: K): Extract<OsbuildOutcome, { kind: K }> {
  expect(o.kind).toBe(kind);
  return o as Extract<OsbuildOutcome, { kind: K }>;
}

describe.skipIf(!existsSync(runsDir))('classify real osbuild runs (skipped: ../shared/reference/osbuild-runs not found)', () => {
  it('success (build-json)', () => {
    const o = narrow(
      classifyOsbuildResult({ exitCode: rc('build-json.rc'), stdout: read('build-json.stdout.json'), stderr: read('build-json.stderr.txt') }),
      'success',
    );
    expect(Object.keys(o.result!.log!)).toEqual(['tree', 'archive']);
    expect(o.result!.sources!.success).toBe(true);
  });

  it('success with rpm metadata', () => {
    const o = narrow(classifyOsbuildResult({ exitCode: rc('rpm.rc'), stdout: read('rpm.stdout.json') }), 'success');
    expect(o.result!.metadata!.tree['org.osbuild.rpm']).toMatchObject({ packages: [{ name: 'hello-osbuild' }] });
  });

  for (const [stdout, rcFile] of [
    ['fail-stage.stdout.json', 'fail-stage.rc'],
    ['fail-stage.jsonseqrun.stdout.json', 'fail-stage.jsonseqrun.rc'],
  ]) {
    it(`stage failure (${stdout})`, () => {
      const o = narrow(
        classifyOsbuildResult({ exitCode: rc(rcFile), stdout: read(stdout), stderr: read('fail-stage.stderr.txt') }),
        'stage-failure',
      );
      expect(o.stage).toEqual({ type: 'org.osbuild.chmod', id: 'd5be501fb56e3cd9fc655a8ee6550033b5c915e099deffb5aad74f316f33a82b' });
      expect(o.pipeline).toBe('tree');
      expect(o.outputTail.at(-1)).toBe('ValueError: path /does/not/exist not in tree');
      expect(o.outputTail.length).toBeLessThanOrEqual(20);
      expect(o.message).toBe('stage org.osbuild.chmod failed in pipeline tree: ValueError: path /does/not/exist not in tree');
      expect(o.permanent).toBe(false);
    });
  }

  it('stage failure: pipeline name from the manifest when the log lacks the stage', () => {
    const json = JSON.parse(read('fail-stage.stdout.json'));
    json.log = {};
    const o = narrow(
      classifyOsbuildResult({ exitCode: 1, stdout: JSON.stringify(json), manifest: manifest('fail-stage.json') }),
      'stage-failure',
    );
    expect(o.pipeline).toBe('tree');
    const none = narrow(classifyOsbuildResult({ exitCode: 1, stdout: JSON.stringify(json) }), 'stage-failure');
    expect(none.pipeline).toBeNull();
  });

  it('source failure (inline checksum mismatch) is permanent', () => {
    const o = narrow(
      classifyOsbuildResult({ exitCode: rc('fail-source.rc'), stdout: read('fail-source.stdout.json'), manifest: manifest('fail-source.json') }),
      'source-failure',
    );
    expect(o.sourceType).toBe('org.osbuild.inline');
    expect(o.error).toBe('Checksum mismatch for sha256:9d2980483d7d685d4b015392827a6632aca2e800978403416e7cb4b2257eb6d8');
    expect(o.checksum).toBe('sha256:9d2980483d7d685d4b015392827a6632aca2e800978403416e7cb4b2257eb6d8');
    expect(o.url).toBeNull(); // inline sources have no URL
    expect(o.permanent).toBe(true);
  });

  it('manifest invalid (exit 2, validation JSON)', () => {
    const o = narrow(classifyOsbuildResult({ exitCode: rc('invalid.rc'), stdout: read('invalid.stdout.json') }), 'manifest-invalid');
    expect(o.errors).toEqual([
      {
        message: "Additional properties are not allowed ('bogus' was unexpected)",
        path: ['pipelines', 0, 'stages', 0, 'options'],
        location: '.pipelines[0].stages[0].options',
      },
      {
        message: "'lz4' is not one of ['auto', 'xz', 'gzip', 'zstd']",
        path: ['pipelines', 1, 'stages', 0, 'options', 'compression'],
        location: '.pipelines[1].stages[0].options.compression',
      },
    ]);
    // Same locations osbuild prints in its human output.
    const human = read('invalid-human.stdout.txt');
    for (const e of o.errors) expect(human).toContain(`${e.location}:\n  ${e.message}`);
    expect(o.permanent).toBe(true);
  });

  it('unknown stage type (validation JSON from bad-stage)', () => {
    const o = narrow(classifyOsbuildResult({ exitCode: 2, stdout: read('bad-stage.inspect.out.txt') }), 'manifest-invalid');
    expect(o.errors[0]).toMatchObject({ message: "could not find schema information for 'org.osbuild.nosuchstage'", location: '.pipelines[0].stages[0]' });
  });

  it('unknown export (exit 1, no JSON)', () => {
    const o = narrow(classifyOsbuildResult({ exitCode: 1, stdout: read('unknown-export.stdout.txt'), stderr: '' }), 'other');
    expect(o.reason).toBe('unknown-export');
    expect(o.message).toBe("export nosuch not found in ['tree', 'archive']");
    expect(o.stdoutTail).toEqual(["Export nosuch not found in ['tree', 'archive']", 'Failed']);
    expect(o.permanent).toBe(true);
  });

  it('export without output directory', () => {
    const o = narrow(classifyOsbuildResult({ exitCode: 1, stdout: read('export-without-outdir.stdout.txt') }), 'other');
    expect(o.reason).toBe('missing-output-directory');
  });

  it('uncaught exception (bad runner traceback)', () => {
    const o = narrow(classifyOsbuildResult({ exitCode: 1, stdout: '', stderr: read('bad-runner.inspect.out.txt') }), 'other');
    expect(o.reason).toBe('exception');
    expect(o.message).toBe('ValueError: No suitable runner for org.osbuild.suse');
    expect(o.stderrTail.length).toBeGreaterThan(3);
  });
});

describe('synthetic cases', () => {
  const curlFail = (error: string, items: object[]) =>
    JSON.stringify({
      type: 'error',
      success: false,
      error: { type: 'org.osbuild.error.source', details: { source: { type: 'org.osbuild.curl', output: error } } },
      sources: { success: false, 'org.osbuild.curl': items },
      log: {},
    });
  const ck = 'sha256:' + 'ab'.repeat(32);

  it('curl download failure: URL from the error text, retryable', () => {
    const err = 'curl: error downloading http://127.0.0.1:8080/x.rpm: exit code 22';
    const o = narrow(classifyOsbuildResult({ exitCode: 1, stdout: curlFail(err, [{ checksum: ck, error: err }]) }), 'source-failure');
    expect(o).toMatchObject({ url: 'http://127.0.0.1:8080/x.rpm', checksum: ck, permanent: false, sourceType: 'org.osbuild.curl' });
  });

  it('curl checksum mismatch: URL and checksum from the error text', () => {
    const err = `failed to move to target directory: checksum mismatch: ${ck} http://127.0.0.1:8080/y.rpm`;
    const o = narrow(classifyOsbuildResult({ exitCode: 1, stdout: curlFail(err, [{ checksum: ck, error: err }]) }), 'source-failure');
    expect(o).toMatchObject({ url: 'http://127.0.0.1:8080/y.rpm', checksum: ck, permanent: true });
  });

  it('curl failure without URL in the text: URL looked up in the manifest by checksum', () => {
    const err = 'curl exited with code 6 and reported no results';
    const m = { sources: { 'org.osbuild.curl': { items: { [ck]: { url: 'http://127.0.0.1:1/z.rpm' } } } } };
    const o = narrow(
      classifyOsbuildResult({ exitCode: 1, stdout: curlFail(err, [{ checksum: ck, error: err }]), manifest: m }),
      'source-failure',
    );
    expect(o.url).toBe('http://127.0.0.1:1/z.rpm');
  });

  it('cancelled by signal or Ctrl-C', () => {
    expect(classifyOsbuildResult({ exitCode: null, signal: 'SIGTERM', stdout: '' }).kind).toBe('cancelled');
    expect(classifyOsbuildResult({ exitCode: 130, stdout: '\nAborted\n' }).kind).toBe('cancelled');
  });

  it('unsupported manifest format and usage errors', () => {
    expect(classifyOsbuildResult({ exitCode: 2, stdout: 'Unsupported manifest format\n' }).kind).toBe('manifest-invalid');
    const u = narrow(
      classifyOsbuildResult({ exitCode: 2, stdout: '', stderr: 'usage: osbuild [-h]\nosbuild: error: the following arguments are required: MANIFEST\n' }),
      'other',
    );
    expect(u.reason).toBe('usage');
    expect(u.message).toBe('osbuild: error: the following arguments are required: MANIFEST');
  });

  it('nonzero exit with a success JSON is not success', () => {
    const o = classifyOsbuildResult({ exitCode: 1, stdout: '{"type": "result", "success": true, "sources": {"success": true}, "log": {}}' });
    expect(o.kind).toBe('other');
  });

  it('formats validation paths like osbuild', () => {
    expect(formatValidationPath([])).toBe('.');
    expect(formatValidationPath(['sources', 'org.osbuild.curl', 'items', 'a b', 3])).toBe(".sources.org.osbuild.curl.items.'a b'[3]");
  });
});
