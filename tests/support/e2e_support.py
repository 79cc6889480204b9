"""What the end-to-end scripts of tests/e2e share (Python 3 standard library only).

  Results      the pass/fail bookkeeping: `ok    NAME` / `FAIL  NAME` lines, and last the line
               `N passed, N failed` with the exit status (non-zero on any failure)
  launch()     one command with a time limit, in a session of its own: a hung launch is killed
               with every process it started (mpiexec's ranks included); stderr may be a
               pseudo-terminal (terminal=True)
  Runner       a program under `mpiexec -n P` or on its own (an MPI singleton)
  said_once()  exit code and exactly one `PROGRAM: ...` line on standard error
  check_rank_stats()
               --stats and --stats=json of a program: the per-rank statistics on stderr (see
               rank_stats_json_problems(), rank_stats_table_problems()), stdout unchanged
  set_mpi_defaults(), mpi_arguments(), json_or(), short()

Import it from a script in this directory: `import e2e_support as e2e`.
"""

import argparse
import json
import math
import os
import pty
import re
import select
import signal
import subprocess
import time
import tty

# What CTest's environment gives every MPI test (cmake/MrkitTesting.cmake), for runs by hand:
# run as root if need be, allow more ranks than cores, yield when idle, no slow network probing.
MPI_DEFAULTS = (("OMPI_ALLOW_RUN_AS_ROOT", "1"),
                ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
                ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
                ("OMPI_MCA_mpi_yield_when_idle", "1"),
                ("OMPI_MCA_pml", "ob1"))


def set_mpi_defaults():
    """Sets each of MPI_DEFAULTS in os.environ unless the environment already says otherwise."""
    for key, value in MPI_DEFAULTS:
        os.environ.setdefault(key, value)


def mpi_arguments(description, binary="--bin", binary_default=None, ranks_default=None,
                  mpiexec_default="mpiexec"):
    """An argument parser with the options CTest passes: BINARY (--bin), --ranks, --mpiexec.
    Without a default an option is required."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument(binary, default=binary_default, required=binary_default is None)
    ap.add_argument("--ranks", type=int, default=ranks_default, required=ranks_default is None,
                    help="number of MPI ranks (P)")
    ap.add_argument("--mpiexec", default=mpiexec_default, help="mpiexec to launch with")
    return ap


class Results:
    """Counts checks. A failure is always printed with its detail (indented); a pass only when
    `verbose`. finish() prints the failed checks again and, last, `N passed, N failed`."""

    def __init__(self, verbose=True):
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.failures = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"ok    {name}", flush=True)
        else:
            self.failed += 1
            self.failures.append(name)
            lines = str(detail).rstrip("\n").split("\n") if detail else []
            print("\n".join([f"FAIL  {name}"] + [f"      {line}" for line in lines]), flush=True)
        return bool(ok)

    def finish(self, note=""):
        """Prints the summary line (`note` after it) and returns the exit status."""
        if self.failures and self.passed + self.failed > 1:
            print("failed checks:\n" + "\n".join("  " + name for name in self.failures))
        print(f"{self.passed} passed, {self.failed} failed{note}", flush=True)
        return 1 if self.failed else 0


def short(value, limit=160):
    """A printable, truncated rendering of a bytes or str value."""
    s = repr(value)[2:-1] if isinstance(value, bytes) else repr(value)[1:-1]
    if len(s) > limit:
        s = s[:limit] + f"... ({len(value)} {'bytes' if isinstance(value, bytes) else 'chars'})"
    return s


def json_or(data, default=None):
    """`data` (bytes or str) parsed as JSON, or `default` if it is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, TypeError):
        return default


# --------------------------------------------------------------------------------------
# Launching
# --------------------------------------------------------------------------------------

