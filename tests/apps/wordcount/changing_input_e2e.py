#!/usr/bin/env python3
"""Files that grow, shrink or are rewritten while wordcount reads them.

The run reads a file in 64 KiB tasks; the test build of wordcount (--hooked-bin, never installed)
reads MRKIT_TEST_SLOW_TASK=1:SECONDS, which holds task 1
while the file is already open (seen in /proc/PID/fd), and the test changes the file then. Each
case must end with exit 0, one warning naming the file and what happened, and the count the
documented rule gives:
  grown:     the bytes listed (the first SIZE bytes), as bytes.split() of the original;
  shrunk:    the bytes still there, as bytes.split() of the truncated file;
  rewritten: same size, new modification time: a warning that the count may mix contents
             (checked for files of 1 MiB or more; smaller ones are read in one go).
An unchanged file gives no warning.
  changing_input_e2e.py --hooked-bin WORDCOUNT_HOOKED --mpiexec MPIEXEC
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

SPLIT = 65536
HOLD_SECONDS = 4


def text(rng, nbytes):
    words = [b"alpha", b"beta", b"gamma", b"delta", b"x", b"longerword", b"\xc3\xa9t\xc3\xa9"]
    out = bytearray()
    while len(out) < nbytes:
        out += rng.choice(words) + rng.choice([b" ", b"\n", b"  ", b"\t"])
    return bytes(out[:nbytes])


def holds_open(pid, path):
    """Is `path` among the open files of process `pid`?"""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == path:
                return True
        except OSError:
            pass
    return False


def run_changing(a, path, change):
    """Runs wordcount on `path`, calls change() once the file is open; returns (rc, out, err)."""
    env = dict(os.environ, MRKIT_TEST_SLOW_TASK=f"1:{HOLD_SECONDS}")
    argv = [a.mpiexec, "-n", "1", a.hooked_bin, "--schedule", "static", "--split-bytes", str(SPLIT),
            "--format", "json", path]
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    changed = False
    while time.monotonic() < deadline and p.poll() is None:
        # The rank is a child of mpiexec; look at the whole process tree.
        if any(holds_open(q, path) for q in [p.pid] + children_of(p.pid)):
            change()
            changed = True
            break
        time.sleep(0.01)
    out, err = p.communicate(timeout=120)
    return p.returncode, out, err.decode(errors="replace"), changed


def children_of(pid):
    found = []
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                             text=True).stdout
        for q in out.split():
            found.append(int(q))
            found += children_of(int(q))
    except OSError:
        pass
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hooked-bin", required=True,
                    help="the test build of wordcount that reads MRKIT_TEST_SLOW_TASK")
    ap.add_argument("--mpiexec", required=True)
    a = ap.parse_args()
    e2e.set_mpi_defaults()
    res = e2e.Results()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as work:
        original = text(rng, 20 * SPLIT + 123)  # over 1 MiB: rewrites are checked too
        path = os.path.join(work, "changing.txt")

        def fresh():
            with open(path, "wb") as f:
                f.write(original)
            os.utime(path, ns=(1_000_000_000, 1_000_000_000))

        def grow():
            with open(path, "ab") as f:
                f.write(b"appended words " * 5000)

        cut = 12 * SPLIT + 77

        def shrink():
            os.truncate(path, cut)

        def rewrite():
            with open(path, "r+b") as f:
                f.seek(16 * SPLIT)
                f.write(b"Z" * 100)

        cases = [
            ("unchanged", None, len(original.split()), None),
            ("grown", grow, len(original.split()), "grew while it was counted"),
            ("shrunk", shrink, len(original[:cut].split()), "shrank while it was counted"),
            ("rewritten", rewrite, None, "was modified while it was counted"),
        ]
        for name, change, want, warning in cases:
            fresh()
            rc, out, err, seen = run_changing(a, path, change or (lambda: None))
            if not res.check(f"{name}: the file was seen open before the change", seen, err):
                continue
            if not res.check(f"{name}: exit 0", rc == 0, f"exit {rc}: {err}"):
                continue
            got = json.loads(out)
            if want is not None:
                res.check(f"{name}: {want} words", got["total_words"] == want,
                          f"got {got['total_words']}")
            lines = [l for l in err.splitlines() if "warning" in l]
            if warning is None:
                res.check(f"{name}: no warning", lines == [], err)
            else:
                res.check(f"{name}: one warning naming the file: '{warning}'",
                          len(lines) == 1 and path in lines[0] and warning in lines[0]
                          and lines[0].startswith("wordcount: warning:"), err)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
