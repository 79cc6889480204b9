#!/usr/bin/env python3
"""Expected results for test_fields (mapreduce/fields.hpp), computed by Python itself.

Usage: fields_reference.py OUT

Writes generated edge cases and what Python makes of them to OUT as a stream of netstrings
(b"<length>:<bytes>"), read by tests/mapreduce/test_fields.cpp:

  split    DELIM LINE N FIELD...              LINE.split(DELIM)
  csvline  DELIM LINE STATUS N FIELD...       csv.reader([LINE]) (STATUS ok|open_quote|line_break)
  csvfile  DELIM TEXT R (LINE_NUMBER N FIELD...)*R
                                              csv.reader(io.StringIO(TEXT, newline=''))
  integer  TEXT OK VALUE                      int() under the policy of fields.hpp
  number   TEXT OK BITS                       float() under that policy, BITS the double's bits
  end

Bytes are decoded as latin-1, so each byte is one character and back. The csv module reads
with the default dialect and no field size limit. Python 3 standard library only.
"""

import csv
import io
import math
import random
import struct
import sys

csv.field_size_limit(sys.maxsize)

ASCII_SPACE = " \t\n\v\f\r"


def text(b):
    return b.decode("latin-1")


def raw(s):
    return s.encode("latin-1")


class Writer:
    def __init__(self, out):
        self.out = out

    def put(self, *items):
        for item in items:
            if isinstance(item, str):
                item = raw(item)
            elif isinstance(item, int):
                item = str(item).encode()
            self.out.write(b"%d:" % len(item))
            self.out.write(item)


def csv_line(line, delim):
    """Status and fields of one line, as csv.reader([line]) sees it."""
    reader = csv.reader([line, "z"], delimiter=delim)
    try:
        fields = next(reader)
    except csv.Error:  # "new-line character seen in unquoted field"
        return "line_break", []
    if reader.line_num == 2:  # the record went on into the next line: a quote left open
        return "open_quote", []
    return "ok", fields


def csv_file(data, delim):
    """(line_number, fields) of each record: the line (1-based, as csv.reader.line_num counts
    them) where it begins."""
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delim)
    records = []
    while True:
        begins = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return records
        records.append((begins, fields))


def stripped(s):
    """The text the parsers of fields.hpp read: ASCII white space around it removed; None when
    Python would accept a number that fields.hpp refuses (other white space around it, or '_'
    between digits)."""
    t = s.strip(ASCII_SPACE)
    if t != t.strip() or "_" in t:
        return None
    return t


def integer(s):
    t = stripped(s)
    try:
        value = int(t) if t is not None else None
    except ValueError:
        value = None
    if value is None or not -(2**63) <= value < 2**63:
        return 0, 0
    return 1, value


def number(s):
    t = stripped(s)
    try:
        value = float(t) if t is not None else None
    except ValueError:
        value = None
    if value is None or not math.isfinite(value):
        return 0, 0
    mantissa = t.lower().split("e")[0]
    if value == 0.0 and any(c in "123456789" for c in mantissa):
        return 0, 0  # too small for a double: Python rounds it to 0, fields.hpp refuses it
    return 1, struct.unpack("<Q", struct.pack("<d", value))[0]


def random_bytes(rng, alphabet, n):
    return bytes(rng.choice(alphabet) for _ in range(n))