class Run:
    """One finished launch: rc is None when it timed out; out and err are bytes (err is what
    arrived on the terminal when stderr was one), stdout and stderr the same as text."""

    def __init__(self, argv, rc, out, err, seconds, timed_out):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err
        self.seconds, self.timed_out = seconds, timed_out

    @property
    def stdout(self):
        return self.out.decode("utf-8", "replace")

    @property
    def stderr(self):
        return self.err.decode("utf-8", "replace")

    def stderr_lines(self):
        """The non-blank lines of standard error."""
        return [ln for ln in self.err.decode("utf-8", "backslashreplace").split("\n") if ln.strip()]

    def describe(self, limit=1500):
        cmd = " ".join(self.argv)
        if self.timed_out:
            return f"command timed out after {self.seconds:.1f} s: {cmd}"
        err = self.err.decode("utf-8", "backslashreplace").strip()
        if len(err) > limit:
            err = err[:limit] + "..."
        return (f"command: {cmd}\nexit status {self.rc}\nstdout: {short(self.out, 600)}\n"
                f"stderr: {err}")


def kill_session(sid):
    """SIGKILL every process of session `sid` (a launch started with start_new_session).

    mpiexec puts each rank in a process group of its own, so killing mpiexec's process
    group is not enough; the ranks stay in its session."""
    victims = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) == sid:
                victims.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def launch(argv, timeout, cwd=None, env=None, terminal=False):
    """Runs `argv` (stdin /dev/null, stdout a pipe) and returns a Run. stderr is a pipe, or with
    `terminal` a pseudo-terminal in raw mode (no newline translation) whose output is kept.
    After `timeout` seconds the whole session of the launch is killed (Run.timed_out)."""
    t0 = time.monotonic()
    master = slave = None
    if terminal:
        master, slave = pty.openpty()
        tty.setraw(slave)
    try:
        p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE,
                             stderr=slave if terminal else subprocess.PIPE,
                             start_new_session=True)
    finally:
        if slave is not None:
            os.close(slave)
    try:
        if terminal:
            out, err = _read_with_terminal(p, master, t0 + timeout)
        else:
            out, err = p.communicate(timeout=timeout)
        return Run(argv, p.returncode, out, err, time.monotonic() - t0, False)
    except subprocess.TimeoutExpired:
        kill_session(p.pid)
        if terminal:
            out, err = _read_with_terminal(p, master, None)
        else:
            out, err = p.communicate()
        return Run(argv, None, out, err, time.monotonic() - t0, True)
    finally:
        if master is not None:
            os.close(master)


def _read_with_terminal(p, master, deadline):
    """Reads p's stdout pipe and the terminal's master side until both end (the terminal ends
    when no process holds its slave side any more); raises TimeoutExpired at `deadline`."""
    out_fd = p.stdout.fileno()
    chunks = {out_fd: [], master: []}
    open_fds = set(chunks)
    while open_fds:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            raise subprocess.TimeoutExpired(p.args, 0)
        ready, _, _ = select.select(list(open_fds), [], [], wait)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the terminal has no slave side left
                data = b""
            if data:
                chunks[fd].append(data)
            else:
                open_fds.discard(fd)
    p.stdout.close()
    p.wait()
    return b"".join(chunks[out_fd]), b"".join(chunks[master])


class Runner:
    """One program under `mpiexec -n P` (mpi) or on its own, an MPI singleton (direct).
    fast_kill: no SIGTERM-to-SIGKILL grace when a rank exits non-zero (expected failures)."""

    def __init__(self, binary, mpiexec, ranks, cwd=None, timeout=120, fast_kill=False):
        self.binary, self.mpiexec, self.ranks, self.cwd = binary, mpiexec, ranks, cwd
        self.timeout, self.fast_kill = timeout, fast_kill
        self.launches = 0
        self.launch_secs = 0.0

    def mpi_argv(self, args, ranks=None, fast_kill=None):
        argv = [self.mpiexec]
        if self.fast_kill if fast_kill is None else fast_kill:
            argv += ["--mca", "odls_base_sigkill_timeout", "0"]
        return argv + ["-n", str(self.ranks if ranks is None else ranks), self.binary] + list(args)

    def mpi(self, args, ranks=None, timeout=None, fast_kill=None, env=None, terminal=False):
        return self._launch(self.mpi_argv(args, ranks, fast_kill), timeout, env, terminal)

    def direct(self, args, timeout=None, env=None, terminal=False):
        return self._launch([self.binary] + list(args), timeout, env, terminal)

    def run(self, args, direct=False, **kw):
        """direct() if `direct`, else mpi()."""
        return self.direct(args, **kw) if direct else self.mpi(args, **kw)

    def _launch(self, argv, timeout, env, terminal):
        self.launches += 1
        r = launch(argv, self.timeout if timeout is None else timeout, cwd=self.cwd, env=env,
                   terminal=terminal)
        self.launch_secs += r.seconds
        return r


