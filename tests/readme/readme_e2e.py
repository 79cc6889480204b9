#!/usr/bin/env python3
"""The README's commands, run as written, so that the README cannot drift from what works.

The commands are read from README.md itself: a fenced block (```sh or ```console) right after
an HTML comment `<!-- readme-test: NAME ... -->`. Each PART runs the block of that name in the
source tree, as a bash script (```sh) or command by command with the output compared exactly
(```console, `$ ` lines are commands). Only `build/` is taken to be BUILD (the build under test).

  readme_e2e.py --part NAME --source ROOT --build BUILD

Parts: quick-start (scripts/demo; scripts/check is CI itself, not run), word-sum (the output
shown), cluster-hostfile (namespace hosts, root), cluster-slurm (a real local Slurm, root),
cluster-container (podman, the image of the test cluster.container.image). Exit 77 (skipped,
with the reason) when the part needs what the machine lacks.
"""
import argparse
import fcntl
import glob
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

SKIP = 77
MARKED = re.compile(r"<!-- readme-test: ([\w-]+)[^>]*-->[ \t]*\n[ \t]*```(sh|console)\n(.*?)\n[ \t]*```",
                    re.S)


def blocks(readme):
    """NAME -> (kind, text) of every marked block, dedented."""
    found = {}
    for name, kind, text in MARKED.findall(open(readme, encoding="utf-8").read()):
        if name in found:
            sys.exit(f"readme_e2e: two blocks are marked {name}")
        found[name] = (kind, textwrap.dedent(text))
    return found


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def fail(message, detail=""):
    print(f"FAIL: {message}")
    if detail:
        print(textwrap.indent(detail.rstrip(), "  | "))
    sys.exit(1)


class Part:
    def __init__(self, a, text):
        self.root, self.build = os.path.realpath(a.source), os.path.realpath(a.build)
        self.text = text
        env = dict(os.environ)
        # What CTest's environment adds for its own MPI tests is not what a reader has.
        for key in list(env):
            if key.startswith("OMPI_MCA_") or key.startswith("OMPI_ALLOW_RUN_AS_ROOT"):
                del env[key]
        env["MRKIT_BUILD_DIR"] = self.build  # scripts/demo, scripts/build
        env["MRKIT_BIN"] = os.path.join(self.build, "bin")  # the Slurm job scripts
        self.env = env

    def script(self, text=None):
        text = self.text if text is None else text
        if self.build != os.path.join(self.root, "build"):
            text = re.sub(r"(?<![\w/])build/", self.build + "/", text)
        return text

    def run(self, script, timeout):
        print(f"== running, in {self.root}:\n{textwrap.indent(script.rstrip(), '   ')}", flush=True)
        start = time.monotonic()
        try:
            p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=self.root,
                               env=self.env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            fail(f"still running after {timeout} s", out)
        print(f"   exit {p.returncode} after {time.monotonic() - start:.1f} s")
        return p


def need_root(what):
    if os.geteuid() != 0:
        skip(f"{what} needs root")


def word_sum_lines(readme_blocks):
    """The per-file counts and total the README shows for the corpus."""
    kind, text = readme_blocks["word-sum"]
    return [ln for ln in text.splitlines() if not ln.startswith("$ ")]


def part_quick_start(a, b):
    kind, text = b["quick-start"]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not any(ln.startswith("scripts/demo") for ln in lines):
        fail("the quick-start block no longer runs scripts/demo", text)
    # scripts/check is what CI runs, this test included: not run from inside it.
    demo = "\n".join(ln for ln in lines if not ln.startswith("scripts/check"))
    part = Part(a, demo)
    p = part.run(part.script(), 600)
    out = p.stdout
    if p.returncode != 0:
        fail("scripts/demo failed", out + p.stderr)
    expected = word_sum_lines(b)
    got = [ln for ln in out.splitlines() if re.match(r"^ *\d+ ", ln)]
    checks = [
        ("says what it builds first", re.search(r"^== (first )?build", out, re.M)),
        ("shows CMake's progress lines", re.search(r"^\[ *\d+%\] ", out, re.M)),
        ("does not build the tests", "test_" not in out),
        ("prints the README's word sum", all(ln in out.splitlines() for ln in expected)),
        ("prints the 10 most frequent words", len(got) >= len(expected) + 10),
    ]
    bad = [name for name, ok in checks if not ok]
    if bad:
        fail("scripts/demo: " + "; ".join(bad), out)
    print("ok   scripts/demo: progress, the word sum as the README shows it, the top 10")


def part_word_sum(a, b):
    kind, text = b["word-sum"]
    if kind != "console":
        fail("the word-sum block is not a console block")
    commands, expected = [], {}
    for ln in text.splitlines():
        if ln.startswith("$ "):
            commands.append(ln[2:])
            expected[commands[-1]] = []
        elif commands:
            expected[commands[-1]].append(ln)
    part = Part(a, "")
    for command in commands:
        p = part.run(part.script(command), 120)
        if p.returncode != 0 or p.stdout.splitlines() != expected[command]:
            fail(f"'{command}' does not print what the README shows",
                 "README:\n" + "\n".join(expected[command]) + "\ngot:\n" + p.stdout + p.stderr)
        print(f"ok   {command}: exactly the README's {len(expected[command])} lines")


