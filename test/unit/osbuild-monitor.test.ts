import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  OsbuildMonitorParser,
  parseMonitorStream,
  type MonitorEvent,
} from '../../runner-ami/src/osbuild-monitor.ts';

const runsDir = path.resolve(import.meta.dirname, '../../../shared/reference/osbuild-runs');
const streams = existsSync(runsDir) ? readdirSync(runsDir).filter((f) => f.endsWith('.monitor.jsonseq')) : [];

function records(buf: Buffer): unknown[] {
  return buf
    .toString('utf8')
    .split('\x1e')
    .filter((s) => s.length)
    .map((s) => JSON.parse(s));
}

function feed(buf: Uint8Array, sizes: (i: number) => number) {
  const p = new OsbuildMonitorParser();
  const events: MonitorEvent[] = [];
  let off = 0;
  for (let i = 0; off < buf.length; i++) {
    const n = Math.max(1, sizes(i));
    events.push(...p.push(buf.subarray(off, off + n)));
    off += n;
  }
  events.push(...p.end());
  return { events, state: p.state };
}

describe.skipIf(!existsSync(runsDir))('real JSONSeqMonitor streams (skipped: ../shared/reference/osbuild-runs not found)', () => {
  it('finds the three real streams', () => {
    expect(streams.sort()).toEqual(['build-jsonseq.monitor.jsonseq', 'fail-stage.monitor.jsonseq', 'rpm.monitor.jsonseq']);
  });

  for (const f of streams) {
    describe(f, () => {
      const buf = readFileSync(path.join(runsDir, f));
      const whole = parseMonitorStream(buf);

      it('parses every record, no garbage', () => {
        expect(whole.state.records).toBe(records(buf).length);
        expect(whole.state.invalidRecords).toBe(0);
        expect(whole.state.garbageBytes).toBe(0);
      });

      it('gives identical events and state when split at every byte and at random sizes', () => {
        const strip = (x: unknown) => JSON.parse(JSON.stringify(x));
        const perByte = feed(buf, () => 1);
        expect(strip(perByte.events)).toEqual(strip(whole.events));
        expect(strip(perByte.state)).toEqual(strip(whole.state));
        let seed = 7;
        const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 997;
        const random = feed(buf, rnd);
        expect(strip(random.state)).toEqual(strip(whole.state));
      });

      it('stage results match the records and the output is complete', () => {
        const stageRecs = records(buf)
          .map((r) => (r as { result?: { id?: string; name: string; success: boolean; output: string } }).result)
          .filter((r): r is { id: string; name: string; success: boolean; output: string } => !!r && 'id' in r);
        expect(whole.state.stageResults.map((r) => [r.name, r.id, r.success, r.output])).toEqual(
          stageRecs.map((r) => [r.name, r.id, r.success, r.output]),
        );
        // Every stage-output line from the stream is attributed to the stage that produced it.
        for (const r of whole.state.stageResults) {
          const lines = whole.state.logLines
            .filter((l) => l.kind === 'output' && l.stageId === r.id && l.pipeline === r.pipeline)
            .map((l) => l.text);
          expect(lines.join('\n') + '\n').toBe(r.output);
        }
      });
    });
  }

  it('build-jsonseq: progress, pipelines, stages and final state', () => {
    const { events, state } = parseMonitorStream(readFileSync(path.join(runsDir, 'build-jsonseq.monitor.jsonseq')));
    expect(state.progress).toEqual({ done: 3, total: 3 });
    expect(state.subProgress).toBeNull();
    expect(state.finished).toEqual({ success: true });
    expect(state.pipeline).toBe('archive');
    expect(state.stage).toBe('org.osbuild.tar');
    expect(state.stageResults.map((r) => [r.pipeline, r.name, r.success])).toEqual([
      ['tree', 'org.osbuild.mkdir', true],
      ['tree', 'org.osbuild.copy', true],
      ['tree', 'org.osbuild.chmod', true],
      ['archive', 'org.osbuild.tar', true],
    ]);
    expect(state.stageResults[0].duration).toBeCloseTo(0.2304757, 5);
    expect(state.sourceResults).toEqual([
      {
        sourceType: 'org.osbuild.inline',
        success: true,
        output: 'source org.osbuild.inline finished successfully',
        items: [
          {
            checksum: 'sha256:9d2980483d7d685d4b015392827a6632aca2e800978403416e7cb4b2257eb6d8',
            cached: false,
            success: true,
            error: '',
          },
        ],
      },
    ]);
    const started = events.filter((e) => e.type === 'pipeline-started').map((e) => e.type === 'pipeline-started' && e.name);
    expect(started).toEqual(['source org.osbuild.inline', 'tree', 'archive']);
    const finished = events.filter((e) => e.type === 'pipeline-finished').map((e) => e.type === 'pipeline-finished' && e.name);
    expect(finished).toEqual(['org.osbuild.inline', 'tree', 'archive']);
    // Pipeline start quirk: the context names the previous pipeline's stage; the folded state must not.
    const archiveStart = events.findIndex((e) => e.type === 'pipeline-started' && e.name === 'archive');
    const progressAfter = events.slice(archiveStart).find((e) => e.type === 'progress');
    expect(progressAfter).toEqual({
      type: 'progress',
      progress: { done: 2, total: 3 },
      subProgress: { name: 'pipeline: archive', done: 0, total: 1 },
    });
    const statusAtArchive = state.logLines.find((l) => l.text === 'Starting pipeline archive');
    expect(statusAtArchive).toMatchObject({ pipeline: 'archive', stage: null, kind: 'status' });
    const copyLine = state.logLines.find((l) => l.text.startsWith('copying '));
    expect(copyLine).toMatchObject({ pipeline: 'tree', stage: 'org.osbuild.copy', origin: 'stages/org.osbuild.copy' });
    expect(state.logLines.at(-1)).toMatchObject({ text: 'manifest /var/tmp/osb/manifests/tiny.json finished successfully', kind: 'status' });
  });

  it('fail-stage: failed chmod result and failed manifest', () => {
    const { state } = parseMonitorStream(readFileSync(path.join(runsDir, 'fail-stage.monitor.jsonseq')));
    const failed = state.stageResults.find((r) => !r.success)!;
    expect(failed).toMatchObject({ pipeline: 'tree', name: 'org.osbuild.chmod', id: 'd5be501fb56e3cd9fc655a8ee6550033b5c915e099deffb5aad74f316f33a82b' });
    expect(failed.output).toMatch(/ValueError: path \/does\/not\/exist not in tree\n$/);
    expect(state.finished).toEqual({ success: false });
    expect(state.progress).toEqual({ done: 2, total: 3 });
    expect(state.logLines.filter((l) => l.stage === 'org.osbuild.chmod' && l.kind === 'output').at(-1)?.text).toBe(
      'ValueError: path /does/not/exist not in tree',
    );
  });

  it('rpm: curl source output attributed to the source pipeline even after it finished', () => {
    const { state } = parseMonitorStream(readFileSync(path.join(runsDir, 'rpm.monitor.jsonseq')));
    const dl = state.logLines.find((l) => l.text.includes('Downloaded http://127.0.0.1:18081/'));
    expect(dl).toMatchObject({ origin: 'org.osbuild', pipeline: 'source org.osbuild.curl', kind: 'output' });
    expect(state.stageResults.find((r) => r.name === 'org.osbuild.rpm')?.metadata).toMatchObject({
      packages: [expect.objectContaining({ name: 'hello-osbuild', version: '1.0' })],
    });
  });
});