def said_once(run, program, code, starts=None, mentions=None, alone=False, first=False):
    """The launch exited with `code` and its stderr has exactly one line that starts with
    `PROGRAM:`, written `PROGRAM: ...`, starting with `starts` and holding `mentions` (when
    given). `first`: that line is the first of stderr; `alone`: it is the only line."""
    lines = run.err.decode("utf-8", "backslashreplace").splitlines()
    ours = [ln for ln in lines if ln.startswith(program + ":")]
    return (not run.timed_out and run.rc == code and len(ours) == 1
            and ours[0].startswith(program + ": ")
            and (starts is None or ours[0].startswith(starts))
            and (mentions is None or mentions in ours[0])
            and (not first or lines[0] == ours[0]) and (not alone or len(lines) == 1))


# --------------------------------------------------------------------------------------
# --stats (lib/include/mrkit/tasks/rank_stats.hpp)
# --------------------------------------------------------------------------------------

STATS_SECONDS = ("compute_seconds", "wait_seconds", "io_seconds", "other_seconds",
                 "elapsed_seconds")
STATS_COUNTS = ("tasks", "bytes", "data_bytes", "peak_memory_bytes")
STATS_SHARES = ("compute_share", "wait_share", "io_share", "other_share")


def stats_json_lines(err):
    """The lines of standard error (bytes or str) that hold a --stats=json object."""
    text = err.decode("utf-8", "replace") if isinstance(err, bytes) else err
    return [ln for ln in text.splitlines() if ln.startswith("{") and '"per_rank"' in ln]


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def rank_stats_json_problems(stats, program, ranks):
    """What is wrong with one --stats=json object of `program` run on `ranks` ranks: its keys,
    one entry per rank in rank order (non-negative counts and seconds, a host), and a summary
    whose shares sum to 1 within 1e-6. An empty list when nothing is."""
    if not isinstance(stats, dict):
        return [f"not a JSON object: {short(str(stats))}"]
    problems = []
    if list(stats) != ["program", "ranks", "per_rank", "summary"]:
        problems.append(f"keys {list(stats)}")
    if stats.get("program") != program:
        problems.append(f"program {stats.get('program')!r}, expected {program!r}")
    if stats.get("ranks") != ranks:
        problems.append(f"ranks {stats.get('ranks')!r}, expected {ranks}")
    per_rank = stats.get("per_rank")
    if not isinstance(per_rank, list) or len(per_rank) != ranks:
        return problems + [f"per_rank is not a list of {ranks} entries: {short(str(per_rank))}"]
    for i, entry in enumerate(per_rank):
        if not isinstance(entry, dict):
            problems.append(f"per_rank[{i}] is not an object")
            continue
        bad = [k for k in STATS_SECONDS if not (_number(entry.get(k)) and entry[k] >= 0)]
        bad += [k for k in STATS_COUNTS if not (isinstance(entry.get(k), int) and entry[k] >= 0)]
        if entry.get("rank") != i:
            bad.append(f"rank {entry.get('rank')!r}")
        if not (isinstance(entry.get("host"), str) and entry["host"]):
            bad.append(f"host {entry.get('host')!r}")
        if bad:
            problems.append(f"per_rank[{i}]: {', '.join(bad)}: {entry}")
    summary = stats.get("summary")
    if not isinstance(summary, dict):
        return problems + [f"summary is not an object: {short(str(summary))}"]
    shares = [summary.get(k) for k in STATS_SHARES]
    if not all(_number(x) and 0 <= x <= 1 for x in shares):
        problems.append(f"shares not in [0, 1]: {shares}")
    elif abs(sum(shares) - 1) > 1e-6:
        problems.append(f"shares sum to {sum(shares)!r}, not 1: {shares}")
    if per_rank and all(isinstance(e, dict) for e in per_rank) and \
            summary.get("elapsed_seconds") != max(e.get("elapsed_seconds", -1) for e in per_rank):
        problems.append(f"summary elapsed_seconds {summary.get('elapsed_seconds')!r} is not the "
                        "longest rank's")
    if summary.get("busiest_rank") not in range(ranks):
        problems.append(f"busiest_rank {summary.get('busiest_rank')!r}")
    return problems


