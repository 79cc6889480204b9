#!/usr/bin/env python3
"""What the README and --help promise of every program, helpers included (issue 14).

- The benchmark helpers (scan_bench, read_files) live in BUILD/bench and the test helper
  runtime_probe in BUILD/tests, not in BUILD/bin (user programs only); each answers --help
  (exit 0, a usage text) and refuses a missing path or a bad argument with one line
  `PROGRAM: message` and exit 2 (command line) or 3 (input), never an abort or a 0 MB/s.
- Every course program takes --format json: one JSON object on stdout naming the program, the
  rank count and the lines of its text output, at 1 and 2 ranks.
- --help shows the stats option as `--stats[=FORMAT]`, not CLI11's `--stats{table}`.
- montecarlo square labels the course's 36.0 s and 12.8 s as the course's figures, beside this
  run's own.

  cli_promises_e2e.py --bindir BUILD/bin --scan-bench PATH --read-files PATH
                      --runtime-probe PATH --mpiexec mpiexec
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(ROOT, "apps", "wordcount", "corpus")
TIMEOUT = 60

# course program -> arguments that keep it short
COURSE = {
    "processes": [],
    "pipe_words": [],
    "wait_pipes": [],
    "queue_squares": [],
    "shared_value": [],
    "manager_dict": [],
    "pool_squares": ["--sleep", "0.2", "--timeout", "0.05"],
}


def one_json_object(out):
    """The one JSON object that is the whole of stdout, or None."""
    text = out.decode("utf-8", "replace").strip()
    if not text.startswith("{") or "\n" in text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def check_helpers(res, a):
    bindir = os.path.realpath(a.bindir)
    for path, folder in ((a.scan_bench, "bench"), (a.read_files, "bench"),
                         (a.runtime_probe, "tests")):
        name = os.path.basename(path)
        where = os.path.dirname(os.path.realpath(path))
        res.check(f"{name} is built in BUILD/{folder}, not in BUILD/bin",
                  where != bindir and os.path.basename(where) == folder, where)
        r = e2e.launch([path, "--help"], TIMEOUT)
        res.check(f"{name} --help: exit 0 and a usage text on stdout",
                  r.rc == 0 and "Usage" in r.stdout and not r.err.strip(), r.describe())
    missing = "/nonexistent/mrkit-no-such-file"
    for path, args, code, mentions in (
            (a.scan_bench, [missing], 3, missing),
            (a.scan_bench, [], 2, "FILE"),
            (a.scan_bench, [CORPUS + "/01-mother-and-daughters.txt", "x"], 2, "REPEAT"),
            (a.scan_bench, [CORPUS + "/01-mother-and-daughters.txt", "1", "fast"], 2, "MODE"),
            (a.read_files, [missing], 3, missing),
            (a.read_files, [], 2, "PATH"),
            (a.read_files, [CORPUS, "--repeat", "0"], 2, "--repeat"),
            (a.runtime_probe, ["frobnicate"], 2, "MODE")):
        name = os.path.basename(path)
        r = e2e.launch([path] + args, TIMEOUT)
        res.check(f"{name} {' '.join(args)!r}: exit {code}, one line '{name}: ...' naming {mentions}",
                  e2e.said_once(r, name, code, mentions=mentions, alone=True) and not r.out,
                  r.describe())
    # They still do their job.
    r = e2e.launch([a.scan_bench, CORPUS + "/01-mother-and-daughters.txt", "1", "count"], TIMEOUT)
    res.check("scan_bench FILE 1 count: one line with the words and MB/s",
              r.rc == 0 and " 201 words" in r.stdout and "MB/s" in r.stdout, r.describe())
    r = e2e.launch([a.read_files, CORPUS, "--repeat", "1"], TIMEOUT)
    res.check("read_files CORPUS --repeat 1: 5 files read",
              r.rc == 0 and r.stdout.startswith("5 files"), r.describe())
    r = e2e.launch([a.runtime_probe], TIMEOUT)
    res.check("runtime_probe (mode ok): exit 0", r.rc == 0, r.describe())


def check_course_json(res, a):
    for name, args in COURSE.items():
        binary = os.path.join(a.bindir, name)
        for ranks in (1, 2):
            argv = [a.mpiexec, "-n", str(ranks), binary] + args
            text = e2e.launch(argv, TIMEOUT)
            r = e2e.launch(argv + ["--format", "json"], TIMEOUT)
            doc = one_json_object(r.out)
            ok = (r.rc == 0 and text.rc == 0 and isinstance(doc, dict)
                  and doc.get("program") == name and doc.get("ranks") == ranks
                  and isinstance(doc.get("lines"), list) and doc["lines"]
                  and all(isinstance(x, str) for x in doc["lines"])
                  and len(doc["lines"]) == len(text.stdout.splitlines()))
            res.check(f"{name} --format json at {ranks} rank(s): one object with program, ranks "
                      "and its text's lines", ok, r.describe())
        r = e2e.launch([binary, "--help"], TIMEOUT)
        res.check(f"{name} --help lists --format text|json",
                  r.rc == 0 and "text|json" in r.stdout, r.describe())


def check_stats_display(res, a):
    for key in (["wordcount"], ["bank"], ["dcsort"], ["montecarlo"]):
        r = e2e.launch([os.path.join(a.bindir, key[0])] + key[1:] + ["--help"], TIMEOUT)
        res.check(f"{' '.join(key)} --help shows --stats[=FORMAT], not --stats{{table}}",
                  r.rc == 0 and "--stats[=FORMAT]" in r.stdout and "{table}" not in r.stdout,
                  r.describe())


def check_montecarlo_figures(res, a):
    r = e2e.launch([os.path.join(a.bindir, "montecarlo"), "square", "--seeds", "1000"], TIMEOUT)
    lines = r.stdout.splitlines()
    course = [ln for ln in lines if "36.0 s" in ln]
    ours = [ln for ln in lines if ln.startswith("This run:")]
    res.check("montecarlo square: the course's 36.0 s and 12.8 s on a line saying they are the "
              "course's figures, not measured here, beside a 'This run:' line",
              r.rc == 0 and len(course) == 1 and "12.8 s" in course[0]
              and course[0].startswith("The course's own figures")
              and "not measured here" in course[0] and len(ours) == 1
              and "1000 seeds" in ours[0], r.describe())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--scan-bench", required=True)
    ap.add_argument("--read-files", required=True)
    ap.add_argument("--runtime-probe", required=True)
    ap.add_argument("--mpiexec", default="mpiexec")
    a = ap.parse_args()
    e2e.set_mpi_defaults()
    res = e2e.Results()
    check_helpers(res, a)
    check_course_json(res, a)
    check_stats_display(res, a)
    check_montecarlo_figures(res, a)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
