#!/usr/bin/env python3
"""End-to-end test of the mrkit `wordcount` program against independent references.

Usage (as registered in CTest, once per rank count P = 1, 2, 3, 4):

    /usr/bin/python3 tests/apps/wordcount/wordcount_e2e.py --bin build/bin/wordcount \
        --ranks P --mpiexec /usr/bin/mpiexec

Python 3 standard library only.  Everything is generated in a temporary directory from a
fixed random seed, so every run sees the same bytes.

References used (all independent of the C++ code):
  * `bytes.split()` -- the definition of a word (maximal run of bytes that are not ASCII
    white space: space \\t \\n \\v \\f \\r).
  * GNU `wc -w` run with LC_ALL=C, on ordinary text files only (see WC_NOTE below).
  * `collections.Counter` for the word frequencies, sorted by (count descending, word
    ascending bytewise); case folding with `bytes.translate` (ASCII A-Z only).
  * `json`, and hand-built TSV/text output for the exact formats.

What is checked:
  1. generated corpora (Zipf words in mixed case with UTF-8 words, U+00A0 inside words,
     empty/white-space-only/no-final-newline/CRLF/NUL/\\v\\f/Latin-1/binary files, a ~300 KB
     single word): per-file counts, totals, --top 0 and --top 10, with and without -i;
  2. for the given rank count: static and dynamic schedules x split sizes {default, 1, 7,
     4096} give byte-identical TSV, identical JSON (apart from "ranks"), equal to the
     reference; --stats and -o do not change the result;
  3. /usr/share/common-licenses against `wc -w` and bytes.split();
  4. the text output format;
  5. (P == 1 only, binary run directly in MPI singleton mode so messages are clean) the
     command line: --help, --version, exit codes and one-line messages for bad input and
     bad option values, FIFO/socket/device skipped without blocking, -o atomic output;
  6. (P > 1) a FIFO inside a directory under mpiexec, and a missing path under mpiexec.

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import collections
import itertools
import json
import os
import random
import re
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e
from e2e_support import short

e2e.set_mpi_defaults()

SEED = 20240611
LICENSES = "/usr/share/common-licenses"
FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
RUN_TIMEOUT = 45          # seconds for one normal launch
HANG_TIMEOUT_DIRECT = 20  # FIFO cases, binary run directly
HANG_TIMEOUT_MPI = 30     # FIFO case under mpiexec

# WC_NOTE: GNU wc -w and bytes.split() agree only on ordinary text.  With LC_ALL=C (used
# here), wc 9.x counts a run of non-space bytes as a word only if it contains at least one
# printable character, so a word made only of NUL/control bytes or only of bytes >= 0x80
# (binary data, Latin-1 or CJK-only words, a lone U+00A0) is not counted by wc, while
# bytes.split() counts it.  In a UTF-8 locale wc also treats U+00A0 and other Unicode
# spaces as separators, and bytes.split() does not.  So wc is compared only on the files
# marked "ordinary" below (printable ASCII/UTF-8 words that all contain an ASCII character,
# separated by ASCII white space); bytes.split() is the reference for every file.


# --------------------------------------------------------------------------------------
# Differences
# --------------------------------------------------------------------------------------

def diff_bytes(got, want, max_lines=8):
    """Describe where two byte outputs differ, line by line (split on \\n only)."""
    g = got.split(b"\n")
    w = want.split(b"\n")
    out = [f"got {len(got)} bytes / {len(g)} lines, expected {len(want)} bytes / {len(w)} lines"]
    shown = 0
    for i in range(max(len(g), len(w))):
        gl = g[i] if i < len(g) else None
        wl = w[i] if i < len(w) else None
        if gl != wl:
            out.append(f"line {i + 1}: expected {short(wl) if wl is not None else '<none>'}")
            out.append(f"{' ' * len(str(i + 1))}       got      {short(gl) if gl is not None else '<none>'}")
            shown += 1
            if shown >= max_lines:
                out.append("...")
                break
    return "\n".join(out)


def diff_json(got, want, max_items=8):
    out = []
    for key in sorted(set(got) | set(want)):
        if got.get(key) == want.get(key):
            continue
        gv, wv = got.get(key), want.get(key)
        if isinstance(gv, list) and isinstance(wv, list):
            out.append(f"key {key!r}: got {len(gv)} entries, expected {len(wv)}")
            shown = 0
            for i in range(max(len(gv), len(wv))):
                a = gv[i] if i < len(gv) else None
                b = wv[i] if i < len(wv) else None
                if a != b:
                    out.append(f"  [{i}] expected {short(json.dumps(b, ensure_ascii=False, sort_keys=True))}")
                    out.append(f"  [{i}] got      {short(json.dumps(a, ensure_ascii=False, sort_keys=True))}")
                    shown += 1
                    if shown >= max_items:
                        out.append("  ...")
                        break
        else:
            out.append(f"key {key!r}: expected {short(json.dumps(wv, ensure_ascii=False))}, "
                       f"got {short(json.dumps(gv, ensure_ascii=False))}")
    return "\n".join(out) or "(no difference)"


# --------------------------------------------------------------------------------------
# Corpus generation
# --------------------------------------------------------------------------------------

def make_vocab(rng):
    letters = "abcdefghijklmnopqrstuvwxyz"
    base = set()
    while len(base) < 2500:
        base.add("".join(rng.choice(letters) for _ in range(rng.randint(1, 10))))
    base = sorted(base)
    rng.shuffle(base)
    words = []
    for w in base:
        words.append(w)
        r = rng.random()
        if r < 0.15:
            words.append(w.capitalize())
        elif r < 0.20:
            words.append(w.upper())
    # Frequent words placed at fixed ranks so that --top 10 sees them.  The -i folding must
    # merge the/The/THE but keep été/Été and naïve/NAÏVE apart (only ASCII is folded: "Été"
    # stays "Été", "NAÏVE" becomes "naÏve").  U+00A0 inside a word does not split it.
    top = ["the", "The", "of", "THE", "été", "a", "Été", "foo\u00a0bar", "A", "naïve",
           "and", "NAÏVE", "Foo\u00a0Bar", "And"]
    other = ["Über", "über", "Straße", "STRASSE", "don't", "e-mail", "C++", "x86_64",
             "100%", "garçon", "Garçon", "€5", "(x)", "--", "\u00a0x\u00a0"]
    words = top + words
    for i, w in enumerate(other):
        words.insert(20 + 13 * i, w)
    vocab = [w.encode("utf-8") for w in words]
    weights = [1.0 / (k + 1) ** 1.05 for k in range(len(vocab))]
    return vocab, list(itertools.accumulate(weights))


class Corpus:
    """Writes the test tree; remembers which files are "ordinary text" for wc."""

    def __init__(self, root, seed):
        self.root = root
        self.rng = random.Random(seed)
        self.vocab, self.cum = make_vocab(self.rng)
        self.ordinary = set()   # paths relative to root (as given to the program)

    def zipf(self, nbytes, seps=None):
        rng = self.rng
        out = []
        size = 0
        while size < nbytes:
            for w in rng.choices(self.vocab, cum_weights=self.cum, k=256):
                if seps is None:
                    r = rng.random()
                    sep = b"\n" if r < 0.08 else b"\t" if r < 0.10 else b"  " if r < 0.12 else b" "
                else:
                    sep = rng.choice(seps)
                out.append(w)
                out.append(sep)
                size += len(w) + len(sep)
        return b"".join(out)

    def add(self, rel, data, ordinary):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        if ordinary:
            self.ordinary.add(rel)

    def build(self):
        rng = self.rng
        s = "corpus/small"
        # Command-line order test: z_first.txt is named before the tree.
        self.add(f"{s}/z_first.txt", self.zipf(4000), True)
        t = f"{s}/tree"
        # Path order is bytewise on the whole path: "a-c.txt" < "a.txt" < "a/x.txt" < "b"
        # ('-' 0x2d < '.' 0x2e < '/' 0x2f); upper case sorts before lower case.
        self.add(f"{t}/a/x.txt", self.zipf(2500), True)
        self.add(f"{t}/a-c.txt", b"x", True)                       # one byte, one word
        self.add(f"{t}/a.txt", b"hi  there\n", True)               # a few bytes
        self.add(f"{t}/Upper.txt", self.zipf(3000), True)
        self.add(f"{t}/with space.txt", self.zipf(1500), True)
        self.add(f"{t}/deep/er/est/zipf_c.txt", self.zipf(6000), True)
        e = f"{t}/edge"
        self.add(f"{e}/empty.txt", b"", True)
        self.add(f"{e}/whitespace_only.txt",
                 bytes(rng.choice(b" \t\n\v\f\r") for _ in range(3000)), True)
        self.add(f"{e}/no_final_newline.txt", b"  \n" + self.zipf(3000).rstrip(), True)
        self.add(f"{e}/crlf.txt", self.zipf(4000).replace(b"\n", b"\r\n") + b"\r\n", True)
        self.add(f"{e}/vt_ff.txt",
                 self.zipf(3000, seps=[b"\v", b"\f", b"\v\f", b" \v ", b"\r", b"\f\n"]), True)
        # ~300 KB single word (printable ASCII, no white space): spans many tasks when the
        # split size is small.  Starts after some white space, followed by a short word.
        long_word = bytes(rng.randrange(0x21, 0x7f) for _ in range(300_000))
        self.add(f"{e}/longword.txt", b" \n\t" + long_word + b"\ntail", True)
        # NUL is not white space: it is part of words, and joins words.
        parts = []
        for w in rng.choices(self.vocab, cum_weights=self.cum, k=1500):
            r = rng.random()
            if r < 0.2:
                k = rng.randrange(len(w) + 1)
                w = w[:k] + b"\x00" + w[k:]
            elif r < 0.25:
                w = b"\x00" * rng.randint(1, 3)
            parts.append(w)
            parts.append(rng.choice([b" ", b" ", b"\n", b"\x00"]))
        self.add(f"{e}/nul.bin", b"".join(parts), False)
        # Control characters that str.split() would treat as separators but bytes.split()
        # does not (\x1c-\x1f, \x85 in Latin-1), Latin-1 words (invalid UTF-8).
        latin = ("café naïve Straße ÉTÉ garçon déjà-vu" + " a\x1cb c\x1dd e\x1ef g\x1fh"
                 + " x\x85y").encode("latin-1")
        self.add(f"{e}/latin1.txt", (latin + b"\n") * 40 + self.zipf(2000), False)
        # UTF-8 words without any ASCII character, lone U+00A0, Unicode spaces (not ASCII
        # white space, so inside words).
        uni = ("日本語 привет \u00a0 x\u00a0y \u3000 a\u2003b Ωμέγα été\u00a0naïve "
               "\u2028 end").encode("utf-8")
        self.add(f"{e}/utf8_mixed.txt", (uni + b"\n") * 60 + self.zipf(2000), False)
        self.add(f"{e}/binary.bin", rng.randbytes(16384), False)
        # The big files (only used with the default and 4096-byte split sizes).
        g = "corpus/large"
        self.add(f"{g}/zipf_1mb.txt", self.zipf(1_000_000), True)
        self.add(f"{g}/zipf_400k.txt", self.zipf(400_000), True)
        self.add(f"{g}/part/zipf_200k.txt", self.zipf(200_000), True)
        self.add(f"{g}/part/zipf_100k.txt", self.zipf(100_000), True)


# --------------------------------------------------------------------------------------
# Reference implementation
# --------------------------------------------------------------------------------------

def expand(cwd, args):
    """Files the program should count, in order, as (display path, absolute path)."""
    out = []
    for a in args:
        full = os.path.join(cwd, a)
        st = os.stat(full)
        if stat.S_ISREG(st.st_mode):
            out.append((a, full))
        elif stat.S_ISDIR(st.st_mode):
            found = []
            for dirpath, dirnames, filenames in os.walk(full):
                for fn in filenames:
                    p = os.path.join(dirpath, fn)
                    try:
                        if stat.S_ISREG(os.stat(p).st_mode):   # follows symlinks
                            found.append((a + "/" + os.path.relpath(p, full), p))
                    except OSError:
                        pass
            found.sort(key=lambda x: os.fsencode(x[0]))
            out.extend(found)
    return out


class Reference:
    def __init__(self, cwd, args):
        self.files = []          # (display path, word count)
        self.words = collections.Counter()
        for disp, full in expand(cwd, args):
            with open(full, "rb") as f:
                ws = f.read().split()
            self.files.append((disp, len(ws)))
            self.words.update(ws)
        self.total = sum(n for _, n in self.files)
        self._folded = None

    def counter(self, fold):
        if not fold:
            return self.words
        if self._folded is None:
            c = collections.Counter()
            for w, n in self.words.items():
                c[w.translate(FOLD)] += n
            self._folded = c
        return self._folded

    def top(self, n, fold):
        items = sorted(self.counter(fold).items(), key=lambda kv: (-kv[1], kv[0]))
        return items[:n] if n else items

    def tsv(self, top=None, fold=False):
        lines = [b"file\t%d\t%s" % (n, tsv_escape(os.fsencode(p))) for p, n in self.files]
        lines.append(b"total\t%d" % self.total)
        if top is not None:
            lines += [b"word\t%d\t%s" % (c, tsv_escape(w)) for w, c in self.top(top, fold)]
        return b"\n".join(lines) + b"\n"

    def json(self, top=None, fold=False):
        d = {"total_words": self.total,
             "files": [{"path": p, "words": n} for p, n in self.files]}
        if top is not None:
            # Bytes that are not UTF-8 are \udcXX escapes: Python's surrogateescape.
            d["top"] = [{"word": w.decode("utf-8", "surrogateescape"), "count": c}
                        for w, c in self.top(top, fold)]
            d["distinct_words"] = len(self.counter(fold))
        return d

    def text(self):
        width = len(str(self.total))
        lines = [f"{n:>{width}} {p}" for p, n in self.files]
        lines.append(f"{self.total} total")
        return ("\n".join(lines) + "\n").encode()


def tsv_escape(b):
    """A TSV field as wordcount writes it: \\, tab, newline and carriage return escaped."""
    return (b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r"))


def wc_counts(cwd, paths):
    """GNU wc -w (C locale) per path, via one wc process."""
    env = dict(os.environ, LC_ALL="C")
    p = subprocess.run(["wc", "-w", "--"] + list(paths), cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"wc failed: {p.stderr.decode(errors='replace')}")
    res = {}
    lines = p.stdout.decode().rstrip("\n").split("\n")
    for line in lines[:len(paths)]:
        n, path = line.lstrip().split(" ", 1)
        res[path] = int(n)
    return res


# --------------------------------------------------------------------------------------
# Helpers for checks
# --------------------------------------------------------------------------------------

def parse_json(run):
    try:
        return json.loads(run.out.decode("utf-8")), None
    except (UnicodeDecodeError, ValueError) as e:
        return None, f"output is not valid UTF-8 JSON ({e}): {short(run.out)}"


def parse_tsv_files(out):
    files = []
    total = None
    for line in out.split(b"\n"):
        f = line.split(b"\t")
        if f[0] == b"file" and len(f) == 3:
            files.append((f[2].decode("utf-8", "surrogateescape"), int(f[1])))
        elif f[0] == b"total" and len(f) == 2:
            total = int(f[1])
    return files, total


def ok_run(res, name, run):
    """The launch succeeded (exit 0, no timeout)."""
    return res.check(f"{name}: exit status 0", run.rc == 0 and not run.timed_out,
                     run.describe())


def check_one_line_error(res, name, run, want_rc, must_name=None):
    lines = run.stderr_lines()
    good = e2e.said_once(run, "wordcount", want_rc, mentions=must_name, alone=True)
    res.check(f"{name}: exit {want_rc}, one 'wordcount:' line on stderr"
              + (f" naming {must_name!r}" if must_name else ""), good,
              run.describe() + f"\nstderr has {len(lines)} line(s)")
    res.check(f"{name}: nothing on stdout", run.out == b"", f"stdout: {short(run.out)}")


# --------------------------------------------------------------------------------------
# Test groups
# --------------------------------------------------------------------------------------

SCHEDULES = ("static", "dynamic")
SPLITS = (None, 1, 7, 4096)


def split_args(split):
    return [] if split is None else ["--split-bytes", str(split)]


def split_name(split):
    return "default" if split is None else str(split)


def test_references_sane(res, tmp, corpus, ref_f):
    """The references agree with each other: bytes.split() == wc -w on ordinary text."""
    ordinary = sorted(corpus.ordinary)
    wc = wc_counts(tmp, ordinary)
    by_path = dict(ref_f.files)
    bad = [f"{p}: bytes.split()={by_path[p]} wc -w={wc[p]}" for p in ordinary if by_path[p] != wc[p]]
    res.check("reference: bytes.split() equals LC_ALL=C wc -w on the ordinary text files",
              not bad, "\n".join(bad))
    return wc


def test_small_matrix(res, runner, ref_s, s_args, tmp):
    """Schedules x split sizes on the small corpus (all edge cases, the ~300 KB word)."""
    P = runner.ranks
    want = ref_s.tsv(top=0)
    outputs = {}
    out_dir = os.path.join(tmp, "mpi_out")
    os.makedirs(out_dir)
    for sched in SCHEDULES:
        for split in SPLITS:
            name = f"small corpus, TSV --top 0, --schedule {sched} --split-bytes {split_name(split)}"
            extra = []
            use_stats = (sched == "dynamic" and split == 7)
            use_o = (sched == "static" and split == 4096)
            if use_stats:
                extra = ["--stats"]
                name += " --stats"
            if use_o:
                extra = ["-o", "mpi_out/small.tsv"]
                name += " -o FILE"
            run = runner.mpi(["--format", "tsv", "--top", "0", "--schedule", sched]
                             + split_args(split) + extra + s_args)
            if not ok_run(res, name, run):
                continue
            out = run.out
            if use_o:
                res.check(f"{name}: nothing on stdout", run.out == b"", short(run.out))
                listing = sorted(os.listdir(out_dir))
                res.check(f"{name}: output directory holds only the output file",
                          listing == ["small.tsv"], f"directory listing: {listing}")
                try:
                    with open(os.path.join(out_dir, "small.tsv"), "rb") as f:
                        out = f.read()
                except OSError as e:
                    res.check(f"{name}: output file readable", False, str(e))
                    continue
            if use_stats:
                ranks_seen = set()
                for line in run.stderr_lines():
                    m = re.match(r"\s*(\d+)\s+\S+\s+\d+", line)
                    if m:
                        ranks_seen.add(int(m.group(1)))
                res.check(f"{name}: stderr has a stats row for each of the {P} ranks",
                          ranks_seen == set(range(P)),
                          f"rank ids found: {sorted(ranks_seen)}\n" + run.err.decode(errors="replace"))
            res.check(f"{name}: equals reference (bytes.split + Counter)", out == want,
                      diff_bytes(out, want))
            outputs[(sched, split)] = out
    base_key = ("dynamic", None)
    if base_key in outputs:
        diff = [k for k, v in outputs.items() if v != outputs[base_key]]
        res.check(f"small corpus: TSV byte-identical for all schedules x split sizes at {P} ranks",
                  not diff, f"differs from dynamic/default: {diff}")

    # JSON with -i on the small corpus (invalid UTF-8 words shown with U+FFFD).
    want_j = ref_s.json(top=0, fold=True)
    got = {}
    for sched, split in (("static", 7), ("dynamic", None)):
        name = f"small corpus, JSON --top 0 -i, --schedule {sched} --split-bytes {split_name(split)}"
        run = runner.mpi(["--format", "json", "--top", "0", "-i", "--schedule", sched]
                         + split_args(split) + s_args)
        if not ok_run(res, name, run):
            continue
        d, err = parse_json(run)
        if not res.check(f"{name}: valid JSON", d is not None, err or ""):
            continue
        res.check(f'{name}: "ranks" is {P}', d.get("ranks") == P, f"ranks: {d.get('ranks')!r}")
        d.pop("ranks", None)
        res.check(f"{name}: equals reference", d == want_j, diff_json(d, want_j))
        got[(sched, split)] = d
    if len(got) == 2:
        a, b = got.values()
        res.check("small corpus: JSON identical (without ranks) for static/7 and dynamic/default",
                  a == b, diff_json(a, b))


def test_full_corpus(res, runner, ref_f, f_args, wc):
    P = runner.ranks
    # JSON --top 10 -i: schedules x {default, 4096}
    want = ref_f.json(top=10, fold=True)
    got = {}
    for sched in SCHEDULES:
        for split in (None, 4096):
            name = f"full corpus, JSON --top 10 -i, --schedule {sched} --split-bytes {split_name(split)}"
            run = runner.mpi(["--format", "json", "--top", "10", "--ignore-case", "--schedule", sched]
                             + split_args(split) + f_args)
            if not ok_run(res, name, run):
                continue
            d, err = parse_json(run)
            if not res.check(f"{name}: valid JSON", d is not None, err or ""):
                continue
            res.check(f'{name}: "ranks" is {P}', d.get("ranks") == P, f"ranks: {d.get('ranks')!r}")
            d.pop("ranks", None)
            res.check(f"{name}: equals reference", d == want, diff_json(d, want))
            got[(sched, split)] = d
    if got:
        first = next(iter(got.values()))
        diff = [k for k, v in got.items() if v != first]
        res.check("full corpus: JSON identical (without ranks) for all schedules x split sizes",
                  not diff, f"differ: {diff}")

    # TSV --top 0, without and with -i: byte-exact words
    for sched, split, fold in (("dynamic", None, False), ("static", 4096, True)):
        name = (f"full corpus, TSV --top 0{' -i' if fold else ''}, --schedule {sched} "
                f"--split-bytes {split_name(split)}")
        run = runner.mpi(["--format", "tsv", "--top", "0", "--schedule", sched]
                         + (["-i"] if fold else []) + split_args(split) + f_args)
        if not ok_run(res, name, run):
            continue
        want_t = ref_f.tsv(top=0, fold=fold)
        res.check(f"{name}: equals reference", run.out == want_t, diff_bytes(run.out, want_t))
        if not fold:
            files, total = parse_tsv_files(run.out)
            got_by = dict(files)
            bad = [f"{p}: wordcount={got_by.get(p)} wc -w={n}" for p, n in sorted(wc.items())
                   if got_by.get(p) != n]
            res.check(f"{name}: per-file counts equal GNU wc -w on the {len(wc)} ordinary text files",
                      not bad, "\n".join(bad))
            bad = [f"{p}: wordcount={got_by.get(p)} bytes.split()={n}" for p, n in ref_f.files
                   if got_by.get(p) != n]
            res.check(f"{name}: per-file counts equal bytes.split() on all {len(ref_f.files)} files",
                      not bad and total == ref_f.total,
                      "\n".join(bad) + f"\ntotal: got {total}, expected {ref_f.total}")

    # Small files are read in batches through io_uring where the kernel allows it, else one by
    # one (MRKIT_IO_URING=0, or a container that forbids io_uring): both give the same counts.
    for batched in ("1", "0"):
        name = f"full corpus, TSV --top 0 -i, MRKIT_IO_URING={batched}"
        run = runner.mpi(["--format", "tsv", "--top", "0", "-i"] + f_args,
                         env={**os.environ, "MRKIT_IO_URING": batched})
        if ok_run(res, name, run):
            want_t = ref_f.tsv(top=0, fold=True)
            res.check(f"{name}: equals reference", run.out == want_t, diff_bytes(run.out, want_t))

    # JSON --top 10 without -i
    name = "full corpus, JSON --top 10 (no -i)"
    run = runner.mpi(["--format", "json", "--top", "10"] + f_args)
    if ok_run(res, name, run):
        d, err = parse_json(run)
        if res.check(f"{name}: valid JSON", d is not None, err or ""):
            d.pop("ranks", None)
            want = ref_f.json(top=10, fold=False)
            res.check(f"{name}: equals reference", d == want, diff_json(d, want))

    # Text format
    name = "full corpus, text format"
    run = runner.mpi(f_args)
    if ok_run(res, name, run):
        lines = run.out.decode("utf-8", "replace").rstrip("\n").split("\n")
        parsed = []
        bad = []
        for line in lines:
            m = re.fullmatch(r" *(\d+) (.+)", line)
            if m:
                parsed.append((m.group(2), int(m.group(1))))
            else:
                bad.append(line)
        res.check(f"{name}: every line parses as '<count> <path>'", not bad and parsed,
                  "unparsable lines: " + "; ".join(repr(b) for b in bad[:5]))
        if parsed:
            last = parsed[-1]
            res.check(f"{name}: last line is '<count> total' with the right total",
                      last == ("total", ref_f.total) and lines[-1] == f"{ref_f.total} total",
                      f"last line: {lines[-1]!r}, expected {ref_f.total} total")
            res.check(f"{name}: per-file lines equal the reference",
                      parsed[:-1] == ref_f.files,
                      diff_bytes(run.out, ref_f.text()))
        want = ref_f.text()
        res.check(f"{name}: exact bytes (counts right-aligned to the width of the total)",
                  run.out == want, diff_bytes(run.out, want))


def test_licenses(res, runner):
    name = f"{LICENSES}"
    if not os.path.isdir(LICENSES):
        print(f"note: {LICENSES} not present, skipping the real-text check")
        return
    ref = Reference("/", [LICENSES])
    if not ref.files:
        print(f"note: {LICENSES} holds no file, skipping")
        return
    wc = wc_counts("/", [p for p, _ in ref.files])
    run = runner.mpi(["--format", "tsv", "--top", "0", LICENSES])
    if not ok_run(res, name, run):
        return
    files, total = parse_tsv_files(run.out)
    got = dict(files)
    res.check(f"{name}: file list (bytewise path order)", [p for p, _ in files] == [p for p, _ in ref.files],
              f"got {[p for p, _ in files]}\nexpected {[p for p, _ in ref.files]}")
    bad = [f"{p}: wordcount={got.get(p)} wc -w={n}" for p, n in wc.items() if got.get(p) != n]
    res.check(f"{name}: per-file counts equal GNU wc -w", not bad, "\n".join(bad))
    res.check(f"{name}: total equals GNU wc -w total and bytes.split()",
              total == sum(wc.values()) == ref.total,
              f"wordcount {total}, wc -w {sum(wc.values())}, bytes.split() {ref.total}")
    want = ref.tsv(top=0)
    res.check(f"{name}: TSV --top 0 equals reference", run.out == want, diff_bytes(run.out, want))


def make_special_dir(tmp, rel, with_socket_and_device):
    """A directory with one regular file and a FIFO (and a socket and a device)."""
    d = os.path.join(tmp, rel)
    os.makedirs(d)
    with open(os.path.join(d, "b_regular.txt"), "wb") as f:
        f.write(b"one two three\n")
    os.mkfifo(os.path.join(d, "a_fifo"))
    specials = {"a_fifo": "a FIFO"}
    keep = []
    if with_socket_and_device:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(os.path.join(d, "c_socket"))
        keep.append(s)
        specials["c_socket"] = None
        try:
            os.mknod(os.path.join(d, "d_device"), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
            specials["d_device"] = None
        except OSError as e:
            print(f"note: cannot create a device node ({e}); device case not tested")
    return specials, keep


def check_special_dir(res, name, run, rel, specials):
    res.check(f"{name}: finishes (does not block on the FIFO) with exit 0",
              not run.timed_out and run.rc == 0, run.describe())
    want = f"{rel}/b_regular.txt".encode()
    res.check(f"{name}: counts only the regular file",
              run.out == b"3 " + want + b"\n3 total\n", f"stdout: {short(run.out)}")
    err = run.err.decode("utf-8", "replace")
    for fn, kind in specials.items():
        line = f"wordcount: warning: skipping '{rel}/{fn}'" + (f": {kind}" if kind else "")
        res.check(f"{name}: stderr warns {line!r}",
                  any(l.startswith(line) for l in err.split("\n")), f"stderr: {err.strip()}")


def test_cli(res, runner, tmp, ref_s, s_args):
    one = "corpus/small/tree/a.txt"
    # --help, --version
    run = runner.direct(["--help"])
    res.check("--help: exit 0 and prints a usage text",
              run.rc == 0 and b"usage" in run.out.lower() and b"--top" in run.out, run.describe()
              + f"\nstdout: {short(run.out, 300)}")
    run = runner.direct(["--version"])
    res.check("--version: exit 0 and prints 'mrkit <version>'",
              run.rc == 0 and re.fullmatch(rb"mrkit \S+\n?", run.out) is not None,
              run.describe() + f"\nstdout: {short(run.out)}")
    # Command line errors -> exit 2, one line
    run = runner.direct([])
    check_one_line_error(res, "no path", run, 2)
    for bad in (["--top", "x"], ["--top", "-1"], ["--split-bytes", "0"], ["--split-bytes", "-3"],
                ["--schedule", "foo"], ["--format", "xml"], ["--no-such-option"]):
        run = runner.direct(bad + [one])
        check_one_line_error(res, "bad option " + " ".join(bad), run, 2)
    # Bad input -> exit 3
    run = runner.direct([one, "no/such/file.txt"])
    check_one_line_error(res, "missing path", run, 3, "no/such/file.txt")
    os.makedirs(os.path.join(tmp, "empty_dir"))
    run = runner.direct(["empty_dir"])
    check_one_line_error(res, "empty directory", run, 3, "empty_dir")
    os.makedirs(os.path.join(tmp, "only_dirs/x/y"))
    os.makedirs(os.path.join(tmp, "only_dirs/z"))
    run = runner.direct(["only_dirs"])
    check_one_line_error(res, "directory holding only empty directories", run, 3, "only_dirs")
    # FIFO, socket, device inside a directory: skipped with a warning, never blocks
    specials, keep = make_special_dir(tmp, "special_dir", True)
    run = runner.direct(["special_dir"], timeout=HANG_TIMEOUT_DIRECT)
    check_special_dir(res, "FIFO/socket/device inside a directory (direct)", run, "special_dir", specials)
    # FIFO named directly: exit 3
    run = runner.direct(["special_dir/a_fifo"], timeout=HANG_TIMEOUT_DIRECT)
    check_one_line_error(res, "FIFO named on the command line", run, 3, "special_dir/a_fifo")
    for s in keep:
        s.close()
    # -o FILE: same bytes as stdout, atomic (no temporary file left), replaces old content
    opts = ["--format", "json", "--top", "5", "-i"] + s_args
    run_std = runner.direct(opts)
    ok_run(res, "-o reference run to stdout", run_std)
    out_dir = os.path.join(tmp, "o_dir")
    os.makedirs(out_dir)
    with open(os.path.join(out_dir, "out.json"), "wb") as f:
        f.write(b"old content that must be replaced\n" * 100)
    run = runner.direct(["-o", "o_dir/out.json"] + opts)
    if ok_run(res, "-o o_dir/out.json", run):
        with open(os.path.join(out_dir, "out.json"), "rb") as f:
            data = f.read()
        res.check("-o o_dir/out.json: file has the same bytes as standard output",
                  data == run_std.out and data != b"", diff_bytes(data, run_std.out))
        res.check("-o o_dir/out.json: nothing on stdout", run.out == b"", short(run.out))
        listing = sorted(os.listdir(out_dir))
        res.check("-o o_dir/out.json: no temporary file left in the directory",
                  listing == ["out.json"], f"directory listing: {listing}")
    before = sorted(os.listdir(tmp))
    run = runner.direct(["-o", "no_such_dir/out.json"] + opts)
    res.check("-o into a missing directory: non-zero exit", not run.timed_out and run.rc not in (0, None),
              run.describe())
    res.check("-o into a missing directory: a 'wordcount:' line names the path",
              any(l.startswith("wordcount: ") and "no_such_dir/out.json" in l
                  for l in run.stderr_lines()),
              run.describe())
    res.check("-o into a missing directory: nothing created",
              not os.path.exists(os.path.join(tmp, "no_such_dir")) and sorted(os.listdir(tmp)) == before,
              f"before: {before}\nafter: {sorted(os.listdir(tmp))}")


def test_mpi_errors(res, runner, tmp):
    """P > 1: the FIFO case and a missing path under mpiexec."""
    specials, keep = make_special_dir(tmp, "special_dir_mpi", False)
    run = runner.mpi(["special_dir_mpi"], timeout=HANG_TIMEOUT_MPI)
    check_special_dir(res, f"FIFO inside a directory under mpiexec -n {runner.ranks}", run,
                      "special_dir_mpi", specials)
    run = runner.mpi(["corpus/small/tree/a.txt", "no/such/file.txt"], fast_kill=True)
    res.check(f"missing path under mpiexec -n {runner.ranks}: exit 3 and a 'wordcount:' line naming it",
              run.rc == 3 and any(l.startswith("wordcount: ") and "no/such/file.txt" in l
                                  for l in run.stderr_lines()), run.describe())


# --------------------------------------------------------------------------------------

def find_binary(path):
    if os.path.isabs(path):
        return path
    for base in (os.getcwd(), os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))):
        cand = os.path.join(base, path)
        if os.path.exists(cand):
            return os.path.abspath(cand)
    return os.path.abspath(path)


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0], binary_default="build/bin/wordcount",
                           ranks_default=1, mpiexec_default="/usr/bin/mpiexec")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print passing checks")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()

    binary = find_binary(a.bin)
    res = e2e.Results(a.verbose)
    t_start = time.monotonic()
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        res.check(f"binary {binary} exists and is executable", False)
    elif a.ranks < 1:
        res.check(f"--ranks {a.ranks} is at least 1", False)
    else:
        tmp_obj = tempfile.TemporaryDirectory(prefix="wordcount_e2e_")
        tmp = tmp_obj.name
        if a.keep:  # keep the inputs for debugging: work in a directory that is not removed
            tmp = tempfile.mkdtemp(prefix="wordcount_e2e_kept_")
            print(f"note: inputs kept in {tmp}")
        try:
            run_all(res, a, binary, tmp)
        except Exception:  # a crash of the script itself is a failure, not a pass
            import traceback
            res.check("test script ran to completion", False, traceback.format_exc())
        finally:
            tmp_obj.cleanup()
    print(f"ranks {a.ranks}: {time.monotonic() - t_start:.1f} s in all")
    return res.finish()


def run_all(res, a, binary, tmp):
    t0 = time.monotonic()
    corpus = Corpus(tmp, SEED)
    corpus.build()
    s_args = ["corpus/small/z_first.txt", "corpus/small/tree"]  # file first, then the tree
    f_args = ["corpus/small", "corpus/large"]                   # given order, not sorted
    ref_s = Reference(tmp, s_args)
    ref_f = Reference(tmp, f_args)
    wc = test_references_sane(res, tmp, corpus, ref_f)
    print(f"corpus: {len(ref_f.files)} files, {ref_f.total} words, "
          f"{len(ref_f.words)} distinct; built in {time.monotonic() - t0:.1f} s", flush=True)

    runner = e2e.Runner(binary, a.mpiexec, a.ranks, cwd=tmp, timeout=RUN_TIMEOUT)
    test_small_matrix(res, runner, ref_s, s_args, tmp)
    test_full_corpus(res, runner, ref_f, f_args, wc)
    test_licenses(res, runner)
    if a.ranks == 1:
        test_cli(res, runner, tmp, ref_s, s_args)
    else:
        test_mpi_errors(res, runner, tmp)
    print(f"{runner.launches} launches of wordcount took {runner.launch_secs:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
