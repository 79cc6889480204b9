#!/usr/bin/env python3
"""End-to-end test of the course's small programs: each prints its course cell's story.

Usage (registered in CTest once per rank count P = 1, 2, 3, 4):

    /usr/bin/python3 tests/apps/course/course_programs_e2e.py --bindir build/bin --ranks P \
        --mpiexec mpiexec

Programs: processes, pipe_words, wait_pipes, queue_squares, shared_value, manager_dict,
pool_squares. The expected lines are the outputs printed under the course's cells (process
ids aside, which are checked for what they must be: the children's ids are not the mother's
when there are several ranks). The last line printed is `N passed, N failed`.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../support"))
import e2e_support as e2e

e2e.set_mpi_defaults()

PIPE = """Message envoyé : hello
Message envoyé : hey
Message envoyé : hru?
Message envoyé : END

Message reçu : hello
Message reçu : hey
Message reçu : hru?
"""

QUEUE = """[1, 2, 3, None, 'hello']

Queue élements:
1
4
9
16
Queue est vide!
"""

SHARED = """variable resultat (dans le processus p1): [1, 4, 9, 16]
variable resultat (dans le processus principal main): {main}
{note}
variable num (dans le processus principal main): 3.1415927
variable arr (dans le processus principal main): [0, -1, -2, -3, -4, -5, -6, -7, -8, -9]

Résultat (dans process p1): [1, 4, 9, 16]
Somme des carrés (dans process p1): 30
Résultat (dans process main): [1, 4, 9, 16]
Somme des carrés (dans process main): 30
"""

MANAGER = """{1: '1', '2': 2, 0.25: None}
[9, 8, 7, 6, 5, 4, 3, 2, 1, 0]

Nouvel élément ajouté!

Nom: Sam
Score: 10

Nom: Adam
Score: 9

Nom: Kevin
Score: 9

Nom: Jeff
Score: 8

"""


def child_rank(child, ranks):
    return 0 if ranks == 1 else 1 + (child - 1) % (ranks - 1)


def main():
    a = e2e.mpi_arguments(__doc__.split("\n")[0], binary="--bindir").parse_args()
    res = e2e.Results()
    p = a.ranks

    def run(name, *args):
        r = e2e.Runner(os.path.join(a.bindir, name), a.mpiexec, p, fast_kill=True).mpi(args)
        return r.rc, r.stdout, r.stderr

    def same(name, got, want):
        rc, out, err = got
        res.check(name, rc == 0 and out == want, f"exit {rc}\n--- got\n{out}--- expected\n{want}--- stderr\n{err}")

    # processes: cells 43 and 46
    rc, out, err = run("processes")
    pid = r"(\d+) \(rank (\d+) on \S+\)"
    m = re.fullmatch(
        r"Nombre de processeur\(cpu\): \d+ \(ranks in this job: (\d+)\)\n"
        r"Square: 100\nCube: 1000\nFinit!\n\n"
        rf"ID du processus main \(process mère, process principal\): {pid}\n"
        rf"ID du processus ayant lancé travailleur1: {pid}\n"
        rf"ID du processus ayant lancé travailleur2: {pid}\n"
        r"ID du processus p1: (\d+)\nID du processus p2: (\d+)\n"
        r"Les deux processus ont fini leur exécution!\n"
        r"Processus p1 is actif: False\nProcessus p2 is actif: False\n", out)
    ok = rc == 0 and m is not None
    if ok:
        g = m.groups()
        main_pid, p1_pid, p2_pid = g[1], g[3], g[5]
        ok = (int(g[0]) == p and g[2] == "0" and int(g[4]) == child_rank(1, p) and
              int(g[6]) == child_rank(2, p) and g[7] == p1_pid and g[8] == p2_pid and
              ((p1_pid != main_pid and p2_pid != main_pid) if p > 1 else p1_pid == main_pid) and
              ((p1_pid != p2_pid) if p > 2 else True))
    res.check("processes: the course's story, children's pids their own", ok, out + err)

    same("pipe_words: sent, then received until END", run("pipe_words"), PIPE)

    rc, out, err = run("wait_pipes", "--children", "4", "--messages", "10")
    lines = out.splitlines()
    got = [re.fullmatch(r"\((\d+), 'Process-(\d) \(rank (\d+)\)'\)", ln) for ln in lines[:-1]]
    ok = rc == 0 and len(lines) == 41 and all(got) and \
        lines[-1] == "40 messages from 4 children, all pipes closed"
    if ok:
        seen = {}
        for g in got:
            i, c, r = int(g.group(1)), int(g.group(2)), int(g.group(3))
            ok = ok and r == child_rank(c, p) and seen.get(c, -1) == i - 1
            seen[c] = i
        ok = ok and all(seen.get(c) == 9 for c in range(1, 5))
    res.check("wait_pipes: every message once, in order per child", ok, out + err)

    same("queue_squares: the list, then the squares until empty", run("queue_squares"), QUEUE)
    note = "(one rank plays p1 and main, in one memory: run on 2 ranks)\n" if p == 1 else ""
    same("shared_value: the global is not shared, Value and Array are", run("shared_value"),
         SHARED.format(main="[1, 4, 9, 16]" if p == 1 else "[]", note=note))
    same("manager_dict: dict, reversed list, records", run("manager_dict"), MANAGER)

    rc, out, err = run("pool_squares", "--sleep", "1.5", "--timeout", "0.3")
    lines = out.splitlines()
    ok = rc == 0 and len(lines) == 25
    if ok:
        workers = {re.fullmatch(r"Worker process id for (\d): (\d+)", ln) for ln in lines[:5]}
        ok = (all(workers) and lines[5] == "[1, 4, 9, 16, 25]" and lines[6] == "" and
              lines[7] == "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" and
              sorted(int(x) for x in lines[8:18]) == [i * i for i in range(10)] and
              lines[18] == "400" and lines[19].isdigit() and
              re.fullmatch(r"\[\d+, \d+, \d+, \d+\]", lines[20]) is not None and
              lines[21:] == ["We lacked patience and got a mrkit::TimeoutError",
                             "For the moment, the pool remains available for more work",
                             "(and it does: f(7) = 49)",
                             "Now the pool is closed and no longer available"])
    res.check("pool_squares: map, imap_unordered, apply_async, timeout", ok, out + err)

    for name in ("processes", "pipe_words", "wait_pipes", "queue_squares", "shared_value",
                 "manager_dict", "pool_squares"):
        rc, out, err = run(name, "--help")
        res.check(f"{name} --help", rc == 0 and "Usage:" in out and "--version" in out, out + err)
    rc, out, err = run("wait_pipes", "--children", "0")
    res.check("a bad option exits 2 with one line", rc == 2 and
              err.splitlines()[0].startswith("wait_pipes: --children: expected a whole number"), err)
    return res.finish()


if __name__ == "__main__":
    sys.exit(main())