def main():
    out_path = sys.argv[1]
    rng = random.Random(16)
    delimiters = [",", "\t", ";", " ", "|", "\0", "\xff"]

    lines = [b"", b",", b",,", b"a", b"a,", b",a", b"a,,b", b"a,b,c,", b"\t", b"a\tb\t",
             b'"a,b",c', b'"a""b",c', b'"",""', b'""""', b'a"b,c', b'a"b"c', b'"ab"c,d',
             b'"ab"c"d', b' "a",b', b'"a" ,b', b'"a",', b'"unclosed', b'a,"unclosed',
             b'"x""', b'"', b'a\rb', b'a\r', b'\r', b'"a\rb",c', b'"a\nb"', b'a\nb', b'a,\r',
             b'"a"\r', b'"a"\rb', b'a\0b,\0', b'"\0"', b'\xff\xfe,\xe9t\xe9', b'"\xff,\x80"',
             b"\xef\xbb\xbfa,b", b"a;b;c", b"a b  c", b"a|b||", b"\x00\x00", b"\xff\xff"]
    alphabet = list(b'ab,;\t |"\r\0\xff\xe9') + [ord('"'), ord(","), ord("a")]
    for _ in range(600):
        lines.append(random_bytes(rng, alphabet, rng.randrange(0, 14)))
    # One 10 MB line: fields of many lengths, quoted ones holding delimiters and quotes.
    pieces = []
    size = 0
    while size < 10 * 2**20:
        k = rng.choice([0, 1, 5, 1000, 100000])
        piece = b"x" * k if rng.random() < 0.5 else b'"' + b"y,\t\"\"" * (k // 5 + 1) + b'"'
        pieces.append(piece)
        size += len(piece) + 1
    big_line = b",".join(pieces)

    files = [b"", b"\n", b"\r\n", b"\r", b"a", b"a\n", b"a\r\n", b"a\rb", b"a\n\nb\n",
             b"a,b\r\nc,d\r\n", b'"multi\nline",x\ny\n', b'"multi\r\nline"\r\nz',
             b'"a\rb"\rc\r', b'"open\nto the end', b'a,"', b'"a"\n"b"""\n', b'x,"y\n\n\nz",w\n',
             b"\0\n\0,\0\r\n", b"\xff,\xfe\n\x80\r\n", b"a,\n,\n,,\n", b"\n\n\r\n\r\rq",
             b'"a""\nb"', b'a"b\n"c\nd"']
    for _ in range(300):
        files.append(random_bytes(rng, list(b'ab,;\t"\r\n\0\xff') + [ord('"'), ord("\n")],
                                  rng.randrange(0, 40)))
    big_file = b'"' + b"line\r\nwith, \"\"quotes\n" * 440000 + b'",tail\nnext,"record"\r\n'

    numbers = ["", " ", "0", "-0", "+0", "7", " 42 ", "\t-7\n", "+5", "+-5", "-+5", "--5",
               "+", "-", ".", "9223372036854775807", "9223372036854775808",
               "-9223372036854775808", "-9223372036854775809", "00012", "1_000", "1 000",
               "1e3", "1E3", "1.5", "-1.5e-3", ".5", "5.", "+.5", "-.5", "1.e1", "e5", "1e",
               "1e+", "1e308", "1e309", "-1e309", "1e-400", "4.9e-324", "2.4703282292062328e-324",
               "2.4703282292062327e-324", "0e-400", "0.0", "nan", "NaN", "inf", "-inf",
               "infinity", "0x10", "1,5", "\xa05", "5\x85", "\x1c5", "5\x1f", "\v3\f", "\r9\r",
               "²", "1" * 400, "0." + "3" * 400, "123456789012345678901234567890e-10",
               "0.1", "3.14159265358979323846264338327950288", "1e-310", "12abc", "abc",
               "5\0", "\0" + "5"]
    digits = list("0123456789") * 3 + list(" +-.e_\tE") + ["\xa0", "x", "n", "a", "i"]
    for _ in range(1500):
        numbers.append("".join(rng.choice(digits) for _ in range(rng.randrange(0, 10))))

    with open(out_path, "wb") as f:
        w = Writer(f)
        for delim in delimiters:
            for line in lines + ([big_line] if delim == "," else []):
                s = text(line)
                fields = s.split(delim)
                w.put("split", delim, s, len(fields), *fields)
        for delim in delimiters:
            for line in lines + ([big_line] if delim == "," else []):
                s = text(line)
                status, fields = csv_line(s, delim)
                w.put("csvline", delim, s, status, len(fields), *fields)
        for delim in [",", "\t", ";", "\0", "\xff"]:
            for data in files + ([big_file] if delim == "," else []):
                s = text(data)
                records = csv_file(s, delim)
                w.put("csvfile", delim, s, len(records))
                for line_number, fields in records:
                    w.put(line_number, len(fields), *fields)
        for s in numbers:
            ok, value = integer(s)
            w.put("integer", s, ok, value)
            ok, bits = number(s)
            w.put("number", s, ok, bits)
        w.put("end")


if __name__ == "__main__":
    main()
