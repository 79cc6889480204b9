#!/usr/bin/env python3
"""groupby (apps/groupby) against a Python reference and awk.

Usage (as registered in CTest, once per rank count P):
    groupby_e2e.py --bin build/bin/groupby --ranks P --mpiexec mpiexec

The reference reads the same bytes as groupby documents them: lines end at '\\n' (a '\\r'
before it dropped; a last line without '\\n' counts), empty lines are skipped, fields are
line.split(delimiter) (TSV), csv.reader([line]) (--csv) or csv.reader over the whole file
(--quoted-newlines), a header (--header) is the first line/record of every file; a --sum value
is an integer (int(), within int64) or a decimal (float()); a key's sum is an integer when
all its values are, else the exact sum of the integers and the doubles, rounded once
(Fraction -> float). Output sorted by key bytes. Checked at split sizes 1 (small inputs), 7,
4096 and the default, both schedules: TSV, text and JSON, -o, --output-dir, bad lines (exit 3
naming FILE:LINE; --skip-bad with the count), int64 overflow, an access log, awk.
"""

import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()
PROGRAM = "groupby"
INT64 = (-(1 << 63), (1 << 63) - 1)
WS = b" \t\n\r\v\f"


class Bad(Exception):
    pass


def lines(data):
    out, start = [], 0
    while start < len(data):
        nl = data.find(b"\n", start)
        end = len(data) if nl < 0 else nl
        line = data[start:end]
        if nl >= 0 or line:
            out.append((start, line[:-1] if line.endswith(b"\r") else line))
        if nl < 0:
            break
        start = nl + 1
    return out


def number(field):
    s = field.strip(WS)
    if re.fullmatch(rb"[+-]?[0-9]+", s):
        v = int(s)
        return v if INT64[0] <= v <= INT64[1] else None
    if re.fullmatch(rb"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", s):
        v = float(s)
        return v if v not in (float("inf"), float("-inf")) else None
    return None


def records(data, mode, delim, header):
    """(line number, fields as bytes) of every record that is not empty and not a header."""
    if mode == "files":
        text = data.decode("latin-1")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim.decode("latin-1"),
                            strict=False)
        first = True
        start = 1
        for row in reader:
            number_, start = start, reader.line_num + 1
            if first and header:
                first = False
                continue
            first = False
            if row:
                yield number_, [f.encode("latin-1") for f in row]
        return
    for lineno, (offset, line) in enumerate(lines(data), 1):  # every line ends with '\n'
        if header and offset == 0:
            continue
        if not line:
            continue
        if mode == "csv":
            row = next(csv.reader([line.decode("latin-1")], delimiter=delim.decode("latin-1")))
            yield lineno, [f.encode("latin-1") for f in row]
        else:
            yield lineno, line.split(delim)


