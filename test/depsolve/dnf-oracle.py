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


def resolve(task, root, cache):
    base = dnf.Base()
    conf = base.conf
    conf.installroot = root
    conf.cachedir = cache
    conf.reposdir = []
    conf.config_file_path = "/dev/null"
    conf.gpgcheck = False
    conf.install_weak_deps = task["weak"]
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
    try:
        base.fill_sack(load_system_repo=False)
        base.read_comps()
        base.install_specs(task["include"], exclude=task.get("exclude") or None)
        base.resolve()
    except dnf.exceptions.MarkingErrors as e:
        return {"ok": False, "error": "marking: " + str(e)}
    except dnf.exceptions.DepsolveError as e:
        return {"ok": False, "error": str(e)}
    except dnf.exceptions.Error as e:
        return {"ok": False, "error": "dnf: " + str(e)}
    finally:
        pass
    pkgs = sorted(nevra(t.pkg) for t in base.transaction if t.action in dnf.transaction.FORWARD_ACTIONS)
    base.close()
    return {"ok": True, "packages": pkgs}


def main():
    tasks = json.load(sys.stdin)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        for i, task in enumerate(tasks):
            root = os.path.join(tmp, f"root{i}")
            os.makedirs(root)
            res = resolve(task, root, cache)
            res["id"] = task["id"]
            out.append(res)
    json.dump(out, sys.stdout)


main()
