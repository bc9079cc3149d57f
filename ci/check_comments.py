#!/usr/bin/env python3
"""House rule check: every `unsafe` block or impl carries a `// SAFETY:`
comment, and every atomic ordering weaker than SeqCst an `// ORDERING:`
comment, a few lines above it (clippy's undocumented_unsafe_blocks covers
blocks too; this also covers the orderings, which no lint does). And the
loom facade rule: in core/src only the facade (loom.rs, and the files of a
core/src/loom/ folder beside it) names the atomics, UnsafeCell or crossbeam's
Backoff, so `--cfg loom` swaps all of them.

Usage: ci/check_comments.py [DIR ...]   (default: core/src and the bindings' src)
"""
import pathlib
import re
import sys

WEAK = re.compile(r"Ordering::(Relaxed|Acquire|Release|AcqRel)\b")
FACADE = re.compile(r"(sync::atomic::|cell::UnsafeCell|crossbeam_utils::Backoff)")
UNSAFE = re.compile(r"\bunsafe\s*(\{|impl\b)")
WINDOW = 10  # lines above the use that may hold the comment


def has_comment(lines, i, tag):
    for j in range(i, max(-1, i - WINDOW), -1):
        if tag in lines[j]:
            return True
        # a blank line or the end of an earlier item ends the search
        if j < i and (lines[j].strip() == "" or lines[j].rstrip().endswith("}")):
            break
    return False


def in_facade(path):
    return path.name == "loom.rs" or path.parent.name == "loom"


def check(path):
    problems = []
    lines = path.read_text().splitlines()
    in_tests = False
    for i, line in enumerate(lines):
        code = line.split("//", 1)[0]
        if re.search(r"#\[cfg\(.*\btest\b", line):
            in_tests = True  # test modules sit at the end of a file
        if in_tests:
            continue
        if WEAK.search(code) and not has_comment(lines, i, "ORDERING:"):
            problems.append(f"{path}:{i + 1}: weaker-than-SeqCst ordering without an `// ORDERING:` comment")
        if "core/src" in str(path) and not in_facade(path) and FACADE.search(code):
            problems.append(f"{path}:{i + 1}: names an atomic/UnsafeCell/Backoff outside core/src/loom.rs")
        if UNSAFE.search(code) and not has_comment(lines, i, "SAFETY:"):
            problems.append(f"{path}:{i + 1}: unsafe without a `// SAFETY:` comment")
    return problems


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    dirs = [pathlib.Path(d) for d in sys.argv[1:]] or [
        root / d for d in (
            "core/src",
            "bindings-common/src",
            "bindings-c/src",
            "bindings-python/src",
            "bindings-node/src",
            "wasm/src",
            "bridges",
        )
    ]
    problems = []
    count = 0
    for d in dirs:
        for path in sorted(d.rglob("*.rs")) if d.exists() else []:
            count += 1
            problems += check(path)
    for p in problems:
        print(p)
    print(f"check_comments: {count} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
