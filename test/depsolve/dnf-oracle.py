"""Reference resolver for the differential tests: resolves requests with dnf's Python API the way osbuild does.

stdin: JSON list of tasks {id, repos: [{id, baseurl, priority?, cost?}], arch, releasever, include, exclude, weak}
stdout: JSON list of {id, ok, packages: [nevra], error}
"""
import json
import os
import sys
import tempfile

import dnf
import dnf.exceptions


def nevra(p):
    e = f"{p.epoch}:" if p.epoch else ""
    return f"{p.name}-{e}{p.version}-{p.release}.{p.arch}"


def make_base(task, root, cache):
    base = dnf.Base()
    conf = base.conf
    conf.installroot = root
    conf.cachedir = cache
    conf.reposdir = []
    conf.config_file_path = "/dev/null"
    conf.gpgcheck = False
    conf.best = task.get("best", False)
    conf.substitutions["arch"] = task["arch"]
    conf.substitutions["basearch"] = task["arch"]
    conf.substitutions["releasever"] = task["releasever"]
    conf.arch = task["arch"]
    conf.ignorearch = True
    for r in task["repos"]:
        repo = dnf.repo.Repo(r["id"], conf)
        repo.baseurl = [r["baseurl"]]
        if "priority" in r:
            repo.priority = r["priority"]
        if "cost" in r:
            repo.cost = r["cost"]
        repo.gpgcheck = False
        repo.metadata_expire = 0
        base.repos.add(repo)
    base.fill_sack(load_system_repo=False)
    base.read_comps()
    return base


def resolve(base, task):
    base.conf.install_weak_deps = task["weak"]
    try:
        base.install_specs(task["include"], exclude=task.get("exclude") or None)
        base.resolve()
    except dnf.exceptions.MarkingErrors as e:
        return {"ok": False, "error": "marking: " + str(e)}
    except dnf.exceptions.DepsolveError as e:
        return {"ok": False, "error": str(e)}
    except dnf.exceptions.Error as e:
        return {"ok": False, "error": "dnf: " + str(e)}
    return {"ok": True, "packages": sorted(nevra(t.pkg) for t in base.transaction if t.action in dnf.transaction.FORWARD_ACTIONS)}


def main():
    tasks = json.load(sys.stdin)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        bases = {}
        for i, task in enumerate(tasks):
            # Tasks on the same repositories share one loaded sack (excludes change the sack: never shared).
            key = json.dumps([task["repos"], task["arch"], task.get("best", False)]) if not task.get("exclude") else None
            base = bases.get(key) if key else None
            if base is None:
                root = os.path.join(tmp, f"root{i}")
                os.makedirs(root)
                try:
                    base = make_base(task, root, cache)
                except dnf.exceptions.Error as e:
                    out.append({"id": task["id"], "ok": False, "error": "dnf: " + str(e)})
                    continue
                if key:
                    for old in bases.values():
                        old.close()
                    bases = {key: base}  # keep one: tasks come grouped by repository
            else:
                base.reset(goal=True)
                base.read_comps()
            res = resolve(base, task)
            res["id"] = task["id"]
            out.append(res)
            if not key:
                base.close()
    json.dump(out, sys.stdout)


main()
