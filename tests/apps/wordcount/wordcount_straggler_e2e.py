#!/usr/bin/env python3
"""End-to-end test of `wordcount --task-time-limit` (a straggling task reported and re-issued).

Usage (as registered in CTest, once per rank count P = 2, 3, 4):

    /usr/bin/python3 tests/apps/wordcount/wordcount_straggler_e2e.py --bin build/bin/wordcount \
        --hooked-bin build/tests/wordcount_hooked --ranks P --mpiexec /usr/bin/mpiexec

The straggler comes from the test build of wordcount (--hooked-bin, never installed), which reads
MRKIT_TEST_SLOW_TASK=TASK:SECONDS (every copy of task TASK sleeps SECONDS first, calling the
scheduler's yield every 10 ms) and passes it to the job as WordCountOptions::before_task. Checked:
  1. with the hook and a 0.3 s limit: exit 0, exactly one warning naming task 3, a rank of
     the job and the limit, and output identical to a run without hook and without limit;
  2. with the hook, the limit and --checkpoint: the same output (each task recorded once);
  3. with a limit and no straggler: the same output and no warning; the shipped wordcount
     does not read MRKIT_TEST_SLOW_TASK (no straggler, no warning, with the variable set);
  4. bad uses: --schedule static with a limit, and limits that are not a positive finite
     number, exit 2 with a one-line message.

Python 3 standard library only. The last line printed is `N passed, N failed`.
"""

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

LICENSES = "/usr/share/common-licenses"
TIMEOUT = 60
WARNING = re.compile(
    r"^wordcount: warning: task 3 has run \d+\.\d s on rank (\d+) \(.+\) \(limit 0\.3 s\)$")


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0])
    ap.add_argument("--hooked-bin", required=True,
                    help="the test build of wordcount that reads MRKIT_TEST_SLOW_TASK")
    args = ap.parse_args()
    res = e2e.Results()
    check = res.check
    runner = e2e.Runner(args.bin, args.mpiexec, args.ranks, timeout=TIMEOUT)
    hooked = e2e.Runner(args.hooked_bin, args.mpiexec, args.ranks, timeout=TIMEOUT)

    def launch(extra, slow=None, shipped=False):
        env = dict(os.environ)
        env.pop("MRKIT_TEST_SLOW_TASK", None)
        if slow:
            env["MRKIT_TEST_SLOW_TASK"] = slow
        return (hooked if slow and not shipped else runner).mpi(["--format", "tsv", "--top", "0", "-i", "--split-bytes", "16384"]
                          + extra + [LICENSES], env=env)

    def run(extra, slow=None, shipped=False):
        r = launch(extra, slow, shipped)
        return r.rc, r.out, r.stderr

    def warnings(err):
        return [line for line in err.splitlines() if "warning" in line]

    rc, want, err = run([])
    check("reference run", rc == 0 and len(want) > 0, err)

    rc, got, err = run(["--task-time-limit", "0.3"], slow="3:1.5")
    check("straggler: exit 0", rc == 0, err)
    check("straggler: same output", got == want)
    lines = warnings(err)
    match = WARNING.match(lines[0]) if len(lines) == 1 else None
    check("straggler: one warning naming task 3, its rank and the limit",
          match is not None and 0 <= int(match.group(1)) < args.ranks, err)

    with tempfile.TemporaryDirectory() as tmp:
        rc, got, err = run(["--task-time-limit", "0.3", "--checkpoint", tmp + "/ckpt"],
                           slow="3:1.5")
        check("straggler with --checkpoint: exit 0 and same output", rc == 0 and got == want,
              err)
        check("straggler with --checkpoint: one warning", len(warnings(err)) == 1, err)

    rc, got, err = run(["--task-time-limit", "30"])
    check("no straggler: same output, no warning",
          rc == 0 and got == want and not warnings(err), err)
    rc, got, err = run(["--task-time-limit", "0.3"], slow="3:1.5", shipped=True)
    check("the shipped wordcount ignores MRKIT_TEST_SLOW_TASK: same output, no warning",
          rc == 0 and got == want and not warnings(err), err)

    for bad, message in ((["--schedule", "static", "--task-time-limit", "1"],
                          "--task-time-limit needs --schedule dynamic"),
                         (["--task-time-limit", "0"], "expected a number of seconds > 0"),
                         (["--task-time-limit", "-2"], "expected a number of seconds > 0"),
                         (["--task-time-limit", "inf"], "expected a number of seconds > 0"),
                         (["--task-time-limit", "nan"], "expected a number of seconds > 0")):
        r = launch(bad)
        check(f"usage: {' '.join(bad)}",
              r.out == b"" and e2e.said_once(r, "wordcount", 2, mentions=message, first=True),
              r.describe())
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
