#!/usr/bin/env python3
"""Inputs whose listed size is not their content, unreadable files, and '-'.

Files of /proc list size 0 and those of /sys 4096 whatever they hold. wordcount must count what
they hold (each file is read once, when listed, and counted from that snapshot), give the same
counts at every split size, and raise no "was modified" warning; dcsort must sort the keys such
a file holds (or refuse it for its real byte count), never "0 keys". References are Python's
bytes.split() of the file read here (the word counts of the files used do not change between
reads, even where their numbers do).

An unreadable file inside a directory is bad input: exit 3 and one line naming it, no MPI_ABORT
banner. The tests run as root, whom permissions do not stop, so that case runs the programs as
the user nobody (setpriv) on a world-readable directory holding one file of mode 000; it is
skipped, with the reason, where that cannot be done. '-' is refused with exit 2: standard input
is not read.
  special_inputs_e2e.py --bin WORDCOUNT --dcsort DCSORT --ranks P --mpiexec MPIEXEC
"""
import collections
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e


def words_of(path):
    with open(path, "rb") as f:
        return len(f.read().split())


def readable(path):
    try:
        with open(path, "rb") as f:
            f.read()
        return True
    except OSError:
        return False


def counted(run):
    """{path: words} and the total of a JSON report, or None."""
    j = e2e.json_or(run.out)
    if not isinstance(j, dict) or "files" not in j:
        return None
    return {f["path"]: f["words"] for f in j["files"]}, j["total_words"]


