"""The parse floor: read every input file and parse its front matter, nothing more.

The least any tool must do: list the files, read their bytes, decode them,
cut out the front matter and load it with the fastest YAML loader installed
(yaml_rs). One process, no records, no graph. Prints the number of files
parsed.

Usage::

    python3 tests/benchmarks/floor.py CORPUS_DIR
"""

import os
import sys

import yaml_rs


def main(corpus):
    n = 0
    for folder, dirs, names in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.endswith((".md", ".markdown", ".txt")):
                continue
            with open(os.path.join(folder, name), "rb") as fh:
                text = fh.read().decode("utf-8", errors="replace")
            if not text.startswith("---"):
                continue
            end = text.find("\n---", 3)
            if end == -1:
                continue
            yaml_rs.loads(text[text.index("\n") + 1:end + 1])
            n += 1
    print(n)


if __name__ == "__main__":
    main(sys.argv[1])