def tsv_escape(b):
    return (b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r"))


def total(values):
    if all(isinstance(v, int) for v in values):
        s = sum(values)
        if not INT64[0] <= s <= INT64[1]:
            raise Bad("overflow")
        return str(s)
    return repr(float(sum(Fraction(v) for v in values)))


def reference(files, key, sums=(), count=None, delim=b"\t", mode="tsv", header=False,
              skip_bad=False):
    """(rows, skipped, first_bad) where rows are (key, [count?], [sums...]) as strings, sorted;
    first_bad is (path, line) of the first bad line in input order, or None."""
    count = count if count is not None else not sums
    groups, skipped, first_bad = {}, 0, None
    need = max([key] + list(sums))
    for path, data in files:
        for lineno, fields in records(data, mode, delim, header):
            vals = None
            if len(fields) >= need:
                vals = [number(fields[c - 1]) for c in sums]
            if vals is None or any(v is None for v in vals):
                skipped += 1
                first_bad = first_bad or (path, lineno)
                continue
            g = groups.setdefault(fields[key - 1], [0, [[] for _ in sums]])
            g[0] += 1
            for i, v in enumerate(vals):
                g[1][i].append(v)
    rows = []
    for k in sorted(groups):
        n, vals = groups[k]
        rows.append((k, [str(n)] if count else [], [total(v) for v in vals]))
    return rows, skipped, first_bad


def as_tsv(rows):
    return b"".join(tsv_escape(k) + b"".join(b"\t" + x.encode() for x in c + s) + b"\n"
                    for k, c, s in rows)


def as_text(rows):
    if not rows:
        return b""
    cols = len(rows[0][1]) + len(rows[0][2])
    widths = [max(len((r[1] + r[2])[i]) for r in rows) for i in range(cols)]
    return b"".join(b" ".join(x.rjust(w).encode() for x, w in zip(c + s, widths)) + b" " +
                    tsv_escape(k) + b"\n" for k, c, s in rows)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def main():
    args = e2e.mpi_arguments(__doc__.splitlines()[0]).parse_args()
    res = e2e.Results()
    run = e2e.Runner(args.bin, args.mpiexec, args.ranks, timeout=120, fast_kill=True)
    rng = random.Random(16)
    with tempfile.TemporaryDirectory(prefix="groupby_e2e_") as tmp:
        # ---- TSV edge cases (small: split size 1 too) ----
        small = os.path.join(tmp, "small")
        os.mkdir(small)
        edge = [
            b"a\t1\t2\nb\t-3\t4\n\na\t5\t-6\n",                     # an empty line
            b"\t7\t8\r\nb\t9\t10\r\n\r\n",                          # empty key, CRLF
            b"k\xff\xfe\t1\t1\nk\x00z\t2\t2\na\t+11\t 12 ",         # not UTF-8, NUL, no final \n
            b"",                                                    # an empty file
            b"c\t2.5\t1\nc\t-0.5\t1e3\nc\t1\t1\n",                  # decimals
            b"d\t9223372036854775807\t0\nd\t-9223372036854775807\t0\n",  # near int64
            b"e\\x\t1\t2\t\tmore\n",                             # extra and empty fields
        ]
        for i, data in enumerate(edge):
            write(os.path.join(small, f"f{i}.tsv"), data)
        for i in range(20):
            data = b"".join(b"%s\t%d\t%d\n" % (rng.choice([b"a", b"b", b"c\x80", b"x y"]),
                                               rng.randint(-1000, 1000), rng.randint(0, 9))
                            for _ in range(rng.randint(0, 30)))
            write(os.path.join(small, f"g{i:02}.tsv"), data)
        small_files = sorted((os.path.join(small, n), open(os.path.join(small, n), "rb").read())
                             for n in os.listdir(small))
        rows, _, _ = reference(small_files, 1, (2, 3), count=True)
        want = as_tsv(rows)
        for split in ("1", "7", "4096", None):
            for schedule in ("static", "dynamic"):
                extra = (["--split-bytes", split] if split else []) + ["--schedule", schedule]
                p = run.mpi(["--key", "1", "--sum", "2", "--sum", "3", "--count", "--format",
                             "tsv"] + extra + [small])
                res.check(f"TSV edge cases, split {split or 'default'}, {schedule}: as Python",
                          p.rc == 0 and p.out == want and p.err == b"",
                          p.describe() + "\n--- want\n" + e2e.short(want, 800))
        p = run.mpi(["--key", "1", "--sum", "2", "--sum", "3", "--count", small])
        res.check("--format text: counts and sums right-aligned, then the key", p.rc == 0 and
                  p.out == as_text(rows), p.describe() + "\n--- want\n" + e2e.short(as_text(rows)))
        p = run.mpi(["--key", "1", "--sum", "3", "--format", "json", small])
        j = e2e.json_or(p.out, {})
        r2, _, _ = reference(small_files, 1, (3,))
        got = [(g.get("key", "").encode("utf-8", "surrogateescape"), g.get("sums")) for g in
               j.get("groups", [])]
        wantj = [(k, [json.loads(x) for x in s]) for k, c, s in r2]
        res.check("--format json: groups (key bytes, sums) as Python, skipped_lines 0",
                  p.rc == 0 and got == wantj and j.get("skipped_lines") == 0, p.describe())
        p = run.mpi(["--key", "2", small])  # count only: key column 2
        r3, _, _ = reference(small_files, 2)
        res.check("--key 2 alone counts lines per key", p.rc == 0 and p.out == as_text(r3),
                  p.describe())

        # -o and --output-dir
        out = os.path.join(tmp, "out.tsv")
        p = run.mpi(["--key", "1", "--sum", "2", "--sum", "3", "--count", "--format", "tsv",
                     "-o", out, small])
        res.check("-o FILE holds the TSV, stdout empty", p.rc == 0 and p.out == b"" and
                  os.path.exists(out) and open(out, "rb").read() == want, p.describe())
        parts = os.path.join(tmp, "parts")
        p = run.mpi(["--key", "1", "--sum", "2", "--sum", "3", "--count", "--output-dir", parts,
                     "--split-bytes", "7", small])
        names = sorted(os.listdir(parts)) if os.path.isdir(parts) else []
        cat = b"".join(open(os.path.join(parts, n), "rb").read() for n in names
                       if n.startswith("part-"))
        res.check("--output-dir: one part per rank and _SUCCESS, concatenated = the TSV",
                  p.rc == 0 and "_SUCCESS" in names and cat == want and
                  len([n for n in names if n.startswith("part-")]) == args.ranks,
                  p.describe() + f"\n{names}\n" + e2e.short(cat))

        # ---- bad lines ----
        bad_dir = os.path.join(tmp, "bad")
        os.mkdir(bad_dir)
        bad_a = write(os.path.join(bad_dir, "a.tsv"), b"x\t1\nx\t2\ny\tabc\nz\n\nx\t3\n")
        bad_b = write(os.path.join(bad_dir, "b.tsv"), b"x\t1\n" * 50 + b"y\t1.5.2\n")
        bad_files = [(bad_a, open(bad_a, "rb").read()), (bad_b, open(bad_b, "rb").read())]
        for split in ("1", "7"):
            extra = ["--split-bytes", split]
            p = run.mpi(["--key", "1", "--sum", "2", bad_dir] + extra)
            res.check(f"a bad number: exit 3, one line naming {bad_a}:3 (split {split})",
                      e2e.said_once(p, PROGRAM, 3, mentions=f"{bad_a}:3:") and p.out == b"",
                      p.describe())
        rows, skipped, _ = reference(bad_files, 1, (2,), skip_bad=True)
        p = run.mpi(["--key", "1", "--sum", "2", "--skip-bad", "--format", "tsv",
                     "--split-bytes", "7", bad_dir])
        res.check(f"--skip-bad: the good lines summed, '{skipped} bad lines skipped' on stderr",
                  p.rc == 0 and p.out == as_tsv(rows) and
                  e2e.said_once(p, PROGRAM, 0, mentions=f"skipped {skipped} bad lines"),
                  p.describe() + "\n--- want\n" + e2e.short(as_tsv(rows)))
        p = run.mpi(["--key", "1", "--sum", "2", "--skip-bad", "--format", "json", bad_dir])
        res.check("--skip-bad --format json: skipped_lines",
                  p.rc == 0 and e2e.json_or(p.out, {}).get("skipped_lines") == skipped,
                  p.describe())
        p = run.mpi(["--key", "3", bad_a])
        res.check("too few columns: exit 3 naming FILE:1", e2e.said_once(
            p, PROGRAM, 3, mentions=f"{bad_a}:1:"), p.describe())
        over = write(os.path.join(tmp, "over.tsv"), b"a\t1\na\t99999999999999999999\n")
        p = run.mpi(["--key", "1", "--sum", "2", over])
        res.check("a value outside int64: exit 3 naming FILE:2", e2e.said_once(
            p, PROGRAM, 3, mentions=f"{over}:2:"), p.describe())
        over2 = write(os.path.join(tmp, "over2.tsv"),
                      b"a\t9223372036854775807\nb\t1\na\t1\na\t-5\na\t5\n")
        p = run.mpi(["--key", "1", "--sum", "2", "--split-bytes", "7", over2])
        res.check("a sum outside int64: exit 3 naming the key", e2e.said_once(
            p, PROGRAM, 3, mentions="overflow") and "'a'" in p.stderr, p.describe())
        big_ok = write(os.path.join(tmp, "cancel.tsv"),
                       b"a\t9223372036854775807\na\t9223372036854775807\na\t-9223372036854775807"
                       b"\na\t-9223372036854775807\n")
        p = run.mpi(["--key", "1", "--sum", "2", "--split-bytes", "7", "--format", "tsv", big_ok])
        res.check("partial sums beyond int64 that cancel: exact 0 at any split",
                  p.rc == 0 and p.out == b"a\t0\n", p.describe())

        # ---- decimals: the exact sum rounded once, whatever the order ----
        dec = os.path.join(tmp, "decimals.tsv")
        vals = [b"0.1", b"-0.1", b"1e300", b"-1e300", b"5e-324", b"2.5e-320", b"1e16", b"3",
                b"-7", b"9007199254740993", b"1.0000000000000002", b".5", b"5.", b"-0.0"]
        with open(dec, "wb") as f:
            for i in range(3000):
                k = rng.choice([b"p", b"q", b"r", b"s"])
                v = rng.choice(vals) if k != b"s" else b"%d" % rng.randint(-10, 10)
                if k == b"r" and rng.random() < 0.5:
                    v = b"%.17g" % rng.uniform(-1e6, 1e6)
                f.write(k + b"\t" + v + b"\n")
            # exact ties: 2^53 + 3 rounds to even (2^53 + 4), 2^53 + 1 to 2^53
            f.write(b"t\t9007199254740992.0\nt\t3\nu\t9007199254740992.0\nu\t1\n")
        ddata = open(dec, "rb").read()
        rows, _, _ = reference([(dec, ddata)], 1, (2,), count=True)
        for split in ("7", None):
            extra = ["--split-bytes", split] if split else []
            p = run.mpi(["--key", "1", "--count", "--sum", "2", "--format", "tsv", dec] + extra)
            res.check(f"decimals: exact sums rounded once (Fraction), split {split or 'default'}",
                      p.rc == 0 and p.out == as_tsv(rows),
                      p.describe() + "\n--- want\n" + e2e.short(as_tsv(rows)))
        huge = write(os.path.join(tmp, "huge.tsv"), b"h\t1.5e308\nh\t1.5e308\ng\t1\n")
        p = run.mpi(["--key", "1", "--sum", "2", huge])
        res.check("a decimal sum beyond a double: exit 3 naming the key",
                  e2e.said_once(p, PROGRAM, 3, mentions="overflow") and "'h'" in p.stderr,
                  p.describe())

        # ---- CSV per line, with a header; quoted CSV per file ----
        csvd = os.path.join(tmp, "csv")
        os.mkdir(csvd)
        head = b'city,"amount",n\r\n'
        c1 = head + b'"Paris, FR",10,1\r\n"say ""hi""",5,2\r\nParis,1.25,3\r\n\r\n"Paris, FR",-4,4'
        c2 = head + b'caf\xe9,7,1\n"",3,2\nParis,2,2\n'
        for name, data in (("c1.csv", c1), ("c2.csv", c2)):
            write(os.path.join(csvd, name), data)
        csv_files = [(os.path.join(csvd, n), d) for n, d in (("c1.csv", c1), ("c2.csv", c2))]
        rows, _, _ = reference(csv_files, 1, (2, 3), count=True, delim=b",", mode="csv",
                               header=True)
        for split in ("1", None):
            extra = ["--split-bytes", split] if split else []
            p = run.mpi(["--csv", "--delimiter", ",", "--header", "--key", "city", "--sum",
                         "amount", "--sum", "3", "--count", "--format", "tsv", csvd] + extra)
            res.check(f"--csv --header, columns by name, split {split or 'default'}",
                      p.rc == 0 and p.out == as_tsv(rows), p.describe() + "\n--- want\n" +
                      e2e.short(as_tsv(rows)))
        q = b'k,v\n"a\nb",1\n"a\nb",2\nc,"3"\n"x,""y""\r\nz",4\n\nc,5'
        qf = write(os.path.join(tmp, "quoted.csv"), q)
        rows, _, _ = reference([(qf, q)], 1, (2,), delim=b",", mode="files", header=True)
        q2 = b'k,v\r\nc,1\r\n"multi\nline",2'
        q2f = write(os.path.join(tmp, "quoted2.csv"), q2)
        for extra in (["--schedule", "static"],):
            p = run.mpi(["--quoted-newlines", "--delimiter", ",", "--header", "--key", "k", "--sum",
                         "v", "--format", "tsv", qf, q2f] + extra)
            rows2, _, _ = reference([(qf, q), (q2f, q2)], 1, (2,), delim=b",", mode="files",
                                    header=True)
            res.check(f"--quoted-newlines: fields with line breaks, per file {extra}",
                      p.rc == 0 and p.out == as_tsv(rows2),
                      p.describe() + "\n--- want\n" + e2e.short(as_tsv(rows2)))
        c2f = os.path.join(csvd, "c2.csv")
        p = run.mpi(["--quoted-newlines", "--delimiter", ",", "--header", "--key", "k", qf, c2f])
        res.check("--header: a file whose header differs: exit 3 naming it",
                  e2e.said_once(p, PROGRAM, 3, mentions=f"{c2f}:1: the header differs"),
                  p.describe())
        qb = write(os.path.join(tmp, "quoted_bad.csv"), b'k,v\n"a\nb",1\n"c\n\nd",x\n')
        p = run.mpi(["--quoted-newlines", "--delimiter", ",", "--header", "--key", "k", "--sum",
                     "v", qb])
        res.check("--quoted-newlines: a bad number names the record's first line",
                  e2e.said_once(p, PROGRAM, 3, mentions=f"{qb}:4:"), p.describe())
        p = run.mpi(["--csv", "--delimiter", ",", "--key", "1", qf])
        res.check("--csv (per line) on a quoted line break: exit 3, pointing at "
                  "--quoted-newlines", e2e.said_once(p, PROGRAM, 3, mentions="--quoted-newlines"),
                  p.describe())

        # ---- a 10 MB line ----
        big = os.path.join(tmp, "big")
        os.mkdir(big)
        long_data = (b"a\t1\tx\n" + b"b\t2\t" + b"y" * (10 << 20) + b"\n" + b"a\t3\tz\n" +
                     b"L" * (1 << 20) + b"\t4\t5\n")
        write(os.path.join(big, "long.tsv"), long_data)
        rows, _, _ = reference([("", long_data)], 1, (2,))
        for split, schedule in (("4096", "static"), (None, "dynamic")):
            if True:
                extra = (["--split-bytes", split] if split else []) + ["--schedule", schedule]
                p = run.mpi(["--key", "1", "--sum", "2", "--format", "tsv", big] + extra)
                res.check(f"a 10 MB line and a 1 MB key, split {split or 'default'}, {schedule}",
                          p.rc == 0 and p.out == as_tsv(rows), p.describe())

        # ---- an access log: requests per HTTP status ----
        log = os.path.join(tmp, "access.log")
        statuses = [b"200"] * 20 + [b"304", b"404", b"500", b"301"]
        with open(log, "wb") as f:
            for i in range(20000):
                f.write(b'10.0.%d.%d - - [03/Dec/2026:17:%02d:%02d +0000] "GET /p/%d HTTP/1.1" %s %d\n'
                        % (i % 7, i % 250, i % 60, i % 59, rng.randint(0, 999),
                           rng.choice(statuses), rng.randint(0, 99999)))
        data = open(log, "rb").read()
        rows, _, _ = reference([(log, data)], 9, (10,), count=True, delim=b" ")
        for split, schedule in (("4096", "dynamic"), (None, "static")):
            if True:
                extra = (["--split-bytes", split] if split else []) + ["--schedule", schedule]
                p = run.mpi(["--key", "9", "--count", "--sum", "10", "--delimiter", " ",
                             "--format", "tsv", log] + extra)
                res.check(f"access log: requests and bytes per status, split "
                          f"{split or 'default'}, {schedule}",
                          p.rc == 0 and p.out == as_tsv(rows), p.describe())

        # ---- awk on a numeric TSV ----
        num = os.path.join(tmp, "numeric.tsv")
        with open(num, "wb") as f:
            for _ in range(30000):
                f.write(b"%d\t%d\t%d\n" % (rng.randint(0, 200), rng.randint(-10**6, 10**6),
                                           rng.randint(0, 10**9)))
        awk = subprocess.run(["awk", "-F", "\t", '{c[$3 % 7]++; s[$3 % 7]+=$2} END {for (k in c) '
                              'printf "%s\\t%d\\t%d\\n", k, c[k], s[k]}', num],
                             capture_output=True, check=True).stdout
        awk = subprocess.run(["sort"], input=awk, capture_output=True, check=True,
                             env=dict(os.environ, LC_ALL="C")).stdout
        keyed = os.path.join(tmp, "keyed.tsv")  # the key column made explicit for groupby
        with open(num, "rb") as f, open(keyed, "wb") as g:
            for ln in f:
                a, b, c = ln.rstrip(b"\n").split(b"\t")
                g.write(b"%d\t%s\n" % (int(c) % 7, b))
        p = run.mpi(["--key", "1", "--count", "--sum", "2", "--format", "tsv", "--split-bytes",
                     "4096", keyed])
        res.check("numeric TSV: as awk '{c[$k]++; s[$k]+=$v}' | sort", p.rc == 0 and
                  p.out == awk, p.describe() + "\n--- awk\n" + e2e.short(awk))

        # ---- --stats, --checkpoint, usage ----
        p = run.mpi(["--key", "1", "--stats=json", "--format", "tsv", small])
        stats = e2e.stats_json_lines(p.err)
        res.check("--stats=json: one per-rank object on stderr, stdout unchanged",
                  p.rc == 0 and len(stats) == 1 and not e2e.rank_stats_json_problems(
                      e2e.json_or(stats[0]), PROGRAM, args.ranks) and
                  p.out == as_tsv(reference(small_files, 1)[0]), p.describe())
        ck = os.path.join(tmp, "ck")
        first = run.mpi(["--key", "1", "--sum", "2", "--checkpoint", ck, "--format", "tsv",
                         small])
        other = 1 if args.ranks > 1 else 2
        again = run.mpi(["--key", "1", "--sum", "2", "--checkpoint", ck, "--format", "tsv",
                         small], ranks=other)
        want = as_tsv(reference(small_files, 1, (2,))[0])
        res.check(f"--checkpoint: a first run and one resumed at {other} rank(s) print the same",
                  first.rc == 0 and again.rc == 0 and first.out == want and again.out == want
                  and os.listdir(ck), first.describe() + "\n" + again.describe())
        p = run.mpi(["--key", "1", "--sum", "3", "--checkpoint", ck, small])
        res.check("--checkpoint of another job (other columns): refused, exit 3",
                  e2e.said_once(p, PROGRAM, 3), p.describe())
        for argv, what in ((["--sum", "2"], "no --key"), (["--key", "0"], "--key 0"),
                           (["--key", "name"], "a name without --header"),
                           (["--key", "1", "--delimiter", "ab"], "a delimiter of two bytes"),
                           (["--key", "1", "--output-dir", parts, "-o", out], "-o and "
                            "--output-dir")):
            p = run.mpi(argv + [small])
            res.check(f"usage: {what}: exit 2, one line", e2e.said_once(p, PROGRAM, 2),
                      p.describe())
        p = run.mpi(["--help"])
        res.check("--help mentions --quoted-newlines reading a file as one task",
                  p.rc == 0 and b"--quoted-newlines" in p.out and b"one task" in p.out,
                  p.describe())
    return res.finish(f" ({run.launches} launches, {run.launch_secs:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
