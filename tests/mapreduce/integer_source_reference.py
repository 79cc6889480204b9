#!/usr/bin/env python3
"""Expected tasks of IntegerSource (mapreduce/integer_source.hpp), in Python's exact integers.

Usage: integer_source_reference.py

Prints, for generated cases of (first, count, per_task), small and near 2**64:

  case FIRST COUNT PER_TASK
  invalid                          when first + count > 2**64 - 1 (the end must be a uint64)
  tasks TASKS PER_TASK ALL         ALL 1 if every task's range follows, 0 for a sample
  range TASK BEGIN END             ... [BEGIN, END) of task TASK
and `end` at the end. per_task 0 means the default: ceil(count / 1024), at least 1.
Python 3 standard library only.
"""

import random

U64_MAX = 2**64 - 1
DEFAULT_TASKS = 1024


def expected(first, count, per_task):
    if first + count > U64_MAX:
        return None
    if per_task == 0:
        per_task = max(1, -(-count // DEFAULT_TASKS))
    tasks = -(-count // per_task)
    return per_task, tasks


def main():
    rng = random.Random(16)
    cases = []
    for first in [0, 1, 5, 1000]:
        for count in [0, 1, 2, 6, 7, 8, 13, 49, 50, 1000, 1023, 1024, 1025, 1030, 5000, 100000]:
            for per_task in sorted({0, 1, 3, 7, count, count + 1, U64_MAX}):
                cases.append((first, count, per_task))
    near = [U64_MAX, U64_MAX - 1, U64_MAX - 7, U64_MAX - 100, 2**63, 2**63 - 1, 2**32, 0]
    for first in near:
        room = U64_MAX - first  # the largest valid count
        for count in sorted({0, 1, 7, 8, 1000, room // 2, room - 1, room, room + 1, room + 9,
                             U64_MAX}):
            if not 0 <= count <= U64_MAX:
                continue
            for per_task in [0, 1, 7, 1024, 2**63, U64_MAX]:
                cases.append((first, count, per_task))
    for _ in range(200):
        first = rng.choice([rng.randrange(0, 100), rng.randrange(0, 2**64)])
        count = rng.choice([rng.randrange(0, 3000), rng.randrange(0, 2**64)])
        per_task = rng.choice([0, 1, 7, rng.randrange(1, 100), rng.randrange(1, 2**64)])
        cases.append((first, count, per_task))

    out = []
    for first, count, per_task in cases:
        out.append(f"case {first} {count} {per_task}")
        got = expected(first, count, per_task)
        if got is None:
            out.append("invalid")
            continue
        size, tasks = got
        every = tasks <= 3000
        out.append(f"tasks {tasks} {size} {int(every)}")
        if every:
            chosen = range(tasks)
        else:
            chosen = sorted({0, 1, 2, tasks // 2, tasks - 3, tasks - 2, tasks - 1} |
                            {rng.randrange(tasks) for _ in range(20)})
        for t in chosen:
            begin = first + t * size
            end = min(begin + size, first + count)
            out.append(f"range {t} {begin} {end}")
    out.append("end")
    print("\n".join(out))


if __name__ == "__main__":
    main()