def part_cluster_hostfile(a, b):
    need_root("network namespaces")
    if not shutil.which("ip"):
        skip("ip (iproute2) not installed")
    kind, text = b["cluster-hostfile"]
    part = Part(a, text)
    down = os.path.join(part.root, "scripts", "cluster", "netns-hosts") + " down"
    lock = open("/run/lock/mrkit-readme-netns.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    subprocess.run(down, shell=True, capture_output=True, timeout=60)  # a killed run's hosts
    try:
        p = part.run(part.script(), 180)
    finally:
        subprocess.run(down, shell=True, capture_output=True, timeout=60)
    expected = word_sum_lines(b)
    if p.returncode != 0 or not all(ln in p.stdout.splitlines() for ln in expected):
        fail("the hostfile block did not print the word sum", p.stdout + p.stderr)
    print("ok   mpirun --hostfile hostfile.example over 3 namespace hosts: the README's word sum")


def part_cluster_slurm(a, b):
    need_root("slurmctld and slurmd")
    for tool in ("slurmctld", "slurmd", "munged", "sbatch"):
        if not shutil.which(tool):
            skip(f"{tool} not installed (scripts/setup installs slurm-wlm munge)")
    kind, text = b["cluster-slurm"]
    m = re.search(r"local-slurm up (\S+)", text)
    if not m:
        fail("the Slurm block does not start scripts/slurm/local-slurm", text)
    cluster = m.group(1)
    part = Part(a, text)
    local_slurm = os.path.join(part.root, "scripts", "slurm", "local-slurm")
    # Fixed ports: one local Slurm at a time (the lock of tests/cluster/slurm_test.sh).
    lock = open("/run/lock/mrkit-slurm-test.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)

    def down():
        subprocess.run([local_slurm, "down", cluster], capture_output=True, timeout=120)
        shutil.rmtree(cluster, ignore_errors=True)

    down()  # a killed run's cluster
    before = set(glob.glob(os.path.join(part.root, "slurm-jobs", "mrkit-*")))
    try:
        p = part.run(part.script(), 300)
    finally:
        down()
        for f in set(glob.glob(os.path.join(part.root, "slurm-jobs", "mrkit-*"))) - before:
            os.remove(f)
    out = p.stdout
    if p.returncode != 0 or '"total_words":593' not in out.replace(" ", "") \
            or '"ranks":4' not in out.replace(" ", ""):
        fail("the Slurm block did not print the job's result (593 words, 4 ranks)", out + p.stderr)
    print("ok   local Slurm, sbatch wordcount.sbatch on 2 nodes x 2 tasks: 593 words, 4 ranks")


def part_cluster_container(a, b):
    need_root("podman with its own storage")
    for tool in ("podman", "buildah", "runc"):
        if not shutil.which(tool):
            skip(f"{tool} not installed (scripts/setup installs it)")
    kind, text = b["cluster-container"]
    part = Part(a, text)
    podman_local = os.path.join(part.root, "deploy", "podman-local")
    storage = os.environ.get("MRKIT_CONTAINERS_DIR", "/var/tmp/mrkit-containers")
    exists = subprocess.run([podman_local, "podman", "image", "exists", "localhost/mrkit:latest"],
                            capture_output=True, timeout=120)
    if exists.returncode != 0:
        reason = ""
        if os.path.exists(os.path.join(storage, "SKIPPED")):
            reason = ": " + open(os.path.join(storage, "SKIPPED")).read().strip()
        skip(f"no image localhost/mrkit:latest in {storage} (made by cluster.container.image; "
             f"this test does not build it){reason}")
    p = part.run(part.script(), 300)
    expected = word_sum_lines(b)
    shown = [ln.replace("apps/wordcount/corpus", "/opt/mrkit/share/mrkit/corpus") for ln in expected]
    if p.returncode != 0 or not all(ln in p.stdout.splitlines() for ln in shown):
        fail("the container block did not print the word sum", p.stdout + p.stderr)
    print("ok   podman run localhost/mrkit:latest mpirun -n 2 wordcount: the README's word sum")


PARTS = {
    "quick-start": part_quick_start,
    "word-sum": part_word_sum,
    "cluster-hostfile": part_cluster_hostfile,
    "cluster-slurm": part_cluster_slurm,
    "cluster-container": part_cluster_container,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", required=True, choices=sorted(PARTS))
    ap.add_argument("--source", required=True)
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    b = blocks(os.path.join(a.source, "README.md"))
    missing = [name for name in ("word-sum", a.part) if name not in b]
    if missing:
        fail(f"README.md has no block marked <!-- readme-test: {missing[0]} -->")
    PARTS[a.part](a, b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