def no_banner(run):
    return "MPI_ABORT" not in run.stderr


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0])
    ap.add_argument("--dcsort", required=True)
    a = ap.parse_args()
    a.bin, a.dcsort = os.path.abspath(a.bin), os.path.abspath(a.dcsort)
    e2e.set_mpi_defaults()
    res = e2e.Results()
    run = e2e.Runner(a.bin, a.mpiexec, a.ranks, timeout=60, fast_kill=True)
    sort = e2e.Runner(a.dcsort, a.mpiexec, a.ranks, timeout=60, fast_kill=True)
    p = a.ranks

    # --- /proc: listed size 0 ------------------------------------------------------------
    proc = [f for f in ("/proc/version", "/proc/meminfo", "/proc/cpuinfo") if readable(f)]
    if not proc:
        print("skip  /proc cases: no readable /proc/version, /proc/meminfo, /proc/cpuinfo")
    else:
        want = {f: words_of(f) for f in proc}
        for split in (None, 1, 7, 100):
            args = ["--format", "json"] + (["--split-bytes", str(split)] if split else []) + proc
            r = run.mpi(args)
            got = counted(r)
            name = f"/proc files (size 0) counted at {p} ranks, split {split or 'default'}"
            res.check(f"{name}: exit 0, counts of bytes.split()",
                      r.rc == 0 and got == (want, sum(want.values())),
                      f"want {want}\n" + r.describe())
            res.check(f"{name}: no warning", r.err == b"", r.describe())
        # Text like `wc -w` (numbers aligned), and GNU wc's own counts where it is installed.
        r = run.mpi(proc)
        lines = [[str(want[f]), f] for f in proc] + [[str(sum(want.values())), "total"]]
        res.check(f"/proc files in text at {p} ranks: like wc -w",
                  r.rc == 0 and [ln.split() for ln in r.stdout.splitlines()] == lines,
                  f"{lines}\n" + r.describe())
        wc = shutil.which("wc")
        if wc:
            ref = subprocess.run([wc, "-w"] + proc, stdout=subprocess.PIPE, check=False,
                                 env=dict(os.environ, LC_ALL="C")).stdout.decode()
            res.check(f"/proc files at {p} ranks: the counts of wc -w",
                      [ln.split() for ln in ref.splitlines()] == lines, f"wc -w: {ref}")
        if "/proc/version" in proc:
            # Frequencies: each word once, from one snapshot (/proc/version does not change).
            with open("/proc/version", "rb") as f:
                table = collections.Counter(f.read().split())
            for split in (3, 1000):
                r = run.mpi(["--top", "0", "--format", "json", "--split-bytes", str(split),
                             "/proc/version"])
                j = e2e.json_or(r.out, {})
                got = {w["word"].encode(): w["count"] for w in j.get("top", [])}
                res.check(f"--top 0 /proc/version at {p} ranks, split {split}: the word table",
                          r.rc == 0 and got == dict(table), f"want {dict(table)}\n" + r.describe())
            # --checkpoint: a snapshot is part of the job. /proc/version resumes to the same
            # output; /proc/self/stat (the counting process's own, another pid every run) is
            # another content of the same size and time, so the resume is refused, never mixed.
            with tempfile.TemporaryDirectory() as ck:
                args = ["--format", "json", "--checkpoint", os.path.join(ck, "v"), "/proc/version"]
                first, again = run.mpi(args), run.mpi(args)
                res.check(f"--checkpoint over /proc/version at {p} ranks: resumed, same output",
                          first.rc == 0 and again.rc == 0 and first.out == again.out
                          and "resumed" in again.stderr, first.describe() + again.describe())
                args = ["--checkpoint", os.path.join(ck, "s"), "/proc/self/stat"]
                first, again = run.mpi(args), run.mpi(args)
                res.check(f"--checkpoint over /proc/self/stat at {p} ranks: a changed snapshot is "
                          "refused (exit 3)", first.rc == 0
                          and e2e.said_once(again, "wordcount", 3, mentions="different run"),
                          first.describe() + again.describe())

    # A directory of /proc files (found by the walk, asked their size by any rank).
    rnd = "/proc/sys/kernel/random"
    if os.path.isdir(rnd) and all(readable(os.path.join(rnd, n)) for n in os.listdir(rnd)):
        names = sorted(n for n in os.listdir(rnd) if os.path.isfile(os.path.join(rnd, n)))
        want = {os.path.join(rnd, n): words_of(os.path.join(rnd, n)) for n in names}
        r = run.mpi(["--format", "json", "--split-bytes", "5", rnd])
        res.check(f"directory {rnd} at {p} ranks: every file counted, no warning",
                  r.rc == 0 and counted(r) == (want, sum(want.values())) and r.err == b"",
                  f"want {want}\n" + r.describe())
    else:
        print(f"skip  {rnd}: not here or not readable")

    with tempfile.TemporaryDirectory(prefix="mrkit-special-") as tmp:
        # A link to a /proc file inside an ordinary directory, beside a genuine empty file.
        d = os.path.join(tmp, "links")
        os.mkdir(d)
        open(os.path.join(d, "empty"), "wb").close()
        with open(os.path.join(d, "plain"), "wb") as f:
            f.write(b"one two three\n")
        if os.path.exists("/proc/version"):
            os.symlink("/proc/version", os.path.join(d, "version-link"))
        want = {os.path.join(d, n): words_of(os.path.join(d, n)) for n in sorted(os.listdir(d))}
        r = run.mpi(["--format", "json", "--split-bytes", "4", d])
        res.check(f"a link to /proc/version and an empty file in a directory at {p} ranks",
                  r.rc == 0 and counted(r) == (want, sum(want.values())) and r.err == b"",
                  f"want {want}\n" + r.describe())

        # --- /sys: listed size 4096 ----------------------------------------------------------
        sysf = [f for f in ("/sys/class/net/lo/address", "/sys/class/net/lo/mtu",
                            "/sys/kernel/mm/transparent_hugepage/enabled") if readable(f)]
        if not sysf:
            print("skip  /sys cases: none of the files is readable here")
        else:
            want = {f: words_of(f) for f in sysf}
            for split in (None, 2):
                args = ["--format", "json"] + (["--split-bytes", str(split)] if split else [])
                r = run.mpi(args + sysf)
                res.check(f"/sys files (size 4096) at {p} ranks, split {split or 'default'}: "
                          "counts, and no 'was modified' warning",
                          r.rc == 0 and counted(r) == (want, sum(want.values())) and r.err == b"",
                          f"want {want}\n" + r.describe())

        # A directory of /sys: attributes the kernel will not render (EINVAL, EIO...) are
        # skipped with a warning naming each, the others counted.
        net = "/sys/class/net/lo"
        if os.path.isdir(net):
            want, skipped = {}, []
            for top, dirs, names in os.walk(net):
                for n in names:
                    f = os.path.join(top, n)
                    if not os.path.isfile(f):
                        continue
                    try:
                        want[f] = words_of(f)
                    except OSError:
                        skipped.append(f)
            r = run.mpi(["--format", "json", net])
            got = counted(r)
            warned = [ln for ln in r.stderr_lines() if ln.startswith("wordcount: warning: skipping")]
            res.check(f"directory {net} at {p} ranks: readable files counted, the others skipped "
                      "with a warning each",
                      r.rc == 0 and got is not None and got[0] == want
                      and len(warned) == len(skipped)
                      and all(any(f"'{f}'" in w for w in warned) for f in skipped),
                      f"want {want}\nskipped {skipped}\n" + r.describe())
        else:
            print(f"skip  {net}: not here")

        # --- a size-0 file that holds too much is refused -------------------------------------
        if readable("/proc/self/pagemap"):
            r = run.mpi(["/proc/self/pagemap"])
            res.check(f"/proc/self/pagemap (size 0, endless) at {p} ranks: exit 3, one line",
                      e2e.said_once(r, "wordcount", 3, mentions="/proc/self/pagemap")
                      and "MiB" in r.stderr and no_banner(r), r.describe())

        # --- '-' ----------------------------------------------------------------------------
        for args in (["-"], [os.path.join(tmp, "links"), "-"]):
            r = run.mpi(args)
            res.check(f"wordcount {' '.join(args)} at {p} ranks: exit 2, standard input is not read",
                      e2e.said_once(r, "wordcount", 2, mentions="standard input")
                      and no_banner(r), r.describe())

        # --- dcsort on files whose listed size is not their content ---------------------------
        for path in ("/proc/version", "/proc/self/status", "/sys/class/net/lo/address"):
            if not readable(path):
                print(f"skip  dcsort {path}: not readable")
                continue
            r = sort.mpi([path, "--format", "json"])
            j = e2e.json_or(r.out, {})
            if path.startswith("/proc/self"):  # dcsort's own status: its length is not known here
                ok = (r.rc == 0 and j.get("keys", 0) > 0) or (
                    e2e.said_once(r, "dcsort", 3, mentions="8-byte keys")
                    and " 0 bytes" not in r.stderr)
            else:
                with open(path, "rb") as f:
                    data = f.read()
                if len(data) % 8 == 0:
                    keys = sorted(struct.unpack(f"<{len(data) // 8}q", data))
                    ok = r.rc == 0 and j.get("keys") == len(keys)
                else:
                    ok = e2e.said_once(r, "dcsort", 3, mentions=f"holds {len(data)} bytes")
            res.check(f"dcsort {path} at {p} ranks: its real content, not 0 keys",
                      ok and no_banner(r), r.describe())

        # --- an unreadable file inside a directory --------------------------------------------
        runas = shutil.which("setpriv")
        if os.geteuid() != 0 or runas is None:
            print("skip  unreadable file: needs root (to run as nobody) and setpriv")
        else:
            os.chmod(tmp, 0o755)
            u = os.path.join(tmp, "unreadable")
            os.mkdir(u, 0o755)
            for n, text in (("a.txt", b"alpha beta\n"), ("b.txt", b"secret\n"),
                            ("c.txt", b"gamma\n")):
                with open(os.path.join(u, n), "wb") as f:
                    f.write(text)
                os.chmod(os.path.join(u, n), 0o644)
            bad = os.path.join(u, "b.txt")
            os.chmod(bad, 0)
            nobody = [runas, "--reuid=65534", "--regid=65534", "--clear-groups"]
            home = os.path.join(tmp, "home")  # nobody's, for mpiexec's session directory
            os.mkdir(home, 0o700)
            os.chown(home, 65534, 65534)
            env = dict(os.environ, HOME=home, TMPDIR=home)
            # nobody must reach the files and the programs (a build under a private home or
            # a private TMPDIR cannot be tested this way).
            probe = e2e.launch(nobody + ["sh", "-c", f'test -r "$1" && test -x "$2"', "sh",
                                         os.path.join(u, "a.txt"), a.bin], 20, env=env)
            if probe.rc != 0:
                print(f"skip  unreadable file: the user nobody cannot reach {u} or {a.bin}")
                return res.finish()
            for ranks in sorted({1, p}):
                for args, what in (([u], "in a directory"), ([bad], "named")):
                    argv = nobody + run.mpi_argv(args, ranks=ranks)
                    r = e2e.launch(argv, 60, cwd=tmp, env=env)
                    res.check(f"unreadable file {what}, as nobody at {ranks} ranks: exit 3, one "
                              "line naming it, no MPI_ABORT banner",
                              e2e.said_once(r, "wordcount", 3, mentions=bad) and no_banner(r),
                              r.describe())
            # The readable ones still count as nobody once the bad one is readable again.
            os.chmod(bad, 0o644)
            r = e2e.launch(nobody + run.mpi_argv(["--format", "json", u]), 60, cwd=tmp, env=env)
            res.check(f"the same directory readable, as nobody at {p} ranks: counted",
                      r.rc == 0 and counted(r) is not None and counted(r)[1] == 4, r.describe())

    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
