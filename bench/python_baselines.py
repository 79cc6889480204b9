#!/usr/bin/python3
"""The Python side of bench/run: what a user of the course would write.

  python_baselines.py counter FILE          word frequencies with collections.Counter, written
                                            as "count word" lines, most frequent first
  python_baselines.py square-loop N         the course's serial loop: for i in range(N):
                                            carre(i), with np.random.seed(i); randint(0, 10)**2
  python_baselines.py square-pool N [P]     the course's multiprocessing.Pool(P).map(carre,
                                            range(N)); P defaults to cpu_count()

The square commands print the number of seeds and the sum of the squares, which bench/run
checks against `montecarlo square --seeds N`.
"""

import collections
import multiprocessing as mp
import sys

import numpy as np


def carre(seed):
    # The course, verbatim but for the name of the variable.
    np.random.seed(seed)
    aleatoire_num = np.random.randint(0, 10)
    return aleatoire_num ** 2


def square_loop(n):
    results = []
    for i in range(n):
        results.append(carre(i))
    return results


def square_pool(n, processes):
    with mp.Pool(processes=processes) as pool:
        return pool.map(carre, range(n))


def counter(path):
    # Words as bytes.split() sees them (runs of non-white-space bytes), read in big blocks cut
    # after white space so that no word is split in two.
    counts = collections.Counter()
    block = 64 << 20
    rest = b""
    with open(path, "rb") as f:
        while True:
            data = f.read(block)
            if not data:
                break
            data = rest + data
            cut = max(data.rfind(b" "), data.rfind(b"\n"), data.rfind(b"\t"), data.rfind(b"\r"))
            if cut < 0:
                rest = data
                continue
            counts.update(data[:cut].split())
            rest = data[cut:]
    counts.update(rest.split())
    out = sys.stdout.buffer
    for word, count in counts.most_common():
        out.write(b"%d %s\n" % (count, word))


def main(argv):
    if len(argv) >= 2 and argv[0] == "counter":
        counter(argv[1])
    elif len(argv) >= 2 and argv[0] == "square-loop":
        n = int(argv[1])
        print(n, sum(square_loop(n)))
    elif len(argv) >= 2 and argv[0] == "square-pool":
        n = int(argv[1])
        processes = int(argv[2]) if len(argv) > 2 else mp.cpu_count()
        print(n, sum(square_pool(n, processes)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