describe('framing robustness', () => {
  const rec = (o: object) => '\x1e' + JSON.stringify(o) + '\n';
  const ctx = { origin: 'stages/org.osbuild.x', pipeline: { name: 'p', id: 'pid', stage: { name: 'org.osbuild.x', id: 'sid' } }, id: 'c1' };

  it('tolerates garbage between records and a truncated record', () => {
    const text =
      'noise\n' +
      rec({ message: 'a\n', context: ctx, timestamp: 1 }) +
      'junk' +
      rec({ message: 'b\n', context: { id: 'c1' }, timestamp: 2 }) +
      '\x1e{"broken": \n' +
      rec({ message: 'c', context: { id: 'c1' } });
    const { state, events } = parseMonitorStream(text);
    expect(state.records).toBe(3);
    expect(state.invalidRecords).toBe(1);
    expect(state.garbageBytes).toBe('noise\n'.length + 'junk'.length);
    expect(state.logLines.map((l) => [l.text, l.stage, l.pipeline])).toEqual([
      ['a', 'org.osbuild.x', 'p'],
      ['b', 'org.osbuild.x', 'p'],
      ['c', 'org.osbuild.x', 'p'],
    ]);
    expect(events.some((e) => e.type === 'invalid-record')).toBe(true);
  });

  it('joins stage output split mid-line and across a multi-byte character', () => {
    const buf = Buffer.from(
      rec({ message: 'héllo wo', context: ctx }) + rec({ message: 'rld ✓\nsecond', context: { id: 'c1' } }) + rec({ message: ' line\n', context: { id: 'c1' } }),
    );
    const p = new OsbuildMonitorParser();
    const cut = buf.indexOf(Buffer.from('é')) + 1; // inside the 2-byte é
    p.push(buf.subarray(0, cut));
    p.push(buf.subarray(cut));
    p.end();
    expect(p.state.logLines.map((l) => l.text)).toEqual(['héllo world ✓', 'second line']);
  });

  it('parses a final record without trailing LF at end()', () => {
    const p = new OsbuildMonitorParser();
    expect(p.push('\x1e{"message": "starting x", "context": {"origin": "osbuild.main_cli", "pipeline": {"stage": {}}, "id": "i"}}')).toEqual([]);
    p.end();
    expect(p.state.records).toBe(1);
    expect(p.state.logLines[0]).toMatchObject({ text: 'starting x', kind: 'status' });
  });

  it('caps the kept log lines', () => {
    const many = Array.from({ length: 50 }, (_, i) => rec({ message: `l${i}\n`, context: i ? { id: 'c1' } : ctx })).join('');
    const { state } = parseMonitorStream(many, { maxLogLines: 10 });
    expect(state.logLines.length).toBe(10);
    expect(state.droppedLogLines).toBe(40);
    expect(state.logLines[0].text).toBe('l40');
  });
});
