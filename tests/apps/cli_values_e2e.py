#!/usr/bin/env python3
"""Every option of every program, fed values out of range or malformed.

The options are read from each program's own --help (CLI11 prints `--top N:a whole number >= 0`),
so an option added later is covered without touching this file. For each numeric option it
tries malformed text, the empty string, numbers past 2^64, exponent and hex forms, values just
outside a printed range, NaN and infinity; for each choice option a value not in the list. Each
must give exit status 2 and exactly one line on standard error that starts with the program's
name and names the option. scripts/scaling (argparse) gets its own cases.

  cli_values_e2e.py --bin BUILD/bin --scaling scripts/scaling
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(ROOT, "apps", "wordcount", "corpus")
TIMEOUT = 60

# program (and subcommand) -> arguments that make the rest of the command line valid
PROGRAMS = {
    ("wordcount",): [CORPUS],
    ("montecarlo", "square"): ["--seeds", "10"],
    ("montecarlo", "pi"): ["--samples", "1000"],
    ("montecarlo", "integral"): ["--samples", "1000"],
    ("dcsort",): ["--generate", "10"],
    ("bank",): [],
    ("processes",): [],
    ("pipe_words",): [],
    ("wait_pipes",): [],
    ("queue_squares",): [],
    ("shared_value",): [],
    ("manager_dict",): [],
    ("pool_squares",): [],
    ("ngrams",): ["-n", "2", CORPUS],
    ("invindex",): [CORPUS],
    ("groupby",): ["--key", "1", CORPUS],
}

TOO_BIG = ["18446744073709551616", "99999999999999999999999999"]  # 2^64 and beyond
MALFORMED = ["x", "", "1e3", "0x10", "1.5", "12abc", " 7"]


def bad_values(kind):
    """Values that `kind` (the text after ':' in --help) must refuse."""
    m = re.fullmatch(r"a whole number >= (\d+)", kind)
    if m:
        low = int(m.group(1))
        return MALFORMED + TOO_BIG + ["-1"] + ([str(low - 1)] if low > 0 else [])
    m = re.fullmatch(r"a whole number from (\d+) to (\d+)", kind)
    if m:
        low, high = int(m.group(1)), int(m.group(2))
        return MALFORMED + TOO_BIG + ["-1", str(high + 1)] + ([str(low - 1)] if low > 0 else [])
    m = re.fullmatch(r"a number from ([-\d.]+) to ([-\d.]+)", kind)
    if m:
        low, high = float(m.group(1)), float(m.group(2))
        return ["x", "", "nan", "inf", "1e999", repr(low - 1), repr(high + 1)]
    if kind == "a number > 0":
        return ["x", "", "0", "-1", "nan", "inf", "-inf", "1e999"]
    if CHOICES.fullmatch(kind):
        return ["zzz", ""]
    return None


KINDS = re.compile(r"a whole number >= \d+|a whole number from \d+ to \d+|"
                   r"a number > 0|a number from [-\d.]+ to [-\d.]+")
CHOICES = re.compile(r"\w+(?:\|\w+)*(?:=\w+)?")


def options_of(help_text):
    """(option, bad values) for every option of a --help text that takes a checked value."""
    found = []
    for line in help_text.splitlines():
        m = re.match(r"\s+(?:-\w,)?(--[\w-]+) (\S+?):(.*)", line)
        if not m:
            continue
        option = m.group(1)
        choices = m.group(2) in ("TEXT", "FORMAT") or re.match(r"\w+\|", m.group(3))
        kind = (CHOICES if choices else KINDS).match(m.group(3))
        if kind is None:
            raise SystemExit(f"cli_values_e2e: unknown value kind in '{line.strip()}'; "
                             "teach bad_values() about it")
        found.append((option, bad_values(kind.group(0))))
    return found


def run(argv):
    r = e2e.launch(argv, TIMEOUT)
    return r.rc, r.stdout, r.stderr


def check_refused(res, name, argv, prog, mentions):
    r = e2e.launch(argv, TIMEOUT)
    res.check(name, e2e.said_once(r, prog, 2, mentions=mentions, alone=True)
              and len(r.stderr) < 300, r.describe())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--scaling", required=True)
    a = ap.parse_args()
    e2e.set_mpi_defaults()
    res = e2e.Results(verbose=False)
    options_seen = 0
    for key, base in PROGRAMS.items():
        binary = os.path.join(a.bin, key[0])
        sub = list(key[1:])
        rc, out, err = run([binary] + sub + ["--help"])
        res.check(f"{' '.join(key)} --help", rc == 0 and "--version" in out + err or sub,
                  f"exit {rc}")
        for option, values in options_of(out):
            options_seen += 1
            for value in values:
                # Replace the option if the base arguments already give it.
                args = list(base)
                if option in args:
                    i = args.index(option)
                    del args[i:i + 2]
                argv = [binary] + sub + args + [option, value]
                name = f"{' '.join(key)} {option} {value!r}"
                check_refused(res, name, argv, key[0], option)
        # --stats takes its value after '=' only.
        if "--stats[=FORMAT]" in out:
            check_refused(res, f"{' '.join(key)} --stats=xml", [binary] + sub + base +
                          ["--stats=xml"], key[0], "--stats")
    res.check("the --help texts list at least 20 checked options", options_seen >= 20,
              f"found {options_seen}")
    # scripts/scaling (Python, argparse): its own options.
    for args, mentions in ((["--ranks", "0"], "--ranks"), (["--ranks", "x"], "--ranks"),
                           (["--ranks", "4-2"], "--ranks"), (["--ranks", ""], "--ranks"),
                           (["--repeat", "0"], "--repeat"), (["--repeat", "-2"], "--repeat"),
                           (["--mode", "fast"], "--mode")):
        argv = [a.scaling] + args + ["--out", "/tmp/unused", "--", "true"]
        rc, out, err = run(argv)
        lines = [l for l in err.splitlines() if l.strip()]
        res.check(f"scripts/scaling {' '.join(args)!r}: exit 2 and a last line naming {mentions}",
                  rc == 2 and lines and mentions in lines[-1] and not os.path.exists("/tmp/unused"),
                  f"exit {rc}, stderr {err!r}")
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
