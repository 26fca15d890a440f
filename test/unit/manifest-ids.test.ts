import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  computeManifestIds,
  parsePythonJson,
  pythonFloatRepr,
  pythonJsonDumps,
  PyFloat,
} from '../../layers/src/manifest/ids.ts';

const shared = path.resolve(import.meta.dirname, '../../../shared/reference');
const refDir = path.join(shared, 'reference-manifests');
const runsDir = path.join(shared, 'osbuild-runs');

interface InspectStage {
  type: string;
  id: string;
}
interface InspectOut {
  pipelines: { name: string; stages?: InspectStage[] }[];
}

function readJson(p: string): unknown {
  return JSON.parse(readFileSync(p, 'utf8'));
}

function expectIdsMatch(manifest: unknown, inspect: InspectOut): number {
  const ids = computeManifestIds(manifest);
  expect(ids.pipelines.map((p) => p.name)).toEqual(inspect.pipelines.map((p) => p.name));
  let n = 0;
  inspect.pipelines.forEach((p, i) => {
    const got = ids.pipelines[i].stages.map((s) => [s.type, s.id]);
    const want = (p.stages ?? []).map((s) => [s.type, s.id]);
    expect(got, `pipeline ${p.name}`).toEqual(want);
    expect(ids.pipelines[i].id).toBe(want.length ? want[want.length - 1][1] : null);
    n += want.length;
  });
  return n;
}

describe('pythonJsonDumps (CPython json.dumps compatible)', () => {
  it('uses Python separators, sorts keys by code point and escapes non-ASCII', () => {
    const v = { b: 1, a: 'é😀\u007f\n"\\', c: [1.5, null, true, false], '\u{1F600}': 0, '\uFFFF': 0 };
    // Expected strings produced by CPython 3.11 json.dumps(v, sort_keys=True).
    expect(pythonJsonDumps(v, { sortKeys: true })).toBe(
      '{"a": "\\u00e9\\ud83d\\ude00\\u007f\\n\\"\\\\", "b": 1, "c": [1.5, null, true, false], "\\uffff": 0, "\\ud83d\\ude00": 0}',
    );
    expect(pythonJsonDumps({ z: {}, a: [] })).toBe('{"z": {}, "a": []}');
    expect(pythonJsonDumps('\u0001\b\f\r\t')).toBe('"\\u0001\\b\\f\\r\\t"');
  });

  it('formats floats like float.__repr__', () => {
    const cases: [number, string][] = [
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [123.456, '123.456'],
      [-2.5, '-2.5'],
      [1e300, '1e+300'],
      [5e-324, '5e-324'],
      [0.1 + 0.2, '0.30000000000000004'],
      [-0, '-0.0'],
      [12345678901234567, '1.2345678901234568e+16'],
    ];
    for (const [x, want] of cases) expect(pythonFloatRepr(x)).toBe(want);
    expect(pythonJsonDumps([new PyFloat(1), 1, 2 ** 70, 10n ** 30n])).toBe(
      '[1.0, 1, 1180591620717411303424, 1000000000000000000000000000000]',
    );
  });

  it('parsePythonJson keeps float-ness and big ints', () => {
    const v = parsePythonJson('{"a": 1.0, "b": 2, "c": 1e3, "d": 123456789012345678901, "s": "1.0"}');
    expect(pythonJsonDumps(v)).toBe('{"a": 1.0, "b": 2, "c": 1000.0, "d": 123456789012345678901, "s": "1.0"}');
    expect(parsePythonJson('{"a": [1, "x.5e"]}')).toEqual({ a: [1, 'x.5e'] });
  });
});

describe.skipIf(!existsSync(refDir))(
  'ids equal real osbuild --inspect output (skipped: ../shared/reference/reference-manifests not found)',
  () => {
    const files = existsSync(refDir) ? readdirSync(path.join(refDir, 'inspect')) : [];
    it('covers all 17 reference manifests', () => {
      expect(files.length).toBe(17);
    });
    for (const f of files) {
      const name = f.replace(/\.inspect\.json$/, '');
      it(name, () => {
        const src = ['manifest-db', 'images-2023']
          .map((d) => path.join(refDir, d, `${name}.json`))
          .find((p) => existsSync(p));
        expect(src, `source manifest for ${name}`).toBeDefined();
        const manifest = (readJson(src!) as { manifest: unknown }).manifest;
        const n = expectIdsMatch(manifest, readJson(path.join(refDir, 'inspect', f)) as InspectOut);
        expect(n).toBeGreaterThan(5);
        // Also through the text path (parsePythonJson) used for manifests read from disk.
        const text = JSON.stringify(manifest);
        expect(computeManifestIds(text).pipelines.at(-1)!.id).toBe(computeManifestIds(manifest).pipelines.at(-1)!.id);
      });
    }
  },
);

