// formats/v2 of osbuild 191 re-created for the test double: load (ids, references, runners), describe (--inspect)
// and checkpoint marking.
import { readFileSync } from 'node:fs';
import { computeManifestIds } from '../../../layers/src/manifest/ids-core.mjs';
import { pyRepr } from './pyrepr.mjs';
import { pythonCrash } from './python-exit.mjs';

// runners/ of osbuild 191 (files and symlinks); Index.detect_runner picks the highest version ≤ the request.
const RUNNERS = ['centos9', 'fedora30', 'fedora38', 'linux', 'rhel7', 'rhel81', 'rhel82', 'ubuntu1804', 'AutoSD9', 'almalinux9', 'autosd', 'ol9', 'almalinux8', 'centos8', 'rhivos', 'arch', 'debian', 'eln11', 'fedora-asahi-remix', 'asahi-fedora-remix'];

function splitRunner(name) {
  const m = /^(.*?)(\d*)$/.exec(name);
  return [m[1], m[2] ? Number(m[2]) : 0];
}

export function detectRunner(fullName) {
  const [distro, version] = splitRunner(fullName.replace(/^org\.osbuild\./, ''));
  let best = null;
  for (const r of RUNNERS) {
    const [d, v] = splitRunner(r);
    if (d === distro && v <= version && (!best || v > best[1])) best = [r, v];
  }
  if (!best) throw new Error(`No suitable runner for org.osbuild.${distro}`);
  return `org.osbuild.${best[0]}`;
}

