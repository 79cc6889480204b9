#!/usr/bin/env python3
"""The README's code examples are the files they name, verbatim: a ```cpp block right after
`<!-- readme-example: PATH -->` must equal the text of PATH between the lines
`// readme-example-begin` and `// readme-example-end` (PATH is built by the project, so the
example in the README compiles).

  readme_example_check.py ROOT
"""
import os
import re
import sys

MARKED = re.compile(r"<!-- readme-example: (\S+) -->[ \t]*\n```cpp\n(.*?)\n```", re.S)


def main():
    root = sys.argv[1]
    readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
    found = MARKED.findall(readme)
    if not found:
        print("FAIL: README.md has no readme-example block")
        return 1
    failed = 0
    for path, text in found:
        source = open(os.path.join(root, path), encoding="utf-8").read()
        m = re.search(r"// readme-example-begin\n(.*?)\n// readme-example-end", source, re.S)
        if not m:
            print(f"FAIL: {path} has no readme-example-begin/end markers")
            failed += 1
        elif m.group(1) != text:
            print(f"FAIL: README.md's example differs from {path}")
            failed += 1
        else:
            print(f"ok    README.md's example is {path} ({len(text.splitlines())} lines)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
