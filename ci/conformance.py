#!/usr/bin/env python3
"""Builds the conformance table: a row per scenario of SEMANTICS.md (S01–S18, S21, S22), a
column per binding, from the test results that the test scripts leave in the
results directory (target/conformance by default; see ci/conformance.sh).

A test counts for every scenario id its name carries (`s08_close_race`,
`test_s03_s04_fifo`, `TestS03S04FifoStress`, `s03_fifo + s04_exactly_once: …`).

  ci/conformance.py --write   writes docs/CONFORMANCE.md
  ci/conformance.py --check   fails unless docs/CONFORMANCE.md is what --write
                              would write (CI runs this after the tests)

Either way it prints the table, and exits non-zero if an applicable cell
failed or has no test, or if a binding's results are missing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "CONFORMANCE.md"

SCENARIOS = {
    1: "capacity",
    2: "backpressure",
    3: "FIFO per producer",
    4: "exactly once",
    5: "close drains",
    6: "close rejects",
    7: "close wakes",
    8: "close race",
    9: "empty",
    10: "timeouts",
    11: "no lost wake-up",
    12: "senders gone",
    13: "receiver gone",
    14: "bad input",
    15: "bounded memory",
    16: "cancellation",
    17: "interrupt",
    18: "batch",
    21: "participant failure",
    22: "hostile sizes",
}

# Scenarios that do not apply to a binding, with the reason shown in the table.
NOT_APPLICABLE = {
    ("Rust core", 17): "Rust has no host interrupt to honour: blocking calls are "
    "bounded with `*_timeout`/`*_deadline` (S09, S10) and async forms are cancelled "
    "by dropping the future (S16).",
    ("C", 16): "C has no async forms to cancel; the bounded forms are "
    "`funnelq_send_timeout`/`funnelq_recv_timeout` (S10).",
    ("C", 17): "C has no host interrupt: a thread blocked in `funnelq_recv` is "
    "released by `funnelq_close` from another thread (S07) or by a timeout (S10).",
}

# Lower-case ids start a word or follow `_`/a digit (`s03_s04`); upper-case ids
# follow a lower-case letter or another id (`TestS03S04`). Neither may run into
# a third digit.
ID_PATTERNS = (
    re.compile(r"(?<![A-Za-z])s(\d\d)(?!\d)"),
    re.compile(r"(?:(?<=[a-z0-9])|(?<![A-Za-z]))S(\d\d)(?!\d)"),
)


def scenario_ids(name: str) -> set[int]:
    ids = set()
    for pattern in ID_PATTERNS:
        ids.update(int(m) for m in pattern.findall(name))
    return {i for i in ids if i in SCENARIOS}


@dataclass
class Outcome:
    """Distinct test names per outcome. A test run more than once (the C suite
    runs plain and under ASan) counts once, and as failed if any run failed."""

    passed: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)


Results = list[tuple[str, str]]  # (test name, "pass" | "fail" | "skip")


def parse_libtest(text: str) -> Results:
    """`cargo test` output: `test name ... ok|FAILED|ignored`."""
    status = {"ok": "pass", "FAILED": "fail", "ignored": "skip"}
    out = []
    for m in re.finditer(r"^test (.+?) \.\.\. (ok|FAILED|ignored)\b", text, re.M):
        out.append((m.group(1), status[m.group(2)]))
    return out


def parse_c(text: str) -> Results:
    """bindings-c/tests (RUN in check.h): `name   ok (0.01 s)`, or the name
    followed by a diagnostic when a check fails. The suite runs twice (plain,
    ASan); a test passes only if every run of it passed."""
    out = []
    for m in re.finditer(r"^(s\d\d\w*) +(.*)$", text, re.M):
        out.append((m.group(1), "pass" if re.match(r"ok \(", m.group(2)) else "fail"))
    return out


def parse_go(text: str) -> Results:
    """`go test -v`: `--- PASS: TestS01Capacity (0.00s)` (subtests indented)."""
    status = {"PASS": "pass", "FAIL": "fail", "SKIP": "skip"}
    return [
        (m.group(2), status[m.group(1)])
        for m in re.finditer(r"^\s*--- (PASS|FAIL|SKIP): (\S+)", text, re.M)
    ]


def parse_junit(text: str) -> Results:
    """JUnit XML from pytest (`--junitxml`) or node:test (`--test-reporter=junit`)."""
    out = []
    for case in ET.fromstring(text).iter("testcase"):
        name = case.get("name", "")
        if case.find("failure") is not None or case.find("error") is not None:
            out.append((name, "fail"))
        elif case.find("skipped") is not None:
            out.append((name, "skip"))
        else:
            out.append((name, "pass"))
    return out


def parse_ok_lines(text: str) -> Results:
    """wasm/browser-test/run.mjs: `ok name (12 ms)` / `not ok name`."""
    out = []
    for m in re.finditer(r"^(not )?ok (\S+)", text, re.M):
        out.append((m.group(2), "fail" if m.group(1) else "pass"))
    return out


@dataclass
class Column:
    name: str
    files: tuple[str, ...]
    parse: object
    produced_by: str


COLUMNS = [
    Column("Rust core", ("rust-tests.log", "rust-loom.log"), parse_libtest, "ci/test.sh"),
    Column("C", ("c.log",), parse_c, "ci/test-c.sh"),
    Column("Go", ("go.log",), parse_go, "ci/test-c.sh"),
    Column("Python", ("python.xml",), parse_junit, "ci/test-python.sh"),
    Column("Node.js", ("node.xml",), parse_junit, "ci/test-node.sh"),
    Column("WASM in Node workers", ("wasm-node.xml",), parse_junit, "ci/test-wasm.sh"),
    Column("WASM in Chromium", ("wasm-chromium.log",), parse_ok_lines, "ci/test-wasm.sh"),
]


def collect(results_dir: Path) -> tuple[dict[str, dict[int, Outcome]], list[str]]:
    table: dict[str, dict[int, Outcome]] = {}
    problems = []
    for col in COLUMNS:
        cells = {sid: Outcome() for sid in SCENARIOS}
        table[col.name] = cells
        for fname in col.files:
            path = results_dir / fname
            if not path.is_file():
                problems.append(f"{col.name}: no results ({path} missing: did {col.produced_by} run?)")
                continue
            try:
                results = col.parse(path.read_text(errors="replace"))
            except ET.ParseError as e:
                problems.append(f"{col.name}: {path} is not valid XML ({e}); the run was cut short?")
                continue
            for name, status in results:
                for sid in scenario_ids(name):
                    bucket = {"pass": cells[sid].passed, "fail": cells[sid].failed, "skip": cells[sid].skipped}
                    bucket[status].add(name)
    return table, problems


def cell_text(col: str, sid: int, out: Outcome) -> tuple[str, str | None]:
    """The cell's text and, if the cell breaks the contract, why."""
    if (col, sid) in NOT_APPLICABLE:
        mark = list(NOT_APPLICABLE).index((col, sid)) + 1
        return f"n.a.<sup>{mark}</sup>", None
    passed = out.passed - out.failed
    if out.failed:
        return f"**FAIL** ({len(out.failed)} of {len(out.failed | passed)})", (
            f"{col} S{sid:02}: failed: " + ", ".join(sorted(set(out.failed)))
        )
    if not passed:
        return "**no test**", f"{col} S{sid:02}: no test names this scenario"
    return f"pass ({len(passed)})", None


