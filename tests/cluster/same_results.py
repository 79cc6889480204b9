#!/usr/bin/env python3
"""Compares two JSON results of an mrkit program, field by field, ignoring the fields that may
differ between runs (by default "ranks" and "seconds"). Exit 0 when equal, 1 with the
differences otherwise.

    same_results.py REFERENCE.json RESULT.json [--ignore ranks,seconds] [--label TEXT]
                    [--map-path RESULT_PREFIX=REFERENCE_PREFIX]

--map-path compares paths in RESULT as if they began with REFERENCE_PREFIX instead (a run in a
container reads the same files at another place).
"""
import argparse
import json
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        sys.exit(f"same_results: {path} is not one JSON document ({e}); it holds:\n{text[:2000]}")


def map_paths(value, old, new):
    if isinstance(value, str):
        return new + value[len(old):] if value.startswith(old) else value
    if isinstance(value, list):
        return [map_paths(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: map_paths(v, old, new) for k, v in value.items()}
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("reference")
    parser.add_argument("result")
    parser.add_argument("--ignore", default="ranks,seconds")
    parser.add_argument("--label", default="")
    parser.add_argument("--map-path", default="")
    args = parser.parse_args()
    ignored = {name for name in args.ignore.split(",") if name}
    ref, got = load(args.reference), load(args.result)
    if args.map_path:
        old, sep, new = args.map_path.partition("=")
        if not sep or not old:
            sys.exit("same_results: --map-path RESULT_PREFIX=REFERENCE_PREFIX")
        got = map_paths(got, old, new)
    if not isinstance(ref, dict) or not isinstance(got, dict):
        sys.exit("same_results: both results must be JSON objects")
    label = f"{args.label}: " if args.label else ""
    differences = [
        f"  {key}: reference {ref.get(key, '<missing>')!r}, got {got.get(key, '<missing>')!r}"
        for key in sorted((set(ref) | set(got)) - ignored)
        if ref.get(key, KeyError) != got.get(key, KeyError)
    ]
    if differences:
        print(f"{label}results differ from the one-rank run:", *differences, sep="\n")
        return 1
    print(f"{label}same results as the one-rank run ({len(set(ref) - ignored)} fields; ignored: "
          f"{', '.join(sorted(ignored & (set(ref) | set(got)))) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