function hostRunner() {
  try {
    const osr = Object.fromEntries(
      readFileSync('/etc/os-release', 'utf8')
        .split('\n')
        .map((l) => /^([A-Z_]+)=("?)(.*)\2$/.exec(l))
        .filter(Boolean)
        .map((m) => [m[1], m[3]]),
    );
    const name = `org.osbuild.${osr.ID}${(osr.VERSION_ID ?? '').replace(/\./g, '')}`;
    const exec = detectRunner(name);
    return { name: exec, exec };
  } catch {
    return { name: 'org.osbuild.linux', exec: 'org.osbuild.linux' };
  }
}

/** formats/v2.load(): pipelines with ids, resolved references and runners. */
export function loadManifest(desc) {
  let ids;
  try {
    ids = computeManifestIds(desc);
  } catch (e) {
    pythonCrash('ValueError', e.message);
  }
  const sourceRefs = new Set();
  const sources = Object.entries(desc.sources ?? {}).map(([type, s], i) => {
    for (const k of Object.keys(s.items ?? {})) sourceRefs.add(k);
    return { type, items: s.items ?? {}, options: s.options ?? {}, id: ids.sources[i].id, name: `source ${type}`, stages: [] };
  });
  const pipelines = new Map();
  const declaredRunner = new Map();
  (desc.pipelines ?? []).forEach((p, i) => {
    const pid = ids.pipelines[i];
    let runner;
    if (p.runner) {
      try {
        runner = { name: p.runner, exec: detectRunner(p.runner) };
      } catch (e) {
        pythonCrash('ValueError', e.message);
      }
    } else runner = hostRunner();
    const stages = (p.stages ?? []).map((s, j) => {
      const sid = pid.stages[j];
      const inputs = {};
      for (const [name, ip] of Object.entries(s.inputs ?? {})) {
        const refs = sid.inputs[name];
        if (ip.origin === 'org.osbuild.source') {
          const unknown = Object.keys(refs).filter((r) => !sourceRefs.has(r));
          if (unknown.length) pythonCrash('ValueError', `Unknown source reference(s) {${unknown.map(pyRepr).join(', ')}}`);
        }
        inputs[name] = { type: ip.type, origin: ip.origin, options: ip.options ?? {}, refs };
      }
      return { name: s.type, id: sid.id, options: s.options ?? {}, inputs, devices: s.devices ?? {}, mounts: s.mounts ?? [], checkpoint: false };
    });
    pipelines.set(p.name, { name: p.name, id: pid.id, build: pid.build, runner, sourceEpoch: p['source-epoch'] ?? null, stages });
    declaredRunner.set(pid.id, runner);
  });
  // The manifest's "runner" belongs to the pipelines that use this one as build root (see v2.load).
  const host = hostRunner();
  for (const pl of pipelines.values()) pl.runner = pl.build ? (declaredRunner.get(pl.build) ?? host) : host;
  return { pipelines, sources, metadata: desc.metadata ?? {}, declaredRunner };
}

export function getPipeline(m, nameOrId) {
  if (m.pipelines.has(nameOrId)) return m.pipelines.get(nameOrId);
  for (const pl of m.pipelines.values()) if (pl.id === nameOrId) return pl;
  return null;
}

/** v2.sort_devices: parents before their children, otherwise manifest order (pass by pass). */
function sortDevices(devices) {
  const result = {};
  let todo = Object.keys(devices);
  while (todo.length) {
    const before = todo.length;
    const next = [];
    for (const name of todo) {
      const parent = devices[name].parent;
      if (parent && !(parent in result)) next.push(name);
      else result[name] = devices[name];
    }
    todo = next;
    if (todo.length === before) pythonCrash('ValueError', "Cycle detected in 'devices'");
  }
  return result;
}

/** formats/v2.describe(with_id=True): what --inspect prints. */
export function describe(m) {
  const runners = new Map();
  for (const p of m.pipelines.values()) if (p.build) runners.set(p.build, p.runner);
  const pipelines = [...m.pipelines.values()].map((p) => {
    const d = { name: p.name };
    if (p.build) d.build = p.build;
    const runner = runners.get(p.id);
    if (runner) d.runner = runner.name;
    const stages = p.stages.map((s) => {
      const sd = { type: s.name, id: s.id };
      if (s.options && Object.keys(s.options).length) sd.options = s.options;
      const devs = Object.fromEntries(Object.entries(sortDevices(s.devices)).map(([n, dv]) => [n, dv.options && Object.keys(dv.options).length ? { type: dv.type, options: dv.options } : { type: dv.type }]));
      if (Object.keys(devs).length) sd.devices = devs;
      const mounts = s.mounts.map((mt) => {
        const md = { name: mt.name, type: mt.type, target: mt.target ?? null };
        if (mt.source) md.source = mt.source;
        if (mt.options && Object.keys(mt.options).length) md.options = mt.options;
        if (mt.partition) md.partition = mt.partition;
        return md;
      });
      if (mounts.length) sd.mounts = mounts;
      const ips = Object.fromEntries(
        Object.entries(s.inputs).map(([n, ip]) => {
          const idesc = { type: ip.type, origin: ip.origin };
          if (ip.options && Object.keys(ip.options).length) idesc.options = ip.options;
          if (Object.keys(ip.refs).length) idesc.references = ip.refs;
          return [n, idesc];
        }),
      );
      if (Object.keys(ips).length) sd.inputs = ips;
      return sd;
    });
    if (stages.length) d.stages = stages;
    return d;
  });
  const result = { version: '2', pipelines };
  if (Object.keys(m.metadata).length) result.metadata = m.metadata;
  if (m.sources.length) result.sources = Object.fromEntries(m.sources.map((s) => [s.type, { items: s.items }]));
  return result;
}

function fnmatchRegex(pat) {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const j = pat.indexOf(']', i + 2);
      if (j < 0) re += '\\[';
      else {
        let body = pat.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

/** Manifest.mark_checkpoints */
export function markCheckpoints(m, patterns) {
  const res = patterns.map(fnmatchRegex);
  const matching = (s) => res.some((r) => r.test(s));
  const selected = new Set();
  for (const p of m.pipelines.values()) {
    if (!p.stages.length) continue;
    if (matching(p.name)) {
      selected.add(p.id);
      p.stages[p.stages.length - 1].checkpoint = true;
    }
    for (const s of p.stages) {
      if (matching(s.id) || matching(s.name)) {
        selected.add(s.id);
        s.checkpoint = true;
      }
    }
  }
  return selected;
}
