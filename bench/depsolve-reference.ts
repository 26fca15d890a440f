/**
 * The depsolver bench's references, run as Python processes: libsolv through python3-solv (XML load, .solv load,
 * warm in-process solves with job building, one-shot process) and dnf 4 through its Python API (the calls osbuild
 * makes). Each prints one JSON line.
 */
import { spawnSync } from 'node:child_process';

/** Shared by the libsolv modes: comps (groups, environments) read with ElementTree, jobs built per set. */
const LIBSOLV_COMMON = `
import json, resource, solv, sys, time, xml.etree.ElementTree as ET
NS = '{http://linux.duke.edu/metadata/repo}'
def locations(repo_dir):
    md = ET.parse(repo_dir + '/repodata/repomd.xml').getroot()
    return {d.get('type'): d.find(NS + 'location').get('href') for d in md.findall(NS + 'data')}
def read_comps(path):
    root = ET.parse(path).getroot()
    groups = {g.findtext('id'): [p.text for p in g.iter('packagereq') if p.get('type') in ('mandatory', 'default')] for g in root.iter('group')}
    envs = {e.findtext('id'): [x.text for x in e.find('grouplist').iter('groupid')] for e in root.iter('environment')}
    return groups, envs
def new_pool():
    pool = solv.Pool(); pool.setdisttype(solv.Pool.DISTTYPE_RPM); pool.setarch('x86_64')
    return pool
def names_of(specs, groups, envs):
    names = []
    for spec in specs:
        if not spec.startswith('@'): names.append(spec); continue
        g = spec[1:]
        for gid in ([g] if g in groups else envs.get(g, [])): names += groups.get(gid, [])
    return names
def solved(pool, specs, groups, envs):
    jobs = []
    for n in names_of(specs, groups, envs):
        jobs += pool.select(n, solv.Selection.SELECTION_NAME | solv.Selection.SELECTION_PROVIDES).jobs(solv.Job.SOLVER_INSTALL)
    solver = pool.Solver()
    problems = solver.solve(jobs)
    return problems, solver.transaction().newsolvables()
def solve(pool, specs, groups, envs):
    problems, installed = solved(pool, specs, groups, envs)
    return len(problems), sorted(s.name for s in installed)
def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
`;

/**
 * The whole answer of a one-shot process, as ours gives it (RepoDepsolver.resolve, ResolvedPackage) and osbuild's
 * dnf-json gives it: every package with its checksum and URL (what the manifest's sources need), ordered by NEVRA.
 */
const DESCRIBE = `
import functools
def nevra_key(evrcmp):
    def cmp(a, b):
        if a.name != b.name: return -1 if a.name < b.name else 1
        return evrcmp(a, b) or (a.arch > b.arch) - (a.arch < b.arch)
    return functools.cmp_to_key(cmp)
def with_details(d, summary, license, sourcerpm):
    if summary: d['summary'] = summary
    if license: d['license'] = license
    if sourcerpm: d['sourceRpm'] = sourcerpm
    return d
`;

const LIBSOLV_XML = `${LIBSOLV_COMMON}
repo_dir, solv_out = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
pool = new_pool(); repo = pool.add_repo('fedora')
repo.add_rpmmd(solv.xfopen(repo_dir + '/' + locations(repo_dir)['primary']), None)
pool.addfileprovides(); pool.createwhatprovides()
ms = (time.perf_counter() - t0) * 1000
rss = rss_mb()
f = solv.xfopen(solv_out, 'w'); repo.write(f); f.close()
print(json.dumps({'xmlLoadMs': ms, 'peakRssMB': rss, 'packages': repo.nsolvables}))
`;

const LIBSOLV_WARM = `${LIBSOLV_COMMON}
solv_path, comps_path, shapes, rounds = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
pool = new_pool(); repo = pool.add_repo('fedora'); repo.add_solv(solv.xfopen(solv_path), 0); pool.createwhatprovides()
load_ms = (time.perf_counter() - t0) * 1000
groups, envs = read_comps(comps_path)
out = {}
for i in range(rounds):
    for sets in shapes.values():
        for specs in sets.values(): solve(pool, specs, groups, envs)
for shape, sets in shapes.items():
    times = []
    for i in range(rounds):
        t = time.perf_counter()
        res = {name: solve(pool, specs, groups, envs) for name, specs in sets.items()}
        times.append((time.perf_counter() - t) * 1000)
    out[shape] = {'warmSolveMs': sorted(times)[len(times) // 2], 'sets': {k: v[1] for k, v in res.items()}, 'problems': sum(v[0] for v in res.values())}
print(json.dumps({'solvLoadMs': load_ms, 'shapes': out}))
`;

