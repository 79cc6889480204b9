#!/usr/bin/env python3
"""The library's layers include only downward (docs/architecture.md).

Usage: check_layers.py [--root DIR]    checks lib/ under DIR (default: this repository)
       check_layers.py --self-test     checks that a tree with each kind of fault is refused

Rules, for every file under lib/include/mrkit/<layer>/ and lib/src/<layer>/:
  - an include of mrkit/<other>/... or of the umbrella mrkit/<other>.hpp names <layer> itself
    or a layer below it (ALLOWED); mrkit/version.hpp is allowed everywhere;
  - a quoted include that is not mrkit/... names a file in the same folder (a private header),
    never a program's code (apps/);
  - every public header of a layer is in its umbrella header mrkit/<layer>.hpp, and every
    layer but cli is in mrkit/mrkit.hpp.
Prints one line per fault and exits 1 if there is any; Python 3 standard library only.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile

# What each layer may include besides itself (downward only). text and random are siblings.
ALLOWED = {
    "core": set(),
    "comm": {"core"},
    "io": {"core", "comm"},
    "tasks": {"core", "comm", "io"},
    "text": {"core", "comm", "io", "tasks"},
    "random": {"core", "comm", "io", "tasks"},
    "patterns": {"core", "comm", "io", "tasks"},
    "mapreduce": {"core", "comm", "io", "tasks", "text"},
    "cli": {"core", "comm", "io", "tasks", "text", "random", "patterns", "mapreduce"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def layer_of_include(name):
    """The layer an include of mrkit names, None for version.hpp and mrkit.hpp."""
    m = re.fullmatch(r"mrkit/([a-z_]+)(?:/.*|\.hpp)", name)
    if not m or name in ("mrkit/version.hpp", "mrkit/mrkit.hpp"):
        return None
    return m.group(1)


def check(root):
    faults = []
    lib = os.path.join(root, "lib")
    inc = os.path.join(lib, "include", "mrkit")
    for base in (inc, os.path.join(lib, "src")):
        for layer in sorted(os.listdir(base)):
            folder = os.path.join(base, layer)
            if not os.path.isdir(folder):
                continue
            if layer not in ALLOWED:
                faults.append(f"{os.path.relpath(folder, root)}: not a layer of docs/architecture.md")
                continue
            for dirpath, _, files in os.walk(folder):
                for f in sorted(files):
                    path = os.path.join(dirpath, f)
                    rel = os.path.relpath(path, root)
                    text = open(path, encoding="utf-8", errors="replace").read()
                    for quote, name in INCLUDE.findall(text):
                        if name.startswith("mrkit/"):
                            target = layer_of_include(name)
                            if name == "mrkit/mrkit.hpp":
                                faults.append(f"{rel}: includes {name} (all layers)")
                            elif target is not None and target != layer and \
                                    target not in ALLOWED[layer]:
                                faults.append(f"{rel}: layer {layer} includes {name} "
                                              f"(layer {target}, not below {layer})")
                        elif quote == '"' and (name.startswith("apps/") or not
                                               os.path.exists(os.path.join(dirpath, name))):
                            faults.append(f"{rel}: includes \"{name}\", not a file of its folder")
    # Umbrella headers.
    for layer in ALLOWED:
        folder = os.path.join(inc, layer)
        umbrella = os.path.join(inc, layer + ".hpp")
        if not os.path.isdir(folder):
            continue
        if not os.path.exists(umbrella):
            faults.append(f"lib/include/mrkit/{layer}.hpp: missing (umbrella of {layer})")
            continue
        listed = set(INCLUDE_NAMES(umbrella))
        for h in sorted(os.listdir(folder)):
            if h.endswith(".hpp") and f"mrkit/{layer}/{h}" not in listed:
                faults.append(f"lib/include/mrkit/{layer}.hpp: does not include mrkit/{layer}/{h}")
    whole = os.path.join(inc, "mrkit.hpp")
    listed = set(INCLUDE_NAMES(whole)) if os.path.exists(whole) else set()
    for layer in ALLOWED:
        if layer != "cli" and os.path.isdir(os.path.join(inc, layer)) and \
                f"mrkit/{layer}.hpp" not in listed:
            faults.append(f"lib/include/mrkit/mrkit.hpp: does not include mrkit/{layer}.hpp")
    return faults


def INCLUDE_NAMES(path):
    return [name for _, name in INCLUDE.findall(open(path, encoding="utf-8").read())]


def self_test():
    """Each kind of fault, planted in a copy of lib/, is reported."""
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.normpath(os.path.join(here, "..", ".."))
    plants = {
        "upward": ("lib/src/core/runtime.cpp", '#include "mrkit/tasks/scheduler.hpp"\n',
                   "layer core includes mrkit/tasks/scheduler.hpp"),
        "sibling": ("lib/include/mrkit/text/word_scan.hpp", "#include <mrkit/random.hpp>\n",
                    "layer text includes mrkit/random.hpp"),
        "apps": ("lib/src/io/atomic_file.cpp", '#include "apps/wordcount/word_count.hpp"\n',
                 'includes "apps/wordcount/word_count.hpp"'),
        "umbrella": ("lib/include/mrkit/comm/new_piece.hpp", "#pragma once\n",
                     "does not include mrkit/comm/new_piece.hpp"),
    }
    failures = 0
    if check(repo):
        print("self-test: the repository itself has faults; run without --self-test")
        return 1
    for kind, (rel, line, expected) in plants.items():
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(os.path.join(repo, "lib"), os.path.join(tmp, "lib"))
            path = os.path.join(tmp, rel)
            old = open(path).read() if os.path.exists(path) else ""
            open(path, "w").write(line + old)
            found = [f for f in check(tmp) if expected in f]
            print(f"{'ok  ' if found else 'FAIL'}  a planted {kind} fault is reported"
                  + (f": {found[0]}" if found else ""))
            failures += not found
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--self-test", action="store_true")
    opts = ap.parse_args()
    if opts.self_test:
        return self_test()
    faults = check(os.path.normpath(opts.root))
    for f in faults:
        print(f)
    print(f"{len(faults)} fault(s)" if faults else "layers: every include goes downward")
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
