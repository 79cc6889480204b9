#!/usr/bin/env python3
"""End-to-end test of lost output: write errors, -o files, their modes and permissions.

Usage (registered in CTest at P = 1 and 2 ranks):

    /usr/bin/python3 tests/apps/output_errors_e2e.py --bindir build/bin --ranks P --mpiexec mpiexec

Every program of apps/ must report a failed write of its result and exit 1 with one line
`PROGRAM: ...` naming the reason, never exit 0 with a cut or missing result:
  - standard output on /dev/full, closed (`>&-`), or a file on a full file system (a tmpfs of
    64 KiB, mounted when run as root; skipped with a reason otherwise). These run the program
    alone (an MPI singleton): under mpirun the ranks' standard output is a terminal that mpirun
    copies to its own and mpirun drops what it cannot write (see README, "Errors and exit codes")
  - `-o FILE` on the full file system and `-o /dev/full`, under mpiexec at P ranks: exit 1, and
    an existing FILE keeps its old content, with no temporary file left beside it
  - dcsort `-o -` on a full disk does not say "verified: sorted"
Then, for -o: a new file follows the umask (077: 0600), a replaced file keeps its mode (0600,
0640), a regular file under /dev/shm is replaced (three runs leave one JSON object), a 250-byte
name works, `-o ''` is refused (exit 2), and, as root, a user (nobody, via setpriv) cannot
replace through -o, directly or through a symbolic link, a file they could not write, while
root replacing a 0444 file keeps 0444. The last line printed is `N passed, N failed`.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

TIMEOUT = 120

# Each program with arguments that make it print a result quickly (a few KB at most).
PROGRAMS = {
    "wordcount": ["--top", "0", "{words}"],
    "montecarlo": ["pi", "--samples", "10000"],
    "dcsort": ["--generate", "1000"],
    "bank": ["--mode", "atomic", "--iterations", "100", "--repeat", "2"],
    "processes": [],
    "pipe_words": [],
    "wait_pipes": ["--children", "2", "--messages", "3"],
    "queue_squares": [],
    "shared_value": [],
    "manager_dict": [],
    "pool_squares": ["--sleep", "0.2", "--timeout", "0.05"],
    "ngrams": ["-n", "2", "{words}"],
    "invindex": ["{words}"],
    "groupby": ["--key", "1", "{words}"],
}


def run(argv, stdout=None, close_stdout=False, env=None, user=None):
    """Runs argv with stdout a file object (or /dev/null), or closed; returns an e2e.Run with
    empty out (stdout is not captured). `user`: run as that user through setpriv."""
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + argv
    t0 = time.monotonic()
    target = stdout if stdout is not None else subprocess.DEVNULL

    def close_one():
        if close_stdout:
            os.close(1)

    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=target, stderr=subprocess.PIPE,
                         env=env, start_new_session=True, preexec_fn=close_one)
    try:
        _, err = p.communicate(timeout=TIMEOUT)
        return e2e.Run(argv, p.returncode, b"", err, time.monotonic() - t0, False)
    except subprocess.TimeoutExpired:
        e2e.kill_session(p.pid)
        _, err = p.communicate()
        return e2e.Run(argv, None, b"", err, time.monotonic() - t0, True)


def mount_full_tmpfs(path):
    """Mounts a 64 KiB tmpfs on `path` (root only); returns None or why it could not."""
    if os.geteuid() != 0:
        return "not root: cannot mount a small file system"
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", path],
                       capture_output=True, text=True)
    return None if r.returncode == 0 else f"mount failed: {r.stderr.strip()}"


def fill(path):
    """Fills the file system of directory `path` to the last byte."""
    with open(os.path.join(path, "filler"), "wb", buffering=0) as f:
        block = b"\0" * 4096
        try:
            while True:
                f.write(block)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0")
        except OSError:
            pass


def main():
    a = e2e.mpi_arguments(__doc__.split("\n")[0], binary="--bindir").parse_args()
    res = e2e.Results()
    p = a.ranks
    work = tempfile.mkdtemp(prefix="mrkit-output-errors-")
    os.chmod(work, 0o755)
    words = os.path.join(work, "words.txt")
    with open(words, "w") as f:
        f.write("".join(f"w{i} " for i in range(3000)) + "\n")
    full = os.path.join(work, "full")
    os.mkdir(full)
    no_tmpfs = mount_full_tmpfs(full)
    try:
        if no_tmpfs is None:
            with open(os.path.join(full, "old.txt"), "w") as f:
                f.write("old\n")
            fill(full)
        check_programs(res, a, p, words, full, no_tmpfs)
        check_output_files(res, a, p, words, work)
    finally:
        if no_tmpfs is None:
            subprocess.run(["umount", "-l", full], check=False)
        shutil.rmtree(work, ignore_errors=True)
    return res.finish()


def bin_of(a, name):
    return os.path.join(a.bindir, name)


def args_of(name, words):
    return [x.replace("{words}", words) for x in PROGRAMS[name]]


def mpi(a, p, argv):
    return [a.mpiexec, "--mca", "odls_base_sigkill_timeout", "0", "-n", str(p)] + argv


def said(r, name, mentions, code=1):
    return e2e.said_once(r, name, code, mentions=mentions)


def check_programs(res, a, p, words, full, no_tmpfs):
    for name in PROGRAMS:
        argv = [bin_of(a, name)] + args_of(name, words)
        if p == 1:
            # Standard output, the program alone (an MPI singleton).
            with open("/dev/full", "wb") as devfull:
                r = run(argv, stdout=devfull)
            res.check(f"{name} > /dev/full: exit 1, one line 'No space left on device'",
                      said(r, name, "No space left on device"), r.describe())
            r = run(argv, close_stdout=True)
            res.check(f"{name} >&- (stdout closed): exit 1, one line 'Bad file descriptor'",
                      said(r, name, "Bad file descriptor"), r.describe())
            if no_tmpfs is None:
                with open(os.path.join(full, "stdout.txt"), "wb") as out:
                    r = run(argv, stdout=out)
                res.check(f"{name} > full-disk/stdout.txt: exit 1, one line",
                          said(r, name, "No space left on device"), r.describe())
        # -o, under mpiexec at P ranks.
        r = run(mpi(a, p, argv + ["-o", "/dev/full"]))
        res.check(f"{name} -o /dev/full at {p} ranks: exit 1, one line",
                  said(r, name, "No space left on device"), r.describe())
        if no_tmpfs is None:
            old = os.path.join(full, "old.txt")
            r = run(mpi(a, p, argv + ["-o", old]))
            with open(old) as f:
                kept = f.read() == "old\n"
            left = sorted(set(os.listdir(full)) - {"old.txt", "filler", "stdout.txt"})
            res.check(f"{name} -o full-disk/old.txt at {p} ranks: exit 1, one line, the old "
                      "file untouched, no temporary file left",
                      said(r, name, "No space left on device") and kept and not left,
                      f"kept {kept}, left {left}\n{r.describe()}")
    if no_tmpfs is not None:
        print(f"skip  the full file system cases: {no_tmpfs}")
    # dcsort writes its keys to stdout and its report to stderr: no success after a failure.
    argv = [bin_of(a, "dcsort"), "--generate", "100000", "-o", "-"]
    if p == 1:
        with open("/dev/full", "wb") as devfull:
            r = run(argv, stdout=devfull)
        res.check("dcsort -o - > /dev/full: exit 1, one line, no 'verified: sorted'",
                  said(r, "dcsort", "No space left on device") and "sorted" not in r.stderr,
                  r.describe())


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def check_output_files(res, a, p, words, work):
    wc = [bin_of(a, "wordcount"), words]

    def wordcount(args, **kw):
        return run(mpi(a, p, wc + args), **kw)

    # A new file follows the umask.
    old_umask = os.umask(0o077)
    try:
        target = os.path.join(work, "umask077.txt")
        r = wordcount(["-o", target])
        res.check(f"umask 077: a new -o file has mode 0600 at {p} ranks",
                  r.rc == 0 and os.path.exists(target) and mode_of(target) == 0o600,
                  f"mode {oct(mode_of(target)) if os.path.exists(target) else None}\n"
                  + r.describe())
    finally:
        os.umask(old_umask)
    old_umask = os.umask(0o022)
    try:
        target = os.path.join(work, "umask022.txt")
        r = wordcount(["-o", target])
        res.check("umask 022: a new -o file has mode 0644",
                  r.rc == 0 and mode_of(target) == 0o644, r.describe())
        # A replaced file keeps its mode.
        for mode in (0o600, 0o640):
            target = os.path.join(work, f"kept{mode:o}.txt")
            with open(target, "w") as f:
                f.write("old\n")
            os.chmod(target, mode)
            r = wordcount(["-o", target])
            with open(target) as f:
                replaced = f.read() != "old\n"
            res.check(f"an existing {mode:o} file is replaced and stays {mode:o}",
                      r.rc == 0 and replaced and mode_of(target) == mode,
                      f"mode {oct(mode_of(target))}, replaced {replaced}\n{r.describe()}")
    finally:
        os.umask(old_umask)

    # A regular file under /dev is replaced, not appended to.
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        target = os.path.join("/dev/shm", f"mrkit-output-errors-{os.getpid()}-{p}.json")
        try:
            codes = [wordcount(["--format", "json", "-o", target]).rc for _ in range(3)]
            text = ""
            if os.path.exists(target):
                with open(target) as f:
                    text = f.read()
            res.check("-o /dev/shm/x.json three times: one JSON object",
                      codes == [0, 0, 0] and e2e.json_or(text) is not None,
                      f"exit codes {codes}\n{e2e.short(text, 400)}")
        finally:
            if os.path.exists(target):
                os.unlink(target)
    else:
        print("skip  /dev/shm: not a writable directory")

    # A 250-byte name.
    target = os.path.join(work, "n" * 250)
    r = wordcount(["-o", target])
    res.check("-o a 250-byte name: exit 0, written",
              r.rc == 0 and os.path.exists(target) and os.path.getsize(target) > 0, r.describe())
    res.check("-o a 250-byte name: no temporary file left",
              sorted(n for n in os.listdir(work) if n.startswith(".")) == [],
              str(os.listdir(work)))

    # An empty -o is refused.
    r = wordcount(["-o", ""])
    res.check("-o '': exit 2, one line naming --output", said(r, "wordcount", "--output", 2),
              r.describe())

    if p != 1:
        return
    # Permissions, checked as another user (root only).
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        print("skip  permission checks: needs root and setpriv")
        return
    import pwd
    nobody = pwd.getpwnam("nobody").pw_uid
    victim_dir = os.path.join(work, "victims")  # anyone may create and rename here
    os.mkdir(victim_dir)
    os.chmod(victim_dir, 0o777)
    victim = os.path.join(victim_dir, "root-owned.txt")
    with open(victim, "w") as f:
        f.write("root's\n")
    os.chmod(victim, 0o644)
    link = os.path.join(victim_dir, "link.txt")
    os.symlink(victim, link)
    env = dict(os.environ, TMPDIR="/tmp")
    for how, path in (("directly", victim), ("through a symbolic link", link)):
        r = run(wc + ["-o", path], env=env, user=nobody)
        with open(victim) as f:
            kept = f.read() == "root's\n"
        res.check(f"nobody -o a root-owned 644 file {how}: exit 1, 'Permission denied', "
                  "file untouched", said(r, "wordcount", "Permission denied") and kept and
                  os.stat(victim).st_uid == 0, f"kept {kept}\n{r.describe()}")
    mine = os.path.join(victim_dir, "read-only.txt")
    with open(mine, "w") as f:
        f.write("read only\n")
    os.chown(mine, nobody, -1)
    os.chmod(mine, 0o444)
    r = run(wc + ["-o", mine], env=env, user=nobody)
    with open(mine) as f:
        kept = f.read() == "read only\n"
    res.check("nobody -o their own 0444 file: exit 1, 'Permission denied', file untouched",
              said(r, "wordcount", "Permission denied") and kept, r.describe())
    os.chown(mine, 0, -1)
    r = run(wc + ["-o", mine])
    with open(mine) as f:
        replaced = f.read() != "read only\n"
    res.check("root -o a 0444 file: replaced, still 0444",
              r.rc == 0 and replaced and mode_of(mine) == 0o444,
              f"mode {oct(mode_of(mine))}\n{r.describe()}")


if __name__ == "__main__":
    sys.exit(main())
