"""Inputs and references for the tests of the word programs on the map-reduce engine (ngrams,
invindex): generated edge cases, the shipped corpus and /usr/share/common-licenses, and Python's
own reading of them (Python 3 standard library only; every path and word is bytes).

  make_sets(root)   writes three input sets and returns {name: [path arguments]}:
                    tiny (edge cases only, for --split-bytes 1), medium (tiny + generated text
                    and a 3 KB word), big (medium + the corpus, the licenses and a 1 MB word)
  listing(args)     the files the programs read, in their order (list_input_files: command-line
                    order; a directory's files recursively, bytewise by path)
  words(data, fold) Python's bytes.split(), optionally with ASCII letters folded
  tsv_escape(b)     io/output_text.hpp's tsv_escape
  from_json(s)      a JSON string back to its bytes (surrogateescape)
"""

import os
import random

FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
LICENSES = b"/usr/share/common-licenses"
CORPUS = os.path.join(os.fsencode(os.path.dirname(os.path.abspath(__file__))),
                      b"../../apps/wordcount/corpus")

# Edge cases: empty, white space only, one word, no final newline, CRLF, NUL bytes, bytes that
# are not UTF-8 (in words and in a name), \v \f, a backslash and a tab in a name and in words.
EDGE_FILES = {
    b"empty.txt": b"",
    b"spaces-only.txt": b" \t\n\r\n\v\f  \n",
    b"one-word.txt": b"alone",
    b"no-final-newline.txt": b"the cat sat on the mat the cat",
    b"crlf.txt": b"The cat\r\nsat ON\r\nthe MAT\r\n\r\nthe cat\r\n",
    b"nul.txt": b"a\x00b c\x00 \x00 d\n\x00\x00 a\x00b c\x00",
    b"latin1-\xe9.txt": b"caf\xe9 na\xefve \xff\xfe\tcaf\xe9 Na\xefve \xed\xa0\x80 caf\xe9",
    b"with space.txt": b"back\\slash x\\ty back\\slash x\\ty\x0bback\\slash",
    b"tab\there.txt": b"\xc3\xa9t\xc3\xa9 \xc3\x89t\xc3\xa9 THE the The  \xc2\xa0 \xc3\xa9t\xc3\xa9\n",
}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def zipf_text(rng, nbytes, vocab):
    weights = [1.0 / (k + 1) for k in range(len(vocab))]
    out, size = [], 0
    while size < nbytes:
        for w in rng.choices(vocab, weights=weights, k=64):
            sep = rng.choice([b" ", b" ", b" ", b"\n", b"\t", b"  ", b"\r\n"])
            out += [w, sep]
            size += len(w) + len(sep)
    return b"".join(out)


def make_sets(root, seed=16):
    """Writes the inputs under `root` (bytes or str) and returns {set name: [arguments]}."""
    root = os.fsencode(root)
    rng = random.Random(seed)
    tiny = os.path.join(root, b"tiny")
    for name, data in EDGE_FILES.items():
        write(os.path.join(tiny, name), data)
    vocab = [b"the", b"The", b"a", b"of", b"cat", b"CAT", b"sat", b"mat", b"x\x00y", b"\xff",
             b"caf\xc3\xa9", b"Caf\xc3\xa9", b"back\\slash"]
    vocab += [bytes(rng.choice(b"abcdefghij") for _ in range(rng.randint(1, 6)))
              for _ in range(60)]
    medium = os.path.join(root, b"medium")
    write(os.path.join(medium, b"sub/zipf.txt"), zipf_text(rng, 6000, vocab))
    write(os.path.join(medium, b"sub/deeper/zipf2.txt"), zipf_text(rng, 3000, vocab))
    write(os.path.join(medium, b"long-word.txt"), b"before " + b"L" * 3000 + b" after it\nends")
    big = os.path.join(root, b"big")
    write(os.path.join(big, b"one-mb-word.txt"),
          b"the " + b"W" * (1 << 20) + b" the end of it")
    return {"tiny": [tiny], "medium": [tiny, medium], "big": [tiny, medium, CORPUS, LICENSES, big]}


def listing(args):
    """The files under `args` (bytes), as list_input_files orders them."""
    files = []
    for arg in args:
        if os.path.isdir(arg):
            found = []
            for dirpath, _, names in os.walk(arg):
                found += [os.path.join(dirpath, n) for n in names
                          if os.path.isfile(os.path.join(dirpath, n))]
            files += sorted(found)
        else:
            files.append(arg)
    return files


def read(path):
    with open(path, "rb") as f:
        return f.read()


def words(data, fold=False):
    found = data.split()
    return [w.translate(FOLD) for w in found] if fold else found


def tsv_escape(b):
    return (b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r"))


def from_json(s):
    return s.encode("utf-8", "surrogateescape")


def to_text(b):
    """Bytes as the str json.loads gives for their json_string_bytes."""
    return b.decode("utf-8", "surrogateescape")
