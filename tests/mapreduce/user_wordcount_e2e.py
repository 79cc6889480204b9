#!/usr/bin/env python3
"""The README's word count on the public API (bench/user_wordcount.cpp) gives the 10 most
frequent words of the shipped corpus and of /usr/share/common-licenses as Python's
collections.Counter over bytes.split() does (count descending, then the word bytewise), at the
given rank count.

  user_wordcount_e2e.py --bin build/bench/user_wordcount --ranks P --mpiexec mpiexec
"""
import collections
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")


def files_under(path):
    if os.path.isfile(path):
        return [path]
    out = []
    for d, _, names in os.walk(path):
        out += [os.path.join(d, n) for n in names if os.path.isfile(os.path.join(d, n))]
    return out


def main():
    args = e2e.mpi_arguments(__doc__).parse_args()
    res = e2e.Results()
    runner = e2e.Runner(args.bin, args.mpiexec, args.ranks, timeout=120)
    for path in (os.path.join(ROOT, "apps/wordcount/corpus"), "/usr/share/common-licenses"):
        if not os.path.exists(path):
            continue
        counts = collections.Counter()
        for f in files_under(path):
            with open(f, "rb") as fh:
                counts.update(fh.read().split())
        want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        want_text = b"".join(b"%d\t%s\n" % (n, w) for w, n in want)
        r = runner.mpi([path])
        res.check(f"top 10 of {path} at {args.ranks} ranks", r.rc == 0 and r.out == want_text,
                  r.describe())
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