STATS_ROW = re.compile(r" *(\d+) +\S+ +\d+ +\d+(?: +\d+\.\d{3}){5}(?: +\d+\.\d){2}")
STATS_SHARE_LINE = re.compile(r"share of all ranks' time: compute ([\d.]+) %, wait ([\d.]+) %, "
                              r"I/O ([\d.]+) %, other ([\d.]+) %")


def rank_stats_table_problems(lines, program, ranks):
    """What is wrong with the --stats table of `program` on `ranks` ranks, given as its lines
    (and nothing else): a title, the column names, one row per rank in rank order, the busiest
    rank and the shares (which add up to 100 % give or take their rounding)."""
    want = 4 + ranks
    if len(lines) != want:
        return [f"{len(lines)} lines, expected {want} (title, columns, {ranks} ranks, summary)"]
    problems = []
    title = rf"{re.escape(program)}: {ranks} {'rank' if ranks == 1 else 'ranks'}, \d+\.\d{{3}} s"
    if not re.fullmatch(title, lines[0]):
        problems.append(f"title {lines[0]!r}")
    if lines[1].split() != ["rank", "host", "tasks", "bytes", "compute_s", "wait_s", "io_s",
                            "other_s", "total_s", "data_MiB", "peak_MiB"]:
        problems.append(f"column names {lines[1]!r}")
    rows = [STATS_ROW.fullmatch(ln) for ln in lines[2:2 + ranks]]
    if not all(rows) or [int(m.group(1)) for m in rows] != list(range(ranks)):
        problems.append("rows are not ranks 0.." + str(ranks - 1) + " in order: "
                        + repr(lines[2:2 + ranks]))
    busiest = re.fullmatch(r"busiest rank (\d+): .* imbalance \d+\.\d\d \(1\.00 is even\)",
                           lines[-2])
    if not busiest or int(busiest.group(1)) not in range(ranks):
        problems.append(f"busiest line {lines[-2]!r}")
    shares = STATS_SHARE_LINE.fullmatch(lines[-1])
    if not shares or abs(sum(float(x) for x in shares.groups()) - 100) > 0.25:
        problems.append(f"shares line {lines[-1]!r}")
    return problems


def check_rank_stats(res, launch, program, ranks, args, same_part, but=""):
    """--stats and --stats=json added to launch(args + ["--format", text or json]): exit 0,
    stderr exactly the statistics (one JSON line, or the table), and stdout the same as without
    --stats (whose stderr is empty), compared through same_part(run, format): the part of the
    output that does not change between runs (None when there is none); `but` names the rest."""
    for fmt in ("text", "json"):
        plain = launch(args + ["--format", fmt])
        want = same_part(plain, fmt)
        res.check(f"--format {fmt} without --stats: exit 0, a report, nothing on stderr",
                  plain.rc == 0 and want and plain.err == b"", plain.describe())
        for stats in ("--stats", "--stats=json"):
            name = f"{stats} --format {fmt} at {ranks} ranks"
            p = launch(args + ["--format", fmt, stats])
            res.check(f"{name}: exit 0", p.rc == 0, p.describe())
            res.check(f"{name}: stdout as without --stats{but}",
                      want is not None and same_part(p, fmt) == want,
                      f"{p.stdout}--- without --stats\n{plain.stdout}")
            lines = p.stderr.splitlines()
            if stats == "--stats=json":
                problems = (rank_stats_json_problems(json_or(lines[0]), program, ranks)
                            if len(lines) == 1 else [f"{len(lines)} lines on stderr, not 1"])
            else:
                problems = rank_stats_table_problems(lines, program, ranks)
            res.check(f"{name}: stderr holds the per-rank statistics, one "
                      f"{'entry' if stats == '--stats=json' else 'row'} per rank", not problems,
                      "\n".join(problems) + "\n--- stderr\n" + p.stderr)