const LIBSOLV_ONCE = `${LIBSOLV_COMMON}${DESCRIBE}
def describe(s, base):
    e, _, vr = s.evr.partition(':') if ':' in s.evr else ('0', '', s.evr)
    v, _, r = vr.rpartition('-')
    c = s.lookup_checksum(solv.SOLVABLE_CHECKSUM)
    d = {'name': s.name, 'epoch': int(e), 'version': v, 'release': r, 'arch': s.arch, 'checksum': c.typestr() + ':' + c.hex(), 'remoteLocation': base + '/' + s.lookup_location()[0], 'repoId': s.repo.name}
    return with_details(d, s.lookup_str(solv.SOLVABLE_SUMMARY), s.lookup_str(solv.SOLVABLE_LICENSE), s.lookup_sourcepkg())
solv_path, comps_path, sets, base, names_only = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4].rstrip('/'), sys.argv[5] == 'names'
pool = new_pool(); repo = pool.add_repo('fedora'); repo.add_solv(solv.xfopen(solv_path), 0); pool.createwhatprovides()
groups, envs = read_comps(comps_path)
if names_only:
    res = {name: solve(pool, specs, groups, envs)[1] for name, specs in sets.items()}
    print(json.dumps({'closure': sum(len(v) for v in res.values()), 'peakRssMB': rss_mb()}))
else:
    order = nevra_key(lambda a, b: a.evrcmp(b))
    res = {name: [describe(s, base) for s in sorted(solved(pool, specs, groups, envs)[1], key=order)] for name, specs in sets.items()}
    print(json.dumps({'sets': res, 'peakRssMB': rss_mb()}))
# Done once the answer is out, as ours (bench/depsolve-once.ts): no interpreter teardown.
sys.stdout.flush()
import os; os._exit(0)
`;

const DNF_SCRIPT = `${DESCRIBE}
import dnf, hawkey, json, resource, sys, time, tempfile
url, sets, cache = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
base = dnf.Base()
c = base.conf
c.installroot = tempfile.mkdtemp(); c.cachedir = cache; c.reposdir = []; c.config_file_path = '/dev/null'
c.gpgcheck = False; c.install_weak_deps = True
for k, v in (('arch', 'x86_64'), ('basearch', 'x86_64'), ('releasever', '41')): c.substitutions[k] = v
r = dnf.repo.Repo('fedora', c); r.baseurl = [url]; r.gpgcheck = False; r.metadata_expire = -1
base.repos.add(r)
base.fill_sack(load_system_repo=False)
base.read_comps()
out = {}
for name, specs in sets.items():
    base.reset(goal=True)
    base.install_specs(specs)
    base.resolve()
    pkgs = sorted((t.pkg for t in base.transaction), key=nevra_key(lambda a, b: a.evr_cmp(b)))
    out[name] = [with_details({'name': p.name, 'epoch': p.epoch, 'version': p.version, 'release': p.release, 'arch': p.arch, 'checksum': hawkey.chksum_name(p.chksum[0]) + ':' + p.chksum[1].hex(), 'remoteLocation': p.remote_location(), 'repoId': p.reponame}, p.summary, p.license, p.sourcerpm) for p in pkgs]
print(json.dumps({'sets': out, 'peakRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

const PY = '/usr/bin/python3';
export const hasLibsolv = (): boolean => spawnSync(PY, ['-c', 'import solv']).status === 0;
export const hasDnf = (): boolean => spawnSync(PY, ['-c', 'import dnf']).status === 0;

/** libsolv's XML load of primary.xml (and the .solv file it writes for the other modes). */
export const libsolvXmlArgs = (repoDir: string, solvOut: string): [string, string[]] => [PY, ['-c', LIBSOLV_XML, repoDir, solvOut]];
/** libsolv in-process: .solv load, `rounds` warm-up solves of every shape, then `rounds` timed (jobs built each round). */
export const libsolvWarmArgs = (solv: string, comps: string, shapes: object, rounds: number): [string, string[]] => [PY, ['-c', LIBSOLV_WARM, solv, comps, JSON.stringify(shapes), String(rounds)]];
/**
 * libsolv as a one-shot process: .solv load, comps, the sets of one shape, and the whole answer (every package
 * described, as ours); `names`: the names only (for information: the answer a depsolve process cannot stop at).
 */
export const libsolvOnceArgs = (solv: string, comps: string, sets: object, baseurl: string, answer: 'whole' | 'names' = 'whole'): [string, string[]] => [
  PY,
  ['-c', LIBSOLV_ONCE, solv, comps, JSON.stringify(sets), baseurl, answer],
];
/** dnf as a process: metadata cache, comps, the sets of one shape (one goal per set), answered as dnf-json does. */
export const dnfArgs = (url: string, sets: object, cache: string): [string, string[]] => [PY, ['-c', DNF_SCRIPT, url, JSON.stringify(sets), cache]];
