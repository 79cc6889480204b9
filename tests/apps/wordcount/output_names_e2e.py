#!/usr/bin/env python3
"""File names and words that are not valid UTF-8, or hold newlines, in every output format.

Usage (as registered in CTest, once per rank count P = 1, 2):

    /usr/bin/python3 tests/apps/wordcount/output_names_e2e.py --bindir build/bin --ranks P \
        --mpiexec /usr/bin/mpiexec

Python 3 standard library only. References, independent of the C++ code:
  * bytes.split() and collections.Counter for the counts;
  * JSON: Python's json.dumps (sorted keys, compact, ensure_ascii=False) of the names and words
    decoded with bytes.decode("utf-8", "surrogateescape"), each lone surrogate written as its
    escape \\udcXX; and back: json.loads, then str.encode("utf-8", "surrogateescape") must
    give the exact bytes of every name and word;
  * text: GNU `wc -w` in the C.UTF-8 locale, for how a name holding a newline is quoted
    (shell-escape style, `'a'$'\\n''b'`); exactly one line ends in " total";
  * TSV: \\\\, \\t, \\n and \\r escaped, in paths and words alike.
Also --total-only and --no-files in the three formats, and dcsort's JSON "input" and
"output" paths.

The last line printed is `N passed, N failed`; the exit status is non-zero on any failure.
"""

import collections
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e
from e2e_support import short

e2e.set_mpi_defaults()
TIMEOUT = 60

# name -> content. Names in one directory, so the program lists them in bytewise order.
FILES = {
    b"bad\xff": b"one\n",
    b"bad\xfe": b"two words\n",
    b"x\n999999 total": b"forged line? no\n",
    b"it's\nquoted\t\x01\x1b\x7f \\ \"q\" $HOME": b"a b c d\n",
    b"\nlead and trail\n": b"w\n",
    b"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\n\xff\xc2\x85": b"x y\n",
    b"tab\there": b"t\n",
    b"cr\rhere": b"r r\n",
    b"back\\slash": b"s\n",
    b"caf\xc3\xa9": b"plain utf-8 name\n",
    b"plain.txt": b"just words\n",
    b"replacement\xef\xbf\xbd": b"a literal U+FFFD in the name\n",
    # Words: different invalid bytes stay different words; every kind of bad sequence.
    b"words": (b"w\xff w\xff w\xff w\xfe w\xfe w\xef\xbf\xbd "
               b"sur\xed\xa0\x80 over\xc0\xaf big\xf4\x90\x80\x80 cut\xe2\x82 cut\xe2\x82x "
               b"emoji\xf0\x9f\x98\x80 nul\x00byte ctl\x01\x1b\x7f "
               b"quote\"s back\\slash back\\\\two c1\xc2\x85 \xc3\xa9t\xc3\xa9 lead\xe0\xa0\n"),
}


def random_words(rng, n):
    """Short random byte strings without ASCII white space: most not UTF-8."""
    alphabet = [b for b in range(256) if b not in b" \t\n\v\f\r"]
    return b" ".join(bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
                     for _ in range(n)) + b"\n"


class Reference:
    def __init__(self, root, rel):
        self.files = []  # (path bytes, words), bytewise order as the program lists them
        self.words = collections.Counter()
        for name in sorted(os.listdir(os.fsencode(os.path.join(root, rel)))):
            path = os.fsencode(rel) + b"/" + name
            with open(os.path.join(os.fsencode(root), path), "rb") as f:
                ws = f.read().split()
            self.files.append((path, len(ws)))
            self.words.update(ws)
        self.total = sum(n for _, n in self.files)
        self.top = sorted(self.words.items(), key=lambda kv: (-kv[1], kv[0]))


def surrogate(b):
    return b.decode("utf-8", "surrogateescape")