describe.skipIf(!existsSync(runsDir))(
  'ids equal the real runs (skipped: ../shared/reference/osbuild-runs not found)',
  () => {
    it('tiny.json vs inspect.stdout.json', () => {
      const m = readJson(path.join(runsDir, 'tiny.json'));
      expect(expectIdsMatch(m, readJson(path.join(runsDir, 'inspect.stdout.json')) as InspectOut)).toBe(4);
      const ids = computeManifestIds(m);
      expect(ids.pipelines.map((p) => p.id)).toEqual([
        'ca96fede5ec996e19ce7d9bb0b8158db0d68f9f63b9c333796d16aab166119bb',
        '057593607672c159dc8d38699b20e20e84c9abe1bd4e70f524517ed22cfad6b1',
      ]);
      // Source "pipeline" id as shown by the JSONSeq monitor.
      expect(ids.sources).toEqual([
        { type: 'org.osbuild.inline', id: '29c8a045e6b3707621f1991726838f441c8d7e511ef41ab173c583bf64bc5234' },
      ]);
      // Pipeline input references are resolved to ids the way --inspect shows them.
      expect(ids.pipelines[1].stages[0].inputs).toEqual({ tree: { [ids.pipelines[0].id!]: {} } });
    });

    it('raw-id pipeline references are dropped like osbuild does (rawid-ref)', () => {
      const m = readJson(path.join(runsDir, 'rawid-ref.json'));
      expectIdsMatch(m, readJson(path.join(runsDir, 'rawid-ref.inspect.json')) as InspectOut);
      expect(computeManifestIds(m).pipelines[1].stages[0].inputs).toEqual({ tree: {} });
    });

    it('fail-stage.json pipelines match the ids osbuild printed', () => {
      const ids = computeManifestIds(readJson(path.join(runsDir, 'fail-stage.json')));
      expect(ids.pipelines.map((p) => p.id)).toEqual([
        'd5be501fb56e3cd9fc655a8ee6550033b5c915e099deffb5aad74f316f33a82b',
        '5524572fca4c4c0808049c835995d464285663e0ef8ea9d17264b06ed7151558',
      ]);
    });

    it('rpm.json source id matches the monitor stream', () => {
      const ids = computeManifestIds(readJson(path.join(runsDir, 'rpm.json')));
      expect(ids.sources[0].id).toBe('3315a17b8dcf205f09f4ce68bee16f9b72f903be28bb125df7ed35ffca1ac3c0');
      expect(ids.pipelines.map((p) => p.id)).toEqual([
        '678e131f37118f9bb114b0ae65ee12657cdfa2867991e517ba0e3a34bf12b687',
        'b1622691b679ef71b30410c58c63c0f5bc9f7be47abb59b99060c09c3c843ba1',
      ]);
    });
  },
);

describe('id semantics', () => {
  const base = {
    version: '2',
    pipelines: [
      { name: 'build', stages: [{ type: 'org.osbuild.mkdir', options: { paths: [{ path: '/x' }] } }] },
      {
        name: 'os',
        build: 'name:build',
        'source-epoch': 1700000000,
        stages: [
          {
            type: 'org.osbuild.copy',
            devices: { disk: { type: 'org.osbuild.loopback', options: { filename: 'disk.img' } } },
            mounts: [{ name: 'root', type: 'org.osbuild.ext4', source: 'disk', target: '/' }],
          },
        ],
      },
    ],
  };
  it('changes with options, build, source-epoch and mounts but not with names or runner', () => {
    const id = (m: unknown) => computeManifestIds(m).pipelines[1].id;
    const ref = id(base);
    const clone = () => JSON.parse(JSON.stringify(base));
    const renamedDevice = clone();
    renamedDevice.pipelines[1].stages[0].devices = { other: renamedDevice.pipelines[1].stages[0].devices.disk };
    renamedDevice.pipelines[1].stages[0].mounts[0].source = 'other';
    renamedDevice.pipelines[1].stages[0].mounts[0].name = 'renamed';
    renamedDevice.pipelines[1].runner = 'org.osbuild.fedora38';
    expect(id(renamedDevice)).toBe(ref);
    const epoch = clone();
    epoch.pipelines[1]['source-epoch'] = 1;
    expect(id(epoch)).not.toBe(ref);
    const opts = clone();
    opts.pipelines[0].stages[0].options.paths[0].path = '/y';
    expect(id(opts)).not.toBe(ref);
    const target = clone();
    target.pipelines[1].stages[0].mounts[0].target = '/boot';
    expect(id(target)).not.toBe(ref);
    // `options: null` hashes like `{}` (Python `options or {}`).
    const nullOpts = clone();
    nullOpts.pipelines[1].stages[0].options = null;
    expect(id(nullOpts)).toBe(ref);
  });
  it('rejects unknown pipeline references', () => {
    const bad = JSON.parse(JSON.stringify(base));
    bad.pipelines[1].build = 'name:nosuch';
    expect(() => computeManifestIds(bad)).toThrow(/Unknown pipeline reference: name:nosuch/);
  });
});