def render(table: dict[str, dict[int, Outcome]]) -> tuple[str, list[str]]:
    problems = []
    cols = [c.name for c in COLUMNS]
    lines = [
        "# Conformance: every binding against SEMANTICS.md",
        "",
        "Generated by `ci/conformance.sh` from the test runs of `ci/test.sh`; CI fails if this file",
        "is not what the run produces, if a cell fails, or if an applicable scenario has no test.",
        "A cell counts the tests whose name carries the scenario id (`s08_close_race`,",
        "`TestS08CloseRace`, `test_s08_close_race`) and that passed; one test may cover several ids.",
        "The scenarios are the contract of SEMANTICS.md; [semantics.md](semantics.md) states them for users.",
        "",
        "| scenario | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for sid, title in SCENARIOS.items():
        cells = []
        for col in cols:
            text, problem = cell_text(col, sid, table[col][sid])
            cells.append(text)
            if problem:
                problems.append(problem)
        lines.append(f"| S{sid:02} {title} | " + " | ".join(cells) + " |")
    lines += ["", "Not applicable:", ""]
    lines += [f"{n}. {col}, S{sid:02}: {reason}" for n, ((col, sid), reason) in enumerate(NOT_APPLICABLE.items(), 1)]
    lines += [
        "",
        "Where the tests are: Rust core `core/tests/` (scenarios, stress, loom models, S15 memory);",
        "C `bindings-c/tests/`; Go `examples/go/*_test.go`; Python `bindings-python/tests/`;",
        "Node.js `bindings-node/__test__/`; WASM `wasm/test/` (Node workers) and",
        "`wasm/browser-test/` (headless Chromium, web workers and the main thread).",
        "",
    ]
    return "\n".join(lines), problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help=f"write {DOC.relative_to(ROOT)}")
    mode.add_argument("--check", action="store_true", help=f"fail if {DOC.relative_to(ROOT)} is stale")
    ap.add_argument(
        "--results",
        type=Path,
        default=Path(os.environ.get("FUNNELQ_RESULTS", ROOT / "target" / "conformance")),
        help="directory the test scripts wrote their results to",
    )
    args = ap.parse_args()

    table, problems = collect(args.results)
    text, cell_problems = render(table)
    problems += cell_problems
    print(text)

    status = 0
    if problems:
        status = 1
        print("conformance: the contract is not met:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
    if args.write:
        DOC.write_text(text)
        print(f"conformance: wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    elif not DOC.is_file() or DOC.read_text() != text:
        status = 1
        print(
            f"conformance: {DOC.relative_to(ROOT)} is not current: run ci/conformance.sh "
            "(or ci/conformance.py --write after ci/test.sh) and commit it",
            file=sys.stderr,
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