def json_text(obj):
    """Python's compact, key-sorted JSON, with lone surrogates written as \\udcXX escapes."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return re.sub("[\udc80-\udcff]", lambda m: "\\u%04x" % ord(m.group(0)), s).encode() + b"\n"


def json_reference(ref, ranks, top, files=True):
    d = {"total_words": ref.total, "ranks": ranks}
    if files:
        d["files"] = [{"path": surrogate(p), "words": n} for p, n in ref.files]
    if top:
        d["top"] = [{"word": surrogate(w), "count": c} for w, c in ref.top]
        d["distinct_words"] = len(ref.words)
    return json_text(d)


def tsv_escape(b):
    return (b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r"))


def tsv_reference(ref, top, files=True):
    lines = [b"file\t%d\t%s" % (n, tsv_escape(p)) for p, n in ref.files] if files else []
    lines.append(b"total\t%d" % ref.total)
    if top:
        lines += [b"word\t%d\t%s" % (c, tsv_escape(w)) for w, c in ref.top]
    return b"\n".join(lines) + b"\n"


def wc_quoted(cwd, path):
    """How GNU wc (C.UTF-8) prints `path` after its count: quoted if it holds a newline."""
    env = dict(os.environ, LC_ALL="C.UTF-8")
    p = subprocess.run(["wc", "-w", "--", path], cwd=cwd, env=env, capture_output=True,
                       check=True)
    out = p.stdout
    assert out.endswith(b"\n"), out
    return out[:-1].split(b" ", 1)[1]


def top_text(ref):
    cw = max([1] + [len(str(c)) for _, c in ref.top])
    out = b"\n%d distinct words; most frequent:\n" % len(ref.words)
    return out + b"".join(b"%*d %s\n" % (cw, c, w) for w, c in ref.top)


def text_reference(ref, cwd, top):
    width = len(str(ref.total))
    out = b"".join(b"%*d %s\n" % (width, n, wc_quoted(cwd, p)) for p, n in ref.files)
    out += b"%*d total\n" % (width, ref.total)
    return out + (top_text(ref) if top else b"")


def diff(got, want):
    g, w = got.split(b"\n"), want.split(b"\n")
    for i, (a, b) in enumerate(zip(g, w)):
        if a != b:
            return f"line {i + 1}:\n  got      {short(a)}\n  expected {short(b)}"
    return f"{len(g)} lines, expected {len(w)}\ngot {short(got, 600)}"


def check_json_round_trip(res, name, run, ref, top):
    """Python reads the JSON back to the exact bytes of every name and word."""
    try:
        d = json.loads(run.out.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        res.check(f"{name}: valid UTF-8 JSON", False, f"{e}: {short(run.out)}")
        return
    paths = [(f["path"].encode("utf-8", "surrogateescape"), f["words"])
             for f in d.get("files", [])]
    res.check(f"{name}: every path decodes back to its bytes, with its own count",
              paths == ref.files, f"got {paths}\nexpected {ref.files}")
    res.check(f"{name}: the paths are all distinct",
              len({p for p, _ in paths}) == len(ref.files), str(paths))
    if not top:
        return
    words = [(t["word"].encode("utf-8", "surrogateescape"), t["count"]) for t in d.get("top", [])]
    res.check(f"{name}: every word decodes back to its bytes, with its own count",
              words == ref.top, f"got {words[:20]}\nexpected {ref.top[:20]}")


def test_wordcount(res, runner, tmp, ranks):
    rng = random.Random(20261203)
    os.makedirs(os.path.join(tmp, "d"))
    for name, content in FILES.items():
        with open(os.path.join(os.fsencode(tmp), b"d/" + name), "wb") as f:
            f.write(content)
    with open(os.path.join(tmp, "d", "random"), "wb") as f:
        f.write(random_words(rng, 3000))
    ref = Reference(tmp, "d")

    # JSON: byte for byte as Python writes it, and read back to the same bytes.
    for top in (False, True):
        name = f"JSON{' --top 0' if top else ''} at {ranks} rank(s)"
        run = runner.mpi(["--format", "json"] + (["--top", "0"] if top else []) + ["d"])
        if res.check(f"{name}: exit 0", run.rc == 0, run.describe()):
            want = json_reference(ref, ranks, top)
            res.check(f"{name}: equals Python's JSON of the surrogate-escaped names and words",
                      run.out == want, diff(run.out, want))
            check_json_round_trip(res, name, run, ref, top)

    # The case: bad\xff (1 word) and bad\xfe (2 words) stay two names.
    run = runner.mpi(["--format", "json", os.fsdecode(b"d/bad\xff"), os.fsdecode(b"d/bad\xfe")])
    d = e2e.json_or(run.out, {})
    got = [(f["path"].encode("utf-8", "surrogateescape"), f["words"]) for f in d.get("files", [])]
    res.check("JSON: files bad\\xff (1 word) and bad\\xfe (2 words) stay apart",
              run.rc == 0 and got == [(b"d/bad\xff", 1), (b"d/bad\xfe", 2)],
              run.describe())

    # TSV: escaped paths and words.
    run = runner.mpi(["--format", "tsv", "--top", "0", "d"])
    if res.check(f"TSV --top 0 at {ranks} rank(s): exit 0", run.rc == 0, run.describe()):
        want = tsv_reference(ref, True)
        res.check(f"TSV --top 0 at {ranks} rank(s): \\\\ \\t \\n \\r escaped in paths and words",
                  run.out == want, diff(run.out, want))

    # Text: quoted as GNU wc quotes; no name forges a line.
    have_wc = shutil.which("wc") is not None
    for top in (False, True):
        name = f"text{' --top 0' if top else ''} at {ranks} rank(s)"
        run = runner.mpi((["--top", "0"] if top else []) + ["d"])
        if not res.check(f"{name}: exit 0", run.rc == 0, run.describe()):
            continue
        lines = run.out.split(b"\n")
        totals = [ln for ln in lines if ln.endswith(b" total")]
        res.check(f"{name}: exactly one line ends in ' total', the real one",
                  totals == [b"%d total" % ref.total], f"lines ending in ' total': {totals}")
        if have_wc:
            want = text_reference(ref, tmp, top)
            res.check(f"{name}: names quoted as GNU wc -w (C.UTF-8) quotes them",
                      run.out == want, diff(run.out, want))

    # --total-only (as wc --total=only: the bare number) and --no-files, in every format.
    cases = [
        (["--total-only"], b"%d\n" % ref.total),
        (["--total-only", "--top", "0"], b"%d\n" % ref.total + top_text(ref)),
        (["--no-files"], b"%d total\n" % ref.total),
        (["--no-files", "--top", "0"], b"%d total\n" % ref.total + top_text(ref)),
        (["--total-only", "--format", "tsv"], tsv_reference(ref, False, files=False)),
        (["--no-files", "--format", "tsv", "--top", "0"], tsv_reference(ref, True, files=False)),
        (["--total-only", "--format", "json"], json_reference(ref, ranks, False, files=False)),
        (["--no-files", "--format", "json", "--top", "0"],
         json_reference(ref, ranks, True, files=False)),
    ]
    for args, want in cases:
        name = f"{' '.join(args)} at {ranks} rank(s)"
        run = runner.mpi(args + ["d"])
        res.check(f"{name}: exit 0 and only the total (and the top words)",
                  run.rc == 0 and run.out == want, run.describe() + "\n" + diff(run.out, want))
    run = runner.mpi(["--total-only", "--no-files", "d"], fast_kill=True)
    res.check("--total-only with --no-files: exit 2, one line", e2e.said_once(
        run, "wordcount", 2), run.describe())


def test_dcsort(res, dcsort, tmp, ranks):
    keys = [5, -3, 7, 0, 2**40, -2**50, 1]
    src = os.path.join(os.fsencode(tmp), b"keys\xff\n.bin")
    dst = os.path.join(os.fsencode(tmp), b"sorted\xfe.bin")
    with open(src, "wb") as f:
        f.write(struct.pack(f"<{len(keys)}q", *keys))
    run = dcsort.mpi(["--format", "json", "-o", os.fsdecode(dst), os.fsdecode(src)])
    d = e2e.json_or(run.out, {})
    name = f"dcsort --format json at {ranks} rank(s)"
    ok = run.rc == 0 and isinstance(d, dict)
    res.check(f"{name}: input and output paths decode back to their bytes",
              ok and d.get("input", "").encode("utf-8", "surrogateescape") == src
              and d.get("output", "").encode("utf-8", "surrogateescape") == dst,
              run.describe())
    got = None
    if os.path.exists(dst):
        with open(dst, "rb") as f:
            data = f.read()
        got = list(struct.unpack(f"<{len(data) // 8}q", data))
    res.check(f"{name}: the keys sorted in the -o file", got == sorted(keys), str(got))


def main():
    ap = e2e.mpi_arguments(__doc__.split("\n")[0], binary="--bindir")
    a = ap.parse_args()
    res = e2e.Results()
    wordcount = e2e.Runner(os.path.join(os.path.abspath(a.bindir), "wordcount"), a.mpiexec,
                           a.ranks, timeout=TIMEOUT)
    dcsort = e2e.Runner(os.path.join(os.path.abspath(a.bindir), "dcsort"), a.mpiexec, a.ranks,
                        timeout=TIMEOUT)
    with tempfile.TemporaryDirectory(prefix="mrkit-names-") as tmp:
        wordcount.cwd = tmp
        test_wordcount(res, wordcount, tmp, a.ranks)
        test_dcsort(res, dcsort, tmp, a.ranks)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
